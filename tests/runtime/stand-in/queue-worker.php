<?php
// Test stand-in for runtime/queue-worker.php: speaks the queue protocol; the SQS body says what the "job" does.
// Body: {"do": "delete"|"release"|"fail"|"sleep"|"crash"|"garbage", "delay": n, "seconds": n, "timeout": n}.
$answers = fopen('php://fd/3', 'w');
$journal = getenv('STAND_IN_JOURNAL');
$answer = static function (array $a) use ($answers): void {
    fwrite($answers, json_encode($a) . "\n");
    fflush($answers);
};
fwrite(STDERR, 'stand-in worker started pid ' . getmypid() . "\n");
while (($line = fgets(STDIN)) !== false) {
    $job = json_decode($line, true);
    if ($journal) {
        // the line as received (decoding to arrays would turn {} into [])
        file_put_contents($journal, '{"pid":' . getmypid() . ',' . substr(trim($line), 1) . "\n", FILE_APPEND);
    }
    $body = json_decode($job['record']['body'], true) ?: [];
    echo "job {$job['record']['messageId']} op {$job['op']}\n";
    if ($job['op'] === 'timed_out') {
        usleep((int) (($body['slow_timed_out'] ?? 0) * 1e6));
        $attempts = (int) $job['record']['attributes']['ApproximateReceiveCount'];
        if ($attempts >= $job['tries']) {
            $answer(['result' => 'failed', 'error' => 'Illuminate\Queue\MaxAttemptsExceededException: App\Jobs\Slow has timed out.']);
        } else {
            $answer(['result' => 'released', 'delay' => $job['backoff'][$attempts - 1] ?? end($job['backoff']) ?: 0]);
        }
        continue;
    }
    if (isset($body['timeout'])) {
        $answer(['timeout' => $body['timeout']]);
    }
    switch ($body['do'] ?? 'delete') {
        case 'sleep':
            usleep((int) ($body['seconds'] * 1e6));
            $answer(['result' => 'deleted']);
            break;
        case 'release':
            $answer(['result' => 'released', 'delay' => $body['delay'] ?? 0]);
            break;
        case 'fail':
            $answer(['result' => 'failed', 'error' => 'RuntimeException: it broke']);
            break;
        case 'crash':
            exit(3);
        case 'garbage':
            fwrite($answers, "not json\n");
            $answer(['result' => 'deleted']);
            break;
        default:
            $answer(['result' => 'deleted']);
    }
}
