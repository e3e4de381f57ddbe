<?php
// Creates the application (Laravel 8 skeleton): the container, its HTTP and console kernels and
// its exception handler. Storage follows APP_STORAGE, which hover's runtime points at /tmp.

$app = new Illuminate\Foundation\Application(
    $_ENV['APP_BASE_PATH'] ?? dirname(__DIR__)
);

$app->useStoragePath($_ENV['APP_STORAGE'] ?? $app->storagePath());

$app->singleton(
    Illuminate\Contracts\Http\Kernel::class,
    App\Http\Kernel::class
);

$app->singleton(
    Illuminate\Contracts\Console\Kernel::class,
    App\Console\Kernel::class
);

$app->singleton(
    Illuminate\Contracts\Debug\ExceptionHandler::class,
    App\Exceptions\Handler::class
);

return $app;
