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
}
