<?php
// A small AWS client: endpoints, SigV4 signing, and the calls the runtime makes (KMS Decrypt, Lambda Invoke, SQS, S3 GetObject).
declare(strict_types=1);

namespace Hover\Runtime;

final class Aws
{
    private Http $http;

    public function __construct(private array $env, ?Http $http = null)
    {
        $this->http = $http ?? new Http(30);
    }

    public static function fromEnvironment(): self
    {
        return new self(getenv());
    }

    public function region(): string
    {
        return $this->env['AWS_REGION'] ?? $this->env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
    }

    /** The endpoint of a service: AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, else AWS's. */
    public function endpoint(string $service): string
    {
        $url = $this->env['AWS_ENDPOINT_URL_' . strtoupper($service)] ?? $this->env['AWS_ENDPOINT_URL'] ?? '';
        if ($url !== '') {
            return rtrim($url, '/');
        }
        $region = $this->region();
        return "https://$service.$region.amazonaws.com" . (str_starts_with($region, 'cn-') ? '.cn' : '');
    }

    /** The data key a KMS blob holds (KMS Decrypt). */
    public function kmsDecrypt(string $blob): string
    {
        $out = $this->json('kms', 'Decrypt', 'TrentService', '1.1', ['CiphertextBlob' => base64_encode($blob)]);
        $plain = base64_decode((string) ($out['Plaintext'] ?? ''), true);
        if ($plain === false || $plain === '') {
            throw new AwsError('KMS', 'Decrypt', 'NoPlaintext', 'the answer holds no plaintext');
        }
        return $plain;
    }

    /** SQS ChangeMessageVisibility (JSON protocol). */
    public function changeMessageVisibility(string $queueUrl, string $receiptHandle, int $seconds): void
    {
        $this->json('sqs', 'ChangeMessageVisibility', 'AmazonSQS', '1.0', [
            'QueueUrl' => $queueUrl,
            'ReceiptHandle' => $receiptHandle,
            'VisibilityTimeout' => max(0, min(43200, $seconds)),
        ]);
    }

    /**
     * S3 GetObject, conditional on the ETag last seen (`If-None-Match`): [status, ETag, body] with
     * status 200 (the object), 304 (unchanged since $etag) or 404 (no such object or bucket).
     * @return array{0:int,1:?string,2:string}
     */
    public function s3Get(string $bucket, string $key, ?string $etag = null): array
    {
        $path = implode('/', array_map('rawurlencode', explode('/', $key)));
        $custom = ($this->env['AWS_ENDPOINT_URL_S3'] ?? $this->env['AWS_ENDPOINT_URL'] ?? '') !== '';
        $url = $custom || str_contains($bucket, '.')
            ? $this->endpoint('s3') . '/' . rawurlencode($bucket) . '/' . $path
            : 'https://' . $bucket . '.' . substr($this->endpoint('s3'), strlen('https://')) . '/' . $path;
        $headers = ['X-Amz-Content-Sha256' => hash('sha256', '')];
        if ($etag !== null && $etag !== '') {
            $headers['If-None-Match'] = $etag;
        }
        try {
            [$status, $h, $b] = $this->http->request('GET', $url, $this->sign('s3', 'GET', $url, $headers, ''), '');
        } catch (\RuntimeException $e) {
            throw new AwsError('S3', 'GetObject', 'Unreachable', "{$e->getMessage()} ($url)");
        }
        if ($status === 200 || $status === 304 || $status === 404) {
            return [$status, $h['etag'] ?? $etag, $status === 200 ? $b : ''];
        }
        throw self::error('S3', 'GetObject', $status, $h, $b);
    }

    /** The queue URL of an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>). */
    public function queueUrl(string $arn): string
    {
        $parts = explode(':', $arn);
        if (count($parts) !== 6 || $parts[2] !== 'sqs') {
            throw new \InvalidArgumentException("not an SQS queue ARN: $arn");
        }
        return $this->endpoint('sqs') . "/{$parts[4]}/{$parts[5]}";
    }

    /**
     * Asynchronous invocations (X-Amz-Invocation-Type: Event), all in flight at once.
     * @param list<string> $payloads
     * @return list<?AwsError> null for each accepted invocation
     */
    public function invokeAsync(string $function, string $qualifier, array $payloads): array
    {
        $url = $this->endpoint('lambda') . '/2015-03-31/functions/' . rawurlencode($function)
            . '/invocations?Qualifier=' . rawurlencode($qualifier);
        $requests = [];
        foreach ($payloads as $payload) {
            $headers = ['Content-Type' => 'application/json', 'X-Amz-Invocation-Type' => 'Event'];
            $requests[] = ['POST', $url, $this->sign('lambda', 'POST', $url, $headers, $payload), $payload];
        }
        $errors = [];
        foreach ($this->http->many($requests) as $answer) {
            if ($answer instanceof \RuntimeException) {
                $errors[] = new AwsError('Lambda', 'Invoke', 'Unreachable', $answer->getMessage());
            } elseif ($answer[0] >= 300) {
                $errors[] = self::error('Lambda', 'Invoke', ...$answer);
            } else {
                $errors[] = null;
            }
        }
        return $errors;
    }

    /** A call of an AWS JSON-protocol API; returns the decoded answer or throws AwsError. */
    public function json(string $service, string $operation, string $targetPrefix, string $version, array $input): array
    {
        $name = ['kms' => 'KMS', 'sqs' => 'SQS'][$service] ?? $service;
        $url = $this->endpoint($service) . '/';
        $body = json_encode($input, JSON_UNESCAPED_SLASHES);
        $headers = [
            'Content-Type' => "application/x-amz-json-$version",
            'X-Amz-Target' => "$targetPrefix.$operation",
        ];
        try {
            [$status, $h, $b] = $this->http->request('POST', $url, $this->sign($service, 'POST', $url, $headers, $body), $body);
        } catch (\RuntimeException $e) {
            throw new AwsError($name, $operation, 'Unreachable', "{$e->getMessage()} ($url)");
        }
        if ($status >= 300) {
            throw self::error($name, $operation, $status, $h, $b);
        }
        $out = json_decode($b, true);
        return is_array($out) ? $out : [];
    }

    private static function error(string $service, string $operation, int $status, array $headers, string $body): AwsError
    {
        $doc = json_decode($body, true);
        $code = $headers['x-amzn-errortype'] ?? (is_array($doc) ? ($doc['__type'] ?? $doc['code'] ?? $doc['Code'] ?? '') : '');
        if ($code === '' && preg_match('#<Code>([^<]+)</Code>#', $body, $m)) {
            $code = $m[1];
        }
        $code = preg_replace('/[:].*$/', '', (string) $code);
        $code = substr((string) strrchr('#' . $code, '#'), 1) ?: 'HTTP' . $status;
        $message = is_array($doc) ? ($doc['message'] ?? $doc['Message'] ?? $doc['errorMessage'] ?? '') : '';
        if ($message === '' && preg_match('#<Message>([^<]*)</Message>#', $body, $m)) {
            $message = html_entity_decode($m[1]);
        }
        return new AwsError($service, $operation, $code, $message !== '' ? (string) $message : substr(trim($body), 0, 200), $status);
    }

    /** The headers of a request signed with SigV4 (credentials from the environment). */
    public function sign(string $service, string $method, string $url, array $headers, string $body, ?int $time = null): array
    {
        $key = (string) ($this->env['AWS_ACCESS_KEY_ID'] ?? '');
        $secret = (string) ($this->env['AWS_SECRET_ACCESS_KEY'] ?? '');
        if ($key === '' || $secret === '') {
            throw new AwsError(strtoupper($service), 'sign', 'NoCredentials', 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
        }
        $token = $this->env['AWS_SESSION_TOKEN'] ?? '';
        if ($token !== '') {
            $headers['X-Amz-Security-Token'] = $token;
        }
        return self::signV4($key, $secret, $this->region(), $service, $method, $url, $headers, $body, $time ?? time());
    }

    /** SigV4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html), with S3's single encoding of the path. */
    public static function signV4(
        string $key,
        string $secret,
        string $region,
        string $service,
        string $method,
        string $url,
        array $headers,
        string $body,
        int $time,
    ): array {
        $u = parse_url($url);
        $amzDate = gmdate('Ymd\THis\Z', $time);
        $date = substr($amzDate, 0, 8);
        $headers['X-Amz-Date'] = $amzDate;
        $canonical = ['host' => $u['host'] . (isset($u['port']) ? ':' . $u['port'] : '')];
        foreach ($headers as $name => $value) {
            $canonical[strtolower($name)] = preg_replace('/\s+/', ' ', trim((string) $value));
        }
        ksort($canonical, SORT_STRING);
        $signed = implode(';', array_keys($canonical));
        $path = $u['path'] ?? '/';
        // The path as sent, each segment encoded once more; S3 alone signs it encoded only once.
        $encode = $service === 's3' ? static fn ($s) => rawurlencode(rawurldecode($s)) : static fn ($s) => rawurlencode($s);
        $path = implode('/', array_map($encode, explode('/', $path === '' ? '/' : $path)));
        $query = [];
        if (($u['query'] ?? '') !== '') {
            foreach (explode('&', $u['query']) as $pair) {
                [$k, $v] = array_pad(explode('=', $pair, 2), 2, '');
                $query[] = [rawurlencode(rawurldecode($k)), rawurlencode(rawurldecode($v))];
            }
            usort($query, static fn ($a, $b) => [$a[0], $a[1]] <=> [$b[0], $b[1]]);
        }
        $request = implode("\n", [
            $method,
            $path,
            implode('&', array_map(static fn ($p) => "$p[0]=$p[1]", $query)),
            implode('', array_map(static fn ($k, $v) => "$k:$v\n", array_keys($canonical), $canonical)),
            $signed,
            hash('sha256', $body),
        ]);
        $scope = "$date/$region/$service/aws4_request";
        $toSign = "AWS4-HMAC-SHA256\n$amzDate\n$scope\n" . hash('sha256', $request);
        $k = hash_hmac('sha256', $date, 'AWS4' . $secret, true);
        $k = hash_hmac('sha256', $region, $k, true);
        $k = hash_hmac('sha256', $service, $k, true);
        $k = hash_hmac('sha256', 'aws4_request', $k, true);
        $headers['Authorization'] = "AWS4-HMAC-SHA256 Credential=$key/$scope, SignedHeaders=$signed, Signature="
            . hash_hmac('sha256', $toSign, $k);
        return $headers;
    }
}
