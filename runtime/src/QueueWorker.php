<?php
// Hover\Runtime\Queue\Worker: runs one SQS record through Laravel's own queue worker
// (Illuminate\Queue\Worker::process, so job middleware, events, tries, backoff and failed() behave as
// under `queue:work`), records failed jobs in the failed-jobs store, and says what became of the
// message: deleted, released (with a delay) or failed.
declare(strict_types=1);

namespace Hover\Runtime\Queue;

use Illuminate\Contracts\Debug\ExceptionHandler;
use Illuminate\Contracts\Foundation\Application;
use Illuminate\Queue\Events\JobFailed;
use Illuminate\Queue\MaxAttemptsExceededException;
use Illuminate\Queue\Worker as LaravelWorker;
use Illuminate\Queue\WorkerOptions;
use Illuminate\Support\Facades\Facade;
use Throwable;
use UnexpectedValueException;

final class Worker extends LaravelWorker
{
    /** The connection name jobs run under (the application's SQS connection). */
    public const CONNECTION = 'sqs';

    private Application $app;

    private ?Job $current = null;

    /** @var array{op: string, record: array, backoff: string}|null the job being run, for a last answer */
    public ?array $inFlight = null;

    public function __construct(Application $app)
    {
        $this->app = $app;
        parent::__construct(
            $app['queue'],
            $app['events'],
            $app[ExceptionHandler::class],
            fn () => false,
            function () use ($app) {
                if (method_exists($app['log']->driver(), 'withoutContext')) {
                    $app['log']->withoutContext();
                }
                if (method_exists($app, 'forgetScopedInstances')) {
                    $app->forgetScopedInstances();
                }
                Facade::clearResolvedInstances();
            }
        );
        try {
            // as `queue:work` does: the cache counts exceptions for jobs with $maxExceptions
            $this->setCache($app['cache']->driver());
        } catch (Throwable $e) {
            self::log('the cache is unavailable, $maxExceptions is not counted: ' . self::describe($e));
        }
        // as `queue:work` does: a failed job goes to the failed-jobs store
        $app['events']->listen(JobFailed::class, function (JobFailed $event) use ($app) {
            if ($event->job === $this->current) {
                $this->current->failure = $event->exception;
            }
            try {
                $app['queue.failer']->log(
                    $event->connectionName,
                    $event->job->getQueue(),
                    $event->job->getRawBody(),
                    $event->exception
                );
            } catch (Throwable $e) {
                self::log('could not record the failed job ' . $event->job->resolveName()
                    . ' in the failed-jobs store: ' . self::describe($e));
            }
        });
    }

    /**
     * One line from the runtime → the answer for it.
     *
     * @return array<string, mixed>
     */
    public function handleLine(string $line): array
    {
        try {
            $message = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            return self::answerFailed('the runtime sent a line that is not JSON: ' . $e->getMessage());
        }
        $op = is_array($message) ? ($message['op'] ?? null) : null;
        if (!in_array($op, ['process', 'timed_out'], true) || !is_array($message['record'] ?? null)) {
            return self::answerFailed('the runtime sent an unknown request (expected op "process" or "timed_out" with a record)');
        }
        $record = $message['record'];
        $tries = max(0, (int) ($message['tries'] ?? 1));
        $backoff = array_map('intval', is_array($message['backoff'] ?? null) ? $message['backoff'] : []);
        $backoff = $backoff === [] ? '0' : implode(',', $backoff);
        $timeout = (float) ($message['timeout'] ?? 60);
        $this->inFlight = ['op' => $op, 'record' => $record, 'backoff' => $backoff];
        try {
            return $this->run($op, $record, $tries, $backoff, $timeout);
        } catch (Throwable $e) {
            // not the job's own exception (Laravel's worker handles those): retry it later
            return $this->answerForInterruptedJob('an unexpected error stopped it: ' . self::describe($e))
                ?? self::answerFailed(self::describe($e));
        } finally {
            $this->inFlight = null;
            $this->current = null;
        }
    }

    /**
     * @param array<string, mixed> $record
     * @return array<string, mixed>
     */
    private function run(string $op, array $record, int $tries, string $backoff, float $timeout): array
    {
        $messageId = (string) ($record['messageId'] ?? '?');
        $attempt = max(1, (int) ($record['attributes']['ApproximateReceiveCount'] ?? 1));
        $payload = json_decode((string) ($record['body'] ?? ''), true);
        if (!is_array($payload) || !is_string($payload['job'] ?? null)) {
            $e = new UnexpectedValueException("the body of SQS message {$messageId} is not a Laravel queue job payload (JSON with a \"job\" key)");
            self::log("Failed: message {$messageId} (attempt {$attempt}): " . $e->getMessage());
            return ['result' => 'failed', 'error' => self::describe($e)];
        }

        if (isset($this->resetScope)) {
            ($this->resetScope)();
        }
        $job = $this->current = new Job($this->app, $record, self::CONNECTION, Job::queueName($record));
        $name = self::name($job);
        $options = new WorkerOptions('default', $backoff, 128, max(1, (int) ceil($timeout)), 0, $tries);
        $started = microtime(true);
        $thrown = null;
        try {
            if ($op === 'timed_out') {
                $this->timedOut($job, $options);
            } else {
                $this->process(self::CONNECTION, $job, $options);
            }
        } catch (Throwable $e) {
            $thrown = $e;
            try {
                $this->exceptions->report($e);
            } catch (Throwable $reportError) {
                self::log('could not report the exception of ' . $name . ': ' . self::describe($reportError));
            }
        }
        $where = sprintf('%s (message %s, attempt %d, %d ms)', $name, $messageId, $job->attempts(), (int) round((microtime(true) - $started) * 1000));

        if ($job->hasFailed()) {
            $error = self::describe($job->failure ?? $thrown ?? new \RuntimeException('the job was marked as failed'));
            self::log("Failed: {$where}: {$error}");
            return ['result' => 'failed', 'error' => $error];
        }
        if ($job->isReleased()) {
            self::log("Released: {$where}, visible again in {$job->releaseDelay} s");
            return ['result' => 'released', 'delay' => $job->releaseDelay];
        }
        if ($thrown !== null && !$job->isDeleted()) {
            // Laravel releases a job whose handler threw; this only happens when that failed too
            $delay = min(max(0, $this->calculateBackoff($job, $options)), Job::MAX_DELAY);
            self::log("Released: {$where}, visible again in {$delay} s (" . self::describe($thrown) . ')');
            return ['result' => 'released', 'delay' => $delay];
        }
        self::log("Processed: {$where}");
        return ['result' => 'deleted'];
    }

    /**
     * The previous attempt ran out of time (the runtime stopped it): as `queue:work`'s timeout
     * handler does, fail the job if that was its last try (or it fails on timeout), else release it.
     */
    private function timedOut(Job $job, WorkerOptions $options): void
    {
        $e = new MaxAttemptsExceededException($job->resolveName() . ' has timed out.');
        $this->markJobAsFailedIfWillExceedMaxAttempts($job->getConnectionName(), $job, (int) $options->maxTries, $e);
        if (!$job->hasFailed()) {
            $this->markJobAsFailedIfWillExceedMaxExceptions($job->getConnectionName(), $job, $e);
        }
        if (!$job->hasFailed()) {
            $this->markJobAsFailedIfItShouldFailOnTimeout($job->getConnectionName(), $job, $e);
        }
        if (!$job->hasFailed() && !$job->isDeleted()) {
            $job->release($this->calculateBackoff($job, $options));
        }
    }

    /**
     * The answer for a job stopped in the middle (exit() or a fatal error in the job, or an error
     * outside it): released with its backoff, so SQS hands it out again (and its redrive policy
     * moves it aside after the tries).
     */
    public function answerForInterruptedJob(?string $why = null): ?array
    {
        if ($this->inFlight === null) {
            return null;
        }
        $record = $this->inFlight['record'];
        $delays = explode(',', $this->inFlight['backoff']);
        $attempt = max(1, (int) ($record['attributes']['ApproximateReceiveCount'] ?? 1));
        $delay = min(max(0, (int) ($delays[$attempt - 1] ?? end($delays))), Job::MAX_DELAY);
        $name = $this->current !== null ? self::name($this->current) : 'the job';
        if ($why === null) {
            $last = error_get_last();
            $why = 'the process stopped while running it' . ($last !== null ? ' (' . $last['message'] . ')' : '');
        }
        self::log(sprintf('Released: %s (message %s, attempt %d): %s; visible again in %d s',
            $name, (string) ($record['messageId'] ?? '?'), $attempt, $why, $delay));
        $this->inFlight = null;
        return ['result' => 'released', 'delay' => $delay];
    }

    private static function name(Job $job): string
    {
        try {
            return (string) $job->resolveName();
        } catch (Throwable) {
            return 'job ' . $job->getJobId();
        }
    }

    /** @return array{result: string, error: string} */
    private static function answerFailed(string $message): array
    {
        self::log('Failed: ' . $message);
        return ['result' => 'failed', 'error' => UnexpectedValueException::class . ': ' . $message];
    }

    public static function describe(Throwable $e): string
    {
        $text = get_class($e) . ': ' . $e->getMessage();
        return strlen($text) > 2000 ? substr($text, 0, 2000) . '…' : $text;
    }

    public static function log(string $line): void
    {
        fwrite(STDERR, '[queue] ' . str_replace("\n", ' ', $line) . "\n");
    }
}
