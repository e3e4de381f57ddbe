<?php
// The http role: API Gateway HTTP API (payload 2.0) events to php-fpm and back, deadline, warmer and pings.
declare(strict_types=1);

namespace Hover\Runtime;

final class HttpRole
{
    private Fpm $fpm;

    public function __construct(private string $root, private Aws $aws, ?Fpm $fpm = null, private ?Maintenance $maintenance = null)
    {
        $this->fpm = $fpm ?? new Fpm((string) (getenv('HOVER_PHP_FPM') ?: '/usr/local/sbin/php-fpm'));
        $this->fpm->start();
    }

    public function handle(Invocation $invocation): array
    {
        $event = $invocation->event();
        // The stage's maintenance state first: Laravel's own middleware then answers while down.
        $this->maintenance?->sync($invocation->cutoff());
        if (!empty($event['warmer_ping'])) {
            return $this->ping($invocation);
        }
        if (!empty($event['warmer'])) {
            return $this->warm($invocation, (int) ($event['containers'] ?? 1));
        }
        if (!isset($event['requestContext']['http']['method'])) {
            throw new InvocationError('Hover.UnsupportedEvent', 'the http function answers API Gateway HTTP API events (payload format 2.0) and warmer events; this event has neither requestContext.http nor warmer');
        }
        return $this->request($invocation, $event);
    }

    /** One HTTP request through php-fpm; the answer in payload 2.0 form. */
    private function request(Invocation $invocation, array $event): array
    {
        [$params, $body] = self::params($event, $this->root);
        $cutoff = $invocation->cutoff();
        try {
            $stdout = FastCgi::exchange($this->fpm->connect($cutoff), $params, $body, $cutoff, self::logStderr(...));
        } catch (\RuntimeException $e) {
            $this->fpm->restart();
            throw new InvocationError('Hover.FpmError', "{$params['REQUEST_METHOD']} {$params['REQUEST_URI']}: {$e->getMessage()}; php-fpm restarted");
        }
        if ($stdout === null) {
            $this->fpm->restart();
            throw new InvocationError('Hover.HttpTimeout', sprintf(
                '%s %s did not answer within the function timeout of %d s (abandoned 1 s before the deadline); php-fpm restarted',
                $params['REQUEST_METHOD'],
                $event['rawPath'] ?? '/',
                round($invocation->deadlineMs / 1000 - $invocation->receivedAt),
            ));
        }
        return self::response($stdout);
    }

    /** The CGI params and the request body of a payload 2.0 event. */
    public static function params(array $event, string $root): array
    {
        $http = $event['requestContext']['http'];
        $body = (string) ($event['body'] ?? '');
        if (!empty($event['isBase64Encoded'])) {
            $body = (string) base64_decode($body);
        }
        $path = (string) ($event['rawPath'] ?? $http['path'] ?? '/');
        $query = (string) ($event['rawQueryString'] ?? '');
        $headers = [];
        foreach ($event['headers'] ?? [] as $name => $value) {
            $headers[strtolower((string) $name)] = (string) $value;
        }
        if (!empty($event['cookies'])) {
            $cookies = implode('; ', $event['cookies']);
            $headers['cookie'] = isset($headers['cookie']) ? $headers['cookie'] . '; ' . $cookies : $cookies;
        }
        $https = strtolower($headers['x-forwarded-proto'] ?? '') === 'https';
        $host = $headers['host'] ?? (string) ($event['requestContext']['domainName'] ?? 'localhost');
        $params = [
            'GATEWAY_INTERFACE' => 'CGI/1.1',
            'SERVER_SOFTWARE' => 'hover',
            'SERVER_PROTOCOL' => (string) ($http['protocol'] ?? 'HTTP/1.1'),
            'SERVER_NAME' => preg_replace('/:\d+$/', '', $host),
            'SERVER_PORT' => $headers['x-forwarded-port'] ?? ($https ? '443' : '80'),
            'SERVER_ADDR' => '127.0.0.1',
            'REMOTE_ADDR' => preg_replace('#/\d+$#', '', (string) ($http['sourceIp'] ?? '127.0.0.1')),
            'REMOTE_PORT' => '0',
            'REQUEST_METHOD' => strtoupper((string) $http['method']),
            'REQUEST_URI' => $path . ($query !== '' ? "?$query" : ''),
            'QUERY_STRING' => $query,
            'DOCUMENT_ROOT' => "$root/public",
            'SCRIPT_FILENAME' => "$root/public/index.php",
            'SCRIPT_NAME' => '/index.php',
            'PATH_INFO' => '',
        ];
        // As a web server passes them: a length when there is a body, a type when one was sent.
        if ($body !== '' || isset($headers['content-length'])) {
            $params['CONTENT_LENGTH'] = (string) strlen($body);
        }
        if (isset($headers['content-type'])) {
            $params['CONTENT_TYPE'] = $headers['content-type'];
        }
        if ($https) {
            $params['HTTPS'] = 'on';
        }
        foreach ($headers as $name => $value) {
            if ($name !== 'content-type' && $name !== 'content-length') {
                $params['HTTP_' . strtoupper(str_replace('-', '_', $name))] = $value;
            }
        }
        return [$params, $body];
    }

    /** php-fpm's stdout (CGI headers, blank line, body) as a payload 2.0 answer. */
    public static function response(string $stdout): array
    {
        $split = strpos($stdout, "\r\n\r\n");
        $skip = 4;
        if ($split === false && ($split = strpos($stdout, "\n\n")) !== false) {
            $skip = 2;
        }
        $head = $split === false ? $stdout : substr($stdout, 0, $split);
        $body = $split === false ? '' : substr($stdout, $split + $skip);
        $status = 200;
        $headers = [];
        $cookies = [];
        foreach (preg_split('/\r?\n/', $head) as $line) {
            if (!str_contains($line, ':')) {
                continue;
            }
            [$name, $value] = explode(':', $line, 2);
            $name = strtolower(trim($name));
            $value = trim($value);
            if ($name === 'status') {
                $status = (int) $value ?: 200;
            } elseif ($name === 'set-cookie') {
                $cookies[] = $value;
            } else {
                $headers[$name] = isset($headers[$name]) ? "$headers[$name], $value" : $value;
            }
        }
        $type = strtolower($headers['content-type'] ?? '');
        $text = $body === '' || (preg_match('#^text/|json|xml|javascript|x-www-form-urlencoded#', $type) && preg_match('//u', $body));
        return [
            'statusCode' => $status,
            'headers' => (object) $headers,
            'cookies' => $cookies,
            'body' => $text ? $body : base64_encode($body),
            'isBase64Encoded' => !$text,
        ];
    }

    /** A ping: one request through php-fpm (warms OPcache and the app), then ~50 ms so pings spread. */
    private function ping(Invocation $invocation): array
    {
        $started = microtime(true);
        $this->warmFpm($invocation);
        $rest = 0.05 - (microtime(true) - $started);
        if ($rest > 0) {
            usleep((int) ($rest * 1e6));
        }
        return ['warm' => true];
    }

    /** The warmer: N−1 async invocations of this very version, then warms this container. */
    private function warm(Invocation $invocation, int $containers): array
    {
        $containers = max(1, $containers);
        if ($containers > 1) {
            $function = (string) getenv('AWS_LAMBDA_FUNCTION_NAME');
            $version = (string) (getenv('AWS_LAMBDA_FUNCTION_VERSION') ?: '$LATEST');
            $errors = array_filter($this->aws->invokeAsync($function, $version, array_fill(0, $containers - 1, '{"warmer_ping":true}')));
            foreach ($errors as $error) {
                Log::line("hover: warmer: {$error->getMessage()}");
            }
            if ($errors && count($errors) === $containers - 1) {
                throw new InvocationError('Hover.WarmerError', reset($errors)->getMessage());
            }
        }
        $this->warmFpm($invocation);
        return ['warm' => true, 'containers' => $containers];
    }

    private function warmFpm(Invocation $invocation): void
    {
        $event = ['rawPath' => '/', 'headers' => ['user-agent' => 'hover-warmer', 'host' => 'localhost'],
            'requestContext' => ['http' => ['method' => 'GET', 'sourceIp' => '127.0.0.1']]];
        [$params] = self::params($event, $this->root);
        try {
            if (FastCgi::exchange($this->fpm->connect($invocation->cutoff()), $params, '', $invocation->cutoff(), self::logStderr(...)) === null) {
                $this->fpm->restart();
            }
        } catch (\RuntimeException $e) {
            Log::line("hover: warming php-fpm failed: {$e->getMessage()}");
        }
    }

    private static function logStderr(string $text): void
    {
        fwrite(STDERR, str_ends_with($text, "\n") ? $text : "$text\n");
    }
}
