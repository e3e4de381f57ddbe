<?php
// A small HTTP/1.1 client over PHP streams: kept-alive connections, several requests in flight at once.
declare(strict_types=1);

namespace Hover\Runtime;

final class Http
{
    /** @var array<string, resource> open kept-alive connections by "scheme://host:port" */
    private array $pool = [];

    /** @param int $timeout seconds a read may wait (the Runtime API's /next waits for an event). */
    public function __construct(private int $timeout = 30)
    {
    }

    /**
     * One request; reuses a kept-alive connection and retries once when that connection was stale.
     * @param array<string,string> $headers
     * @return array{0:int,1:array<string,string>,2:string} status, headers (lower-case names), body
     */
    public function request(string $method, string $url, array $headers = [], string $body = ''): array
    {
        [$key, $host, $target] = self::parts($url);
        for ($attempt = 0; ; $attempt++) {
            $reused = isset($this->pool[$key]);
            $conn = $this->pool[$key] ?? $this->open($key);
            unset($this->pool[$key]);
            try {
                self::send($conn, $method, $host, $target, $headers, $body, true);
                [$status, $h, $b, $keep] = $this->receive($conn, $method);
            } catch (\RuntimeException $e) {
                @fclose($conn);
                if ($reused && $attempt === 0) {
                    continue;
                }
                throw $e;
            }
            if ($keep) {
                $this->pool[$key] = $conn;
            } else {
                fclose($conn);
            }
            return [$status, $h, $b];
        }
    }

    /**
     * Several requests in flight together (each on its own connection): all are sent, then all read.
     * @param list<array{0:string,1:string,2:array<string,string>,3:string}> $requests method, url, headers, body
     * @return list<array{0:int,1:array<string,string>,2:string}|\RuntimeException>
     */
    public function many(array $requests): array
    {
        $conns = [];
        foreach ($requests as $i => [$method, $url, $headers, $body]) {
            try {
                [$key, $host, $target] = self::parts($url);
                $conns[$i] = $this->open($key);
                self::send($conns[$i], $method, $host, $target, $headers, $body, false);
            } catch (\RuntimeException $e) {
                $conns[$i] = $e;
            }
        }
        $out = [];
        foreach ($conns as $i => $conn) {
            if ($conn instanceof \RuntimeException) {
                $out[$i] = $conn;
                continue;
            }
            try {
                $out[$i] = array_slice($this->receive($conn, $requests[$i][0]), 0, 3);
            } catch (\RuntimeException $e) {
                $out[$i] = $e;
            }
            fclose($conn);
        }
        return $out;
    }

    /** @return array{0:string,1:string,2:string} connection key, Host header, request target */
    private static function parts(string $url): array
    {
        $u = parse_url($url);
        if (!isset($u['host'])) {
            throw new \RuntimeException("not an http(s) URL: $url");
        }
        $tls = ($u['scheme'] ?? 'http') === 'https';
        $port = $u['port'] ?? ($tls ? 443 : 80);
        $host = $u['host'] . (isset($u['port']) ? ":$port" : '');
        $target = ($u['path'] ?? '/') . (isset($u['query']) ? '?' . $u['query'] : '');
        return [($tls ? 'tls' : 'tcp') . "://{$u['host']}:$port", $host, $target];
    }

    /** @return resource */
    private function open(string $key)
    {
        $context = stream_context_create(['ssl' => ['verify_peer' => true, 'SNI_enabled' => true]]);
        $conn = @stream_socket_client($key, $errno, $error, 10, STREAM_CLIENT_CONNECT, $context);
        if ($conn === false) {
            throw new \RuntimeException("cannot connect to $key: $error");
        }
        stream_set_timeout($conn, $this->timeout);
        if (str_starts_with($key, 'tcp://') && function_exists('socket_import_stream')) {
            $socket = @socket_import_stream($conn);
            if ($socket) {
                @socket_set_option($socket, SOL_TCP, TCP_NODELAY, 1);
            }
        }
        return $conn;
    }

    /** @param resource $conn */
    private static function send($conn, string $method, string $host, string $target, array $headers, string $body, bool $keep): void
    {
        $head = "$method $target HTTP/1.1\r\nHost: $host\r\nContent-Length: " . strlen($body) . "\r\n";
        if (!$keep) {
            $head .= "Connection: close\r\n";
        }
        foreach ($headers as $name => $value) {
            $head .= "$name: $value\r\n";
        }
        $data = $head . "\r\n" . $body;
        for ($done = 0, $n = strlen($data); $done < $n; $done += $w) {
            $w = @fwrite($conn, $done ? substr($data, $done) : $data);
            if (!$w) {
                throw new \RuntimeException('connection closed while sending the request');
            }
        }
    }

    /**
     * @param resource $conn
     * @return array{0:int,1:array<string,string>,2:string,3:bool} status, headers, body, keep-alive
     */
    private function receive($conn, string $method): array
    {
        do {
            $line = fgets($conn);
            if ($line === false) {
                $meta = stream_get_meta_data($conn);
                throw new \RuntimeException($meta['timed_out'] ? 'no answer in time' : 'connection closed before an answer');
            }
            if (!preg_match('#^HTTP/1\.(\d) (\d{3})#', $line, $m)) {
                throw new \RuntimeException('not an HTTP answer: ' . substr(trim($line), 0, 80));
            }
            $status = (int) $m[2];
            $headers = [];
            while (($line = fgets($conn)) !== false && ($line = rtrim($line, "\r\n")) !== '') {
                [$name, $value] = array_pad(explode(':', $line, 2), 2, '');
                $name = strtolower(trim($name));
                $value = trim($value);
                $headers[$name] = isset($headers[$name]) ? $headers[$name] . ', ' . $value : $value;
            }
        } while ($status === 100);
        $keep = $m[1] === '1' && strtolower($headers['connection'] ?? '') !== 'close';
        if ($method === 'HEAD' || $status === 204 || $status === 304) {
            return [$status, $headers, '', $keep];
        }
        if (isset($headers['content-length'])) {
            $len = (int) $headers['content-length'];
            $body = $len > 0 ? (string) stream_get_contents($conn, $len) : '';
            if (strlen($body) !== $len) {
                throw new \RuntimeException('connection closed in the middle of an answer');
            }
        } elseif (stripos($headers['transfer-encoding'] ?? '', 'chunked') !== false) {
            $body = '';
            while (($size = fgets($conn)) !== false && ($size = hexdec(trim(explode(';', $size)[0]))) > 0) {
                $body .= stream_get_contents($conn, (int) $size);
                fgets($conn);
            }
            while (($line = fgets($conn)) !== false && rtrim($line, "\r\n") !== '') {
            }
        } else {
            $body = (string) stream_get_contents($conn);
            $keep = false;
        }
        return [$status, $headers, $body, $keep];
    }
}
