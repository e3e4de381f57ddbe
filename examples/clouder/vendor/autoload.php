<?php
// The application's class loader: Debian's Laravel 8.83 (php-laravel-framework, under
// /usr/share/php) for the framework and its dependencies, and this directory tree for the
// application's own App\, Database\ and Tests\ classes. A real project runs `composer install`.

$laravelShare = getenv('LARAVEL_SHARE_DIR') ?: '/usr/share/php';
if (!is_file($laravelShare . '/Illuminate/autoload.php')) {
    fwrite(STDERR, "vendor/autoload.php: Laravel is not installed: {$laravelShare}/Illuminate/autoload.php is missing (apt-get install php-laravel-framework)\n");
    exit(1);
}
// Debian's autoloaders require each other through the include path.
if (!in_array($laravelShare, explode(PATH_SEPARATOR, get_include_path()), true)) {
    set_include_path(get_include_path() . PATH_SEPARATOR . $laravelShare);
}
require_once $laravelShare . '/Illuminate/autoload.php';

spl_autoload_register(static function (string $class): void {
    static $roots = null;
    $roots ??= [
        'App\\' => dirname(__DIR__) . '/app/',
        'Database\\' => dirname(__DIR__) . '/database/',
        'Tests\\' => dirname(__DIR__) . '/tests/',
    ];
    foreach ($roots as $prefix => $dir) {
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
unset($laravelShare);
