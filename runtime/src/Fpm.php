<?php
// The php-fpm process of the http role: generated config, start without waiting, connect, restart.
declare(strict_types=1);

namespace Hover\Runtime;

final class Fpm
{
    /** @var resource|null */
    private $process = null;
    /** Config and socket of this process's php-fpm (several runtimes may share one /tmp). */
    public readonly string $dir;
    public readonly string $socket;

    public function __construct(private string $binary, private int $children = 2)
    {
        $this->dir = '/tmp/hover-fpm-' . getmypid();
        $this->socket = "$this->dir/fpm.sock";
    }

    /** The pool config: foreground, one static pool on a unix socket, workers keep the environment. */
    public function config(): string
    {
        return implode("\n", [
            '; php-fpm config written by the hover runtime',
            '[global]',
            "pid = $this->dir/php-fpm.pid",
            'error_log = /proc/self/fd/2',
            'log_limit = 65536',
            'daemonize = no',
            '',
            '[hover]',
            "listen = $this->socket",
            'pm = static',
            "pm.max_children = $this->children",
            'pm.max_requests = 250',
            'clear_env = no',
            'catch_workers_output = yes',
            'decorate_workers_output = no',
            'php_admin_flag[display_errors] = off',
            'php_admin_flag[log_errors] = on',
            'php_admin_value[variables_order] = EGPCS',
            '',
        ]);
    }

    /** Starts php-fpm and returns at once (the first request waits for its socket). */
    public function start(): void
    {
        if (!is_dir($this->dir)) {
            mkdir($this->dir, 0700, true);
        }
        @unlink($this->socket);
        file_put_contents($this->dir . '/php-fpm.conf', $this->config());
        $command = [$this->binary, '--nodaemonize', '--fpm-config', $this->dir . '/php-fpm.conf',
            '-d', 'opcache.enable=1', '-d', 'opcache.validate_timestamps=0',
            '-d', 'opcache.file_cache=/tmp/hover-opcache', '-d', 'display_errors=0', '-d', 'variables_order=EGPCS'];
        if (self::isRoot()) {
            $command[] = '--allow-to-run-as-root';
        }
        $process = @proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => $err = Log::stderrForChild(), 2 => $err], $pipes);
        fclose($err);
        if ($process === false) {
            throw new \RuntimeException("cannot start php-fpm ($this->binary): " . (error_get_last()['message'] ?? 'unknown error'));
        }
        $this->process = $process;
    }

    /** A connection to the pool; waits until $until (epoch s) for php-fpm to listen. @return resource */
    public function connect(float $until)
    {
        while (true) {
            $conn = @stream_socket_client('unix://' . $this->socket, $errno, $error, 1);
            if ($conn !== false) {
                return $conn;
            }
            if ($this->process === null || !proc_get_status($this->process)['running']) {
                Log::line('hover: php-fpm is not running; starting it again');
                $this->stop();
                $this->start();
            }
            if (microtime(true) >= $until) {
                throw new \RuntimeException("php-fpm does not listen on " . $this->socket . ": $error");
            }
            usleep(2000);
        }
    }

    /** Stops php-fpm and its workers (SIGTERM, then SIGKILL after 1 s). */
    public function stop(): void
    {
        if ($this->process === null) {
            return;
        }
        $process = $this->process;
        $this->process = null;
        if (proc_get_status($process)['running']) {
            proc_terminate($process, 15);
            for ($i = 0; $i < 200 && proc_get_status($process)['running']; $i++) {
                usleep(5000);
            }
            if (proc_get_status($process)['running']) {
                proc_terminate($process, 9);
            }
        }
        proc_close($process);
        @unlink($this->socket);
    }

    public function restart(): void
    {
        $this->stop();
        $this->start();
    }

    private static function isRoot(): bool
    {
        if (function_exists('posix_geteuid')) {
            return posix_geteuid() === 0;
        }
        $status = @file_get_contents('/proc/self/status');
        return is_string($status) && preg_match('/^Uid:\s+\d+\s+0\b/m', $status) === 1;
    }
}
