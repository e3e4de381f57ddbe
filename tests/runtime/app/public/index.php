<?php
// Test application of the runtime tests: answers what it received, and cookies, binary, status codes and sleeps on demand.
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);

// Laravel's maintenance middleware, in short: 503 while the down file is there.
if (is_file((getenv('APP_STORAGE') ?: '/tmp/storage') . '/framework/down')) {
    http_response_code(503);
    echo 'down: ' . file_get_contents((getenv('APP_STORAGE') ?: '/tmp/storage') . '/framework/down');
    return;
}

if (preg_match('#^/sleep/(\d+(?:\.\d+)?)$#', $path, $m)) {
    usleep((int) ($m[1] * 1e6));
    echo "slept $m[1]";
    return;
}
if (preg_match('#^/status/(\d{3})$#', $path, $m)) {
    http_response_code((int) $m[1]);
    echo "status $m[1]";
    return;
}
if ($path === '/cookies') {
    setcookie('first', 'one', ['path' => '/']);
    setcookie('second', 'two; with spaces', ['httponly' => true]);
    header('X-Multi: a', false);
    header('X-Multi: b', false);
    header('Content-Type: text/plain; charset=utf-8');
    echo 'cookies set';
    return;
}
if ($path === '/binary') {
    header('Content-Type: application/octet-stream');
    echo hash('sha256', file_get_contents('php://input'), true) . implode('', array_map('chr', range(0, 255)));
    return;
}
if ($path === '/redirect') {
    header('Location: /elsewhere');
    return;
}
if ($path === '/stderr') {
    error_log('a line from the application');
    echo 'logged';
    return;
}

header('Content-Type: application/json');
$server = [];
foreach ($_SERVER as $k => $v) {
    if (is_string($v)) {
        $server[$k] = $v;
    }
}
echo json_encode([
    'method' => $_SERVER['REQUEST_METHOD'],
    'server' => $server,
    'get' => $_GET,
    'cookies' => $_COOKIE,
    'headers' => getallheaders(),
    'body_b64' => base64_encode(file_get_contents('php://input')),
    'post' => $_POST,
    'secret_env' => getenv('HOVER_TEST_SECRET'),
], JSON_UNESCAPED_SLASHES | JSON_PRETTY_PRINT);
