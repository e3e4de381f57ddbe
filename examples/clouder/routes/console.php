<?php
// The application's closure commands.

use App\Jobs\SendGreeting;
use Illuminate\Support\Facades\Artisan;

Artisan::command('hello {name=world}', function ($name) {
    $this->info("Hello, {$name}!");
})->purpose('Greet someone');

Artisan::command('greet {name} {--queue=default}', function ($name) {
    SendGreeting::dispatch($name)->onQueue($this->option('queue'));
    $this->info("Queued a greeting for {$name}.");
})->purpose('Queue a greeting (the stage\'s queue functions run it)');
