<?php
// The queue role (parent side): keeps the queue-worker.php child, sends it SQS records, enforces the timeout, answers SQS.
declare(strict_types=1);

namespace Hover\Runtime;

final class QueueRole
{
    /** @var resource|null */
    private $child = null;
    /** @var array<int, resource> */
    private array $pipes = [];
    private string $lines = '';
    private int $tries;
    private array $backoff;

    /** Seconds a message handed back while the stage is down stays invisible. */
    public const DOWN_DELAY = 60;

    public function __construct(private string $root, private string $runtimeDir, private Aws $aws, private ?Maintenance $maintenance = null)
    {
        $this->tries = max(1, (int) (getenv('QUEUE_TRIES') ?: 1));
        $this->backoff = array_values(array_map('intval', array_filter(array_map('trim', explode(',', (string) getenv('QUEUE_BACKOFF'))), 'strlen')));
    }

    public function handle(Invocation $invocation): array
    {
        // Records stay objects: the worker gets each one exactly as SQS sent it.
        $records = $invocation->event(false)->Records ?? null;
        if (!is_array($records)) {
            throw new InvocationError('Hover.UnsupportedEvent', 'the queue function answers SQS events; this event has no Records');
        }
        $failures = [];
        $down = $this->maintenance?->down() ?? false;
        foreach ($records as $record) {
            if (!$record instanceof \stdClass) {
                throw new InvocationError('Hover.UnsupportedEvent', 'an SQS event record is not a JSON object');
            }
            if ($down) {
                $this->handBack($record);
                $failures[] = ['itemIdentifier' => (string) ($record->messageId ?? '')];
            } elseif (!$this->record($record, $invocation)) {
                $failures[] = ['itemIdentifier' => (string) ($record->messageId ?? '')];
            }
        }
        return ['batchItemFailures' => $failures];
    }

    /** One SQS record; true when the message is done with (deleted by the event source mapping). */
    private function record(\stdClass $record, Invocation $invocation): bool
    {
        $id = (string) ($record->messageId ?? '?');
        $job = ['op' => 'process', 'record' => $record, 'tries' => $this->tries, 'backoff' => $this->backoff,
            'timeout' => round(max(0.0, $invocation->cutoff() - microtime(true)), 3)];
        $answer = $this->ask($job, $invocation->cutoff(), true);
        if ($answer === null) {
            Log::line("hover: queue message $id: the job was still running 1 s before the invocation's deadline; worker stopped");
            $this->stopChild();
            $job['op'] = 'timed_out';
            $answer = $this->ask($job, $invocation->deadlineMs / 1000 - 0.1, false);
            if ($answer === null) {
                $this->stopChild(); // its late answer must not be taken for the next job's
            }
        }
        if (!is_array($answer)) {
            Log::line("hover: queue message $id: the worker gave no answer; the message becomes visible again after its visibility timeout");
            return false;
        }
        $result = $answer['result'] ?? '';
        if ($result === 'deleted') {
            return true;
        }
        if ($result === 'released') {
            $this->visibility($record, (int) ($answer['delay'] ?? 0));
        } elseif ($result === 'failed') {
            Log::line("hover: queue message $id failed: " . ($answer['error'] ?? 'no reason given'));
            $this->visibility($record, 0);
        } else {
            Log::line("hover: queue message $id: the worker answered something unknown: " . json_encode($answer));
        }
        return false;
    }

    /**
     * A message received while the stage is down goes back to its queue unprocessed (no job runs),
     * invisible for DOWN_DELAY seconds. `hover down` disables the queues' mappings, so this happens
     * only to messages received before that took effect; each such receive counts towards the
     * queue's maxReceiveCount.
     */
    private function handBack(\stdClass $record): void
    {
        $count = (string) ($record->attributes->ApproximateReceiveCount ?? '?');
        Log::line("hover: queue message {$record->messageId}: the stage is down for maintenance: handed back unprocessed (receive $count), visible again in " . self::DOWN_DELAY . ' s');
        $this->visibility($record, self::DOWN_DELAY);
    }

    private function visibility(\stdClass $record, int $delay): void
    {
        try {
            $this->aws->changeMessageVisibility($this->aws->queueUrl((string) ($record->eventSourceARN ?? '')), (string) ($record->receiptHandle ?? ''), $delay);
        } catch (AwsError|\InvalidArgumentException $e) {
            Log::line("hover: queue message {$record->messageId}: cannot set its visibility to $delay s: {$e->getMessage()}");
        }
    }

    /**
     * Sends one job line to the child and waits for its answer line on fd 3 until $until (epoch s).
     * Returns the answer, null on timeout, false when the child ended without answering.
     */
    private function ask(array $job, float $until, bool $mayTimeOut): array|null|false
    {
        $line = json_encode($job, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE) . "\n";
        for ($attempt = 0; ; $attempt++) {
            $this->startChild();
            if (@fwrite($this->pipes[0], $line) === strlen($line)) {
                break;
            }
            $this->stopChild();
            if ($attempt > 0) {
                return false;
            }
        }
        while (true) {
            while (($nl = strpos($this->lines, "\n")) !== false) {
                $answer = json_decode(substr($this->lines, 0, $nl), true);
                $this->lines = substr($this->lines, $nl + 1);
                if (is_array($answer) && isset($answer['result'])) {
                    return $answer;
                }
                if (is_array($answer) && is_numeric($answer['timeout'] ?? null) && $answer['timeout'] > 0 && $mayTimeOut) {
                    $until = min($until, microtime(true) + (float) $answer['timeout']);
                }
            }
            $left = $until - microtime(true);
            if ($left <= 0) {
                return null;
            }
            $read = [$this->pipes[3]];
            $write = $except = null;
            if (@stream_select($read, $write, $except, (int) $left, (int) (fmod($left, 1) * 1e6)) > 0) {
                $chunk = fread($this->pipes[3], 65536);
                if ($chunk === '' || $chunk === false) {
                    for ($i = 0; ($status = proc_get_status($this->child))['running'] && $i < 100; $i++) {
                        usleep(2000);
                    }
                    Log::line('hover: the queue worker ended' . ($status['running'] ? '' : ' with exit code ' . ($status['signaled'] ? 128 + $status['termsig'] : $status['exitcode'])) . ' without answering');
                    $this->stopChild();
                    return false;
                }
                $this->lines .= $chunk;
            }
        }
    }

    private function startChild(): void
    {
        if ($this->child !== null && proc_get_status($this->child)['running']) {
            return;
        }
        $this->stopChild();
        $command = [Main::php(), ...Main::phpFlags(), "$this->runtimeDir/queue-worker.php"];
        $child = @proc_open($command, [0 => ['pipe', 'r'], 1 => $err = Log::stderrForChild(), 2 => $err, 3 => ['pipe', 'w']], $pipes, $this->root);
        fclose($err);
        if ($child === false) {
            throw new InvocationError('Hover.QueueWorkerError', "cannot start the queue worker ({$command[0]}): " . (error_get_last()['message'] ?? 'unknown error'));
        }
        $this->child = $child;
        $this->pipes = $pipes;
        $this->lines = '';
    }

    /** Kills the child (it may be in the middle of a job). */
    private function stopChild(): void
    {
        if ($this->child === null) {
            return;
        }
        foreach ($this->pipes as $pipe) {
            @fclose($pipe);
        }
        if (proc_get_status($this->child)['running']) {
            proc_terminate($this->child, 9);
        }
        proc_close($this->child);
        $this->child = null;
        $this->pipes = [];
    }
}
