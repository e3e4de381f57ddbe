<?php
// A FastCGI client (responder role): records, name-value params, stdin streaming, stdout/stderr, deadline.
declare(strict_types=1);

namespace Hover\Runtime;

final class FastCgi
{
    private const BEGIN_REQUEST = 1;
    private const END_REQUEST = 3;
    private const PARAMS = 4;
    private const STDIN = 5;
    private const STDOUT = 6;
    private const STDERR = 7;
    private const MAX = 65535;

    /** One record (content up to 65535 bytes, padded to a multiple of 8). */
    public static function record(int $type, string $content, int $id = 1): string
    {
        $len = strlen($content);
        $pad = (8 - $len % 8) % 8;
        return pack('CCnnCx', 1, $type, $id, $len, $pad) . $content . str_repeat("\0", $pad);
    }

    /** The records of a stream (params or stdin): content split in records, then the empty record. */
    public static function stream(int $type, string $content): string
    {
        $out = '';
        for ($i = 0, $n = strlen($content); $i < $n; $i += self::MAX) {
            $out .= self::record($type, substr($content, $i, self::MAX));
        }
        return $out . self::record($type, '');
    }

    /** Name-value pairs: lengths < 128 in one byte, longer in four bytes with the high bit set. */
    public static function pairs(array $params): string
    {
        $out = '';
        foreach ($params as $name => $value) {
            $name = (string) $name;
            $value = (string) $value;
            foreach ([strlen($name), strlen($value)] as $len) {
                $out .= $len < 128 ? chr($len) : pack('N', $len | 0x80000000);
            }
            $out .= $name . $value;
        }
        return $out;
    }

    /** The whole request: begin (responder, connection closed after), params, stdin. */
    public static function encode(array $params, string $stdin): string
    {
        return self::record(self::BEGIN_REQUEST, pack('nCx5', 1, 0))
            . self::stream(self::PARAMS, self::pairs($params))
            . self::stream(self::STDIN, $stdin);
    }

    /**
     * Sends a request on a connected socket and reads the answer until the end record or $until (epoch s).
     * @param resource $conn
     * @param callable(string):void $onStderr
     * @return string|null the stdout stream, or null when $until passed first
     */
    public static function exchange($conn, array $params, string $stdin, float $until, callable $onStderr): ?string
    {
        stream_set_blocking($conn, false);
        $out = self::encode($params, $stdin);
        $stdout = '';
        $buffer = '';
        while (true) {
            $left = $until - microtime(true);
            if ($left <= 0) {
                return null;
            }
            $read = [$conn];
            $write = $out !== '' ? [$conn] : [];
            $except = null;
            $ready = @stream_select($read, $write, $except, (int) $left, (int) (fmod($left, 1) * 1e6));
            if ($ready === false) {
                throw new \RuntimeException('waiting for php-fpm failed');
            }
            if ($write) {
                $sent = @fwrite($conn, $out);
                if ($sent === false) {
                    throw new \RuntimeException('php-fpm closed the connection while the request was sent');
                }
                $out = (string) substr($out, $sent);
            }
            if (!$read) {
                continue;
            }
            $chunk = fread($conn, 262144);
            if ($chunk === '' || $chunk === false) {
                if (feof($conn)) {
                    throw new \RuntimeException('php-fpm closed the connection before the end of the answer');
                }
                continue;
            }
            $buffer .= $chunk;
            while (strlen($buffer) >= 8) {
                $h = unpack('Cversion/Ctype/nid/nlen/Cpad', $buffer);
                $total = 8 + $h['len'] + $h['pad'];
                if (strlen($buffer) < $total) {
                    break;
                }
                $content = substr($buffer, 8, $h['len']);
                $buffer = substr($buffer, $total);
                if ($h['type'] === self::STDOUT) {
                    $stdout .= $content;
                } elseif ($h['type'] === self::STDERR) {
                    $onStderr($content);
                } elseif ($h['type'] === self::END_REQUEST) {
                    $end = unpack('NappStatus/CprotocolStatus', $content);
                    if ($end['protocolStatus'] !== 0) {
                        $why = [1 => 'cannot multiplex', 2 => 'overloaded', 3 => 'unknown role'][$end['protocolStatus']] ?? 'status ' . $end['protocolStatus'];
                        throw new \RuntimeException("php-fpm refused the request: $why");
                    }
                    return $stdout;
                }
            }
        }
    }
}
