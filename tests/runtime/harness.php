<?php
// Calls one function of the runtime's classes for the tests: argv[1] names it, argv[2] holds its arguments as JSON.
declare(strict_types=1);

use Hover\Runtime\Aws;
use Hover\Runtime\CliRole;
use Hover\Runtime\FastCgi;
use Hover\Runtime\HttpRole;
use Hover\Runtime\Secrets;

$runtime = dirname(__DIR__, 2) . '/runtime';
require "$runtime/src/Errors.php";
spl_autoload_register(static function (string $class) use ($runtime): void {
    if (str_starts_with($class, 'Hover\\Runtime\\')) {
        require "$runtime/src/" . substr($class, 14) . '.php';
    }
});

$args = json_decode($argv[2] ?? '[]', true);
try {
    $out = match ($argv[1]) {
        'words' => CliRole::words(...$args),
        'dotenv' => Secrets::parseDotenv(...$args),
        'sign' => Aws::signV4(...$args),
        'pairs' => bin2hex(FastCgi::pairs(...$args)),
        'stream' => bin2hex(FastCgi::stream(...$args)),
        'params' => HttpRole::params(...$args)[0],
        'response' => HttpRole::response(base64_decode($args[0])),
        'endpoint' => (new Aws($args[0]))->endpoint($args[1]),
        'queueUrl' => (new Aws($args[0]))->queueUrl($args[1]),
    };
    echo json_encode(['ok' => $out], JSON_UNESCAPED_SLASHES);
} catch (Throwable $e) {
    echo json_encode(['error' => get_class($e), 'message' => $e->getMessage()], JSON_UNESCAPED_SLASHES);
}
