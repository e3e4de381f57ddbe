<?php
// The Lambda Runtime API (2018-06-01): next invocation, response, invocation error, init error.
declare(strict_types=1);

namespace Hover\Runtime;

final class RuntimeApi
{
    private Http $http;
    private string $base;

    public function __construct(string $address)
    {
        $this->base = "http://$address/2018-06-01/runtime";
        // /next waits for the next event as long as the sandbox lives.
        $this->http = new Http(86400 * 365);
    }

    /** Waits for the next event. */
    public function next(): Invocation
    {
        [$status, $headers, $body] = $this->http->request('GET', "$this->base/invocation/next");
        if ($status !== 200) {
            throw new \RuntimeException("the Runtime API answered /next with HTTP $status: " . substr($body, 0, 200));
        }
        return new Invocation(
            $headers['lambda-runtime-aws-request-id'] ?? '',
            (int) ($headers['lambda-runtime-deadline-ms'] ?? 0),
            $headers['lambda-runtime-invoked-function-arn'] ?? '',
            $body,
        );
    }

    public function respond(string $id, string $json): void
    {
        $this->post("invocation/$id/response", $json, []);
    }

    public function fail(string $id, string $type, string $message): void
    {
        $this->post("invocation/$id/error", self::error($type, $message), ['Lambda-Runtime-Function-Error-Type' => $type]);
    }

    public function initError(string $type, string $message): void
    {
        $this->post('init/error', self::error($type, $message), ['Lambda-Runtime-Function-Error-Type' => $type]);
    }

    private static function error(string $type, string $message): string
    {
        return json_encode(
            ['errorMessage' => $message, 'errorType' => $type, 'stackTrace' => []],
            JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE,
        );
    }

    private function post(string $path, string $body, array $headers): void
    {
        [$status, , $answer] = $this->http->request('POST', "$this->base/$path", $headers + ['Content-Type' => 'application/json'], $body);
        if ($status >= 300) {
            Log::line("hover: the Runtime API refused /$path with HTTP $status: " . substr($answer, 0, 300));
        }
    }
}
