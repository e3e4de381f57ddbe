<?php
// Log lines of the runtime: plain lines on stderr (Lambda sends them to CloudWatch Logs).
declare(strict_types=1);

namespace Hover\Runtime;

final class Log
{
    public static function line(string $message): void
    {
        fwrite(STDERR, $message . "\n");
    }

    /**
     * A fresh handle on stderr for a child process's stdout/stderr. (Handing STDERR itself to
     * proc_open seeks a regular file back to STDERR's own idea of its position.)
     * @return resource
     */
    public static function stderrForChild()
    {
        return fopen('php://stderr', 'w');
    }
}
