<?php
// The console kernel: the closure commands of routes/console.php and the scheduled task
// (hover's scheduler rule runs `schedule:run` every minute on the cli function).

namespace App\Console;

use Illuminate\Console\Scheduling\Schedule;
use Illuminate\Foundation\Console\Kernel as ConsoleKernel;
use Illuminate\Support\Facades\Log;

class Kernel extends ConsoleKernel
{
    protected function schedule(Schedule $schedule)
    {
        $schedule->call(function () {
            Log::info('clouder: the scheduler ran');
        })->name('heartbeat')->everyMinute();
    }

    protected function commands()
    {
        require base_path('routes/console.php');
    }
}
