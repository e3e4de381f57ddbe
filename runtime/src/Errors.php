<?php
// The runtime's errors: init failures, failed invocations and AWS API errors (messages never hold secret values).
declare(strict_types=1);

namespace Hover\Runtime;

/** A failure while the runtime starts: posted to /runtime/init/error, then the process exits. */
final class InitError extends \RuntimeException
{
    public function __construct(public readonly string $type, string $message)
    {
        parent::__construct($message);
    }
}

/** One invocation failed: answered on /invocation/<id>/error; the loop goes on. */
final class InvocationError extends \RuntimeException
{
    public function __construct(public readonly string $type, string $message)
    {
        parent::__construct($message);
    }
}

/** An AWS API answered with an error (or could not be reached). */
final class AwsError extends \RuntimeException
{
    public function __construct(
        public readonly string $service,
        public readonly string $operation,
        public readonly string $errorCode,
        public readonly string $detail,
        public readonly int $status = 0,
    ) {
        parent::__construct("$service $operation failed: $errorCode: $detail" . ($status ? " (HTTP $status)" : ''));
    }
}
