<?php
// A queued job (run by the stage's queue functions): logs a greeting.

namespace App\Jobs;

use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Illuminate\Queue\SerializesModels;
use Illuminate\Support\Facades\Log;

class SendGreeting implements ShouldQueue
{
    use Dispatchable, InteractsWithQueue, Queueable, SerializesModels;

    public $tries = 3;

    public $name;

    public function __construct($name)
    {
        $this->name = $name;
    }

    public function handle()
    {
        Log::info("clouder: hello, {$this->name}! (attempt {$this->attempts()})");
    }
}
