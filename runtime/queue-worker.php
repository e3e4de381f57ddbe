<?php
// The queue role's long-lived child: boots the application once, then for each JSON line on stdin
// ({"op": "process"|"timed_out", "record": <SQS record>, "tries", "backoff", "timeout"}) runs the
// record as a Laravel queue job and answers one JSON line on file descriptor 3:
// {"result": "deleted"}, {"result": "released", "delay": <s>} or {"result": "failed", "error": "..."}.
// Job output and logs go to stdout/stderr. Runs from LAMBDA_TASK_ROOT (else the current directory).
declare(strict_types=1);

ini_set('display_errors', 'stderr');

$answers = @fopen('php://fd/3', 'w');
$script = stat(__FILE__);
$fd3 = $answers === false ? false : fstat($answers);
// when nothing was given as fd 3, PHP itself may hold this script open under that number
if ($answers === false || $fd3 === false || ($script !== false && [$fd3['dev'], $fd3['ino']] === [$script['dev'], $script['ino']])) {
    fwrite(STDERR, "[queue] queue-worker.php: file descriptor 3 is not open: it carries the answers to the runtime\n");
    exit(2);
}

$root = rtrim(getenv('LAMBDA_TASK_ROOT') ?: getcwd(), '/');
foreach (['vendor/autoload.php', 'bootstrap/app.php'] as $file) {
    if (!is_file("{$root}/{$file}")) {
        fwrite(STDERR, "[queue] cannot start the queue worker: {$root}/{$file} is missing (is LAMBDA_TASK_ROOT the application's root?)\n");
        exit(1);
    }
}

try {
    require "{$root}/vendor/autoload.php";
    $app = require "{$root}/bootstrap/app.php";
    $app->make(Illuminate\Contracts\Console\Kernel::class)->bootstrap();
    require __DIR__ . '/src/QueueJob.php';
    require __DIR__ . '/src/QueueWorker.php';
    $worker = new Hover\Runtime\Queue\Worker($app);
} catch (Throwable $e) {
    fwrite(STDERR, '[queue] cannot boot the application from ' . $root . '/bootstrap/app.php: '
        . get_class($e) . ': ' . $e->getMessage() . ' (' . $e->getFile() . ':' . $e->getLine() . ")\n");
    exit(1);
}

$answer = static function (array $answer) use ($answers): void {
    $line = json_encode($answer, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE);
    fwrite($answers, ($line === false ? '{"result":"failed","error":"the answer could not be encoded"}' : $line) . "\n");
    fflush($answers);
};

// A job that calls exit() or dies of a fatal error still gets an answer: released with its backoff.
register_shutdown_function(static function () use ($worker, $answer): void {
    $last = $worker->answerForInterruptedJob();
    if ($last !== null) {
        $answer($last);
    }
});

while (($line = fgets(STDIN)) !== false) {
    if (trim($line) === '') {
        continue;
    }
    try {
        $result = $worker->handleLine($line);
    } catch (Throwable $e) {
        $result = ['result' => 'failed', 'error' => Hover\Runtime\Queue\Worker::describe($e)];
    }
    $answer($result);
}
exit(0);
