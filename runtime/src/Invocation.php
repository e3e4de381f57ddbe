<?php
// One invocation from the Runtime API: request id, deadline and the raw event.
declare(strict_types=1);

namespace Hover\Runtime;

final class Invocation
{
    /** When the event arrived (epoch s). */
    public readonly float $receivedAt;

    public function __construct(
        public readonly string $id,
        public readonly int $deadlineMs,
        public readonly string $functionArn,
        public readonly string $body,
    ) {
        $this->receivedAt = microtime(true);
    }

    /** Seconds left before the deadline (Lambda's clock is the epoch). */
    public function remaining(): float
    {
        return $this->deadlineMs / 1000 - microtime(true);
    }

    /** The epoch time (seconds) at which the runtime gives up: one second before the deadline. */
    public function cutoff(): float
    {
        return $this->deadlineMs / 1000 - 1.0;
    }

    /** The decoded event (an array, or an object that keeps `{}` apart from `[]`), or an error naming what is wrong. */
    public function event(bool $asArray = true): array|\stdClass
    {
        $event = json_decode($this->body, $asArray);
        if (!is_array($event) && !$event instanceof \stdClass) {
            throw new InvocationError('Hover.BadEvent', 'the event is not a JSON object: ' . substr($this->body, 0, 100));
        }
        return $event;
    }
}
