<?php
// Queues: the `sqs` connection the stage's queue functions consume (queue URLs from SQS_PREFIX
// and SQS_SUFFIX, which hover sets). Failed jobs are not stored (the queues' dead-letter queues keep them).

return [
    'default' => env('QUEUE_CONNECTION', 'sqs'),

    'connections' => [
        'sync' => [
            'driver' => 'sync',
        ],

        'sqs' => [
            'driver' => 'sqs',
            'key' => env('AWS_ACCESS_KEY_ID'),
            'secret' => env('AWS_SECRET_ACCESS_KEY'),
            'token' => env('AWS_SESSION_TOKEN'),
            'prefix' => env('SQS_PREFIX', 'https://sqs.us-east-1.amazonaws.com/your-account-id'),
            'queue' => env('SQS_QUEUE', 'default'),
            'suffix' => env('SQS_SUFFIX'),
            'region' => env('AWS_REGION', env('AWS_DEFAULT_REGION', 'us-east-1')),
            'after_commit' => false,
        ],
    ],

    'failed' => [
        'driver' => env('QUEUE_FAILED_DRIVER', 'null'),
    ],
];
