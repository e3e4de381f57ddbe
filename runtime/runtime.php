<?php
// Runtime entry point: loads the runtime's classes (src/, namespace Hover\Runtime) on demand and runs the loop.
declare(strict_types=1);

require __DIR__ . '/src/Errors.php';
spl_autoload_register(static function (string $class): void {
    if (str_starts_with($class, 'Hover\\Runtime\\')) {
        require __DIR__ . '/src/' . substr($class, 14) . '.php';
    }
});

exit(Hover\Runtime\Main::run(__DIR__));
