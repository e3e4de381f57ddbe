<?php
// Hover\Runtime\Queue\Job: one SQS record from Lambda as a Laravel queue job. Release and delete
// only record what was asked (the runtime answers Lambda and talks to SQS itself).
declare(strict_types=1);

namespace Hover\Runtime\Queue;

use DateInterval;
use DateTimeInterface;
use Illuminate\Container\Container;
use Illuminate\Contracts\Queue\Job as JobContract;
use Illuminate\Queue\Jobs\Job as LaravelJob;
use Throwable;

final class Job extends LaravelJob implements JobContract
{
    /** SQS's longest visibility timeout: a release cannot be delayed longer. */
    public const MAX_DELAY = 43200;

    /** @var array<string, mixed> */
    private array $record;

    /** Seconds before the released message is visible again. */
    public int $releaseDelay = 0;

    /** The exception the job failed with (from JobFailed). */
    public ?Throwable $failure = null;

    /** @param array<string, mixed> $record */
    public function __construct(Container $container, array $record, string $connectionName, string $queue)
    {
        $this->container = $container;
        $this->record = $record;
        $this->connectionName = $connectionName;
        $this->queue = $queue;
    }

    /** The queue's name from the record's eventSourceARN (arn:aws:sqs:<region>:<account>:<name>). */
    public static function queueName(array $record): string
    {
        $arn = (string) ($record['eventSourceARN'] ?? '');
        $colon = strrpos($arn, ':');
        $name = $colon === false ? $arn : substr($arn, $colon + 1);

        return $name !== '' ? $name : 'default';
    }

    public function release($delay = 0)
    {
        parent::release($delay);
        if ($delay instanceof DateInterval) {
            $delay = (new \DateTimeImmutable())->add($delay);
        }
        if ($delay instanceof DateTimeInterface) {
            $delay = $delay->getTimestamp() - time();
        }
        $this->releaseDelay = min(max(0, (int) $delay), self::MAX_DELAY);
    }

    public function getJobId()
    {
        return (string) ($this->record['messageId'] ?? '');
    }

    public function getRawBody()
    {
        return (string) ($this->record['body'] ?? '');
    }

    /** ApproximateReceiveCount: how many times SQS has handed the message out, this time included. */
    public function attempts()
    {
        return max(1, (int) ($this->record['attributes']['ApproximateReceiveCount'] ?? 1));
    }

    /** @return array<string, mixed> */
    public function getRecord(): array
    {
        return $this->record;
    }
}
