<?php
// Init (build facts, role, storage under /tmp, environment defaults, secrets) and the invocation loop.
declare(strict_types=1);

namespace Hover\Runtime;

final class Main
{
    public const STORAGE = '/tmp/storage';

    public static function run(string $runtimeDir): int
    {
        $address = getenv('AWS_LAMBDA_RUNTIME_API');
        if ($address === false || $address === '') {
            Log::line('hover: AWS_LAMBDA_RUNTIME_API is not set: this runtime runs inside AWS Lambda (or its emulator)');
            return 1;
        }
        $api = new RuntimeApi($address);
        try {
            $role = self::init($runtimeDir);
        } catch (InitError $e) {
            Log::line("hover: init failed: {$e->type}: {$e->getMessage()}");
            $api->initError($e->type, $e->getMessage());
            return 1;
        } catch (\Throwable $e) {
            $message = get_class($e) . ': ' . $e->getMessage();
            Log::line("hover: init failed: $message");
            $api->initError('Hover.InitError', $message);
            return 1;
        }
        try {
            while (true) {
                self::serve($api, $role, $api->next());
            }
        } catch (\Throwable $e) {
            // Only the Runtime API itself gets here: without it there is nothing left to serve.
            Log::line("hover: the Lambda Runtime API at $address failed: " . get_class($e) . ': ' . $e->getMessage());
            return 1;
        }
    }

    /** One invocation, answered whatever the role does; only a Runtime API failure escapes. */
    private static function serve(RuntimeApi $api, object $role, Invocation $invocation): void
    {
        try {
            $answer = $role->handle($invocation);
            $api->respond($invocation->id, json_encode(
                $answer,
                JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE | JSON_PRESERVE_ZERO_FRACTION,
            ));
        } catch (InvocationError $e) {
            Log::line("hover: invocation {$invocation->id} failed: {$e->type}: {$e->getMessage()}");
            $api->fail($invocation->id, $e->type, $e->getMessage());
        } catch (\Throwable $e) {
            $type = 'Hover.' . substr((string) strrchr('\\' . get_class($e), '\\'), 1);
            Log::line("hover: invocation {$invocation->id} failed: $type: {$e->getMessage()}");
            $api->fail($invocation->id, $type, $e->getMessage());
        }
    }

    /** Everything before the first event; returns the role's handler. */
    public static function init(string $runtimeDir): HttpRole|CliRole|QueueRole
    {
        $facts = is_file("$runtimeDir/build.json") ? json_decode((string) file_get_contents("$runtimeDir/build.json"), true) : [];
        if (!is_array($facts)) {
            throw new InitError('Hover.ConfigError', "$runtimeDir/build.json is not a JSON object");
        }
        $function = (string) getenv('AWS_LAMBDA_FUNCTION_NAME');
        $role = preg_match('/-(http|cli|queue)$/', $function, $m) ? $m[1] : null;
        Log::line(sprintf(
            'hover runtime %s build %s role %s',
            $facts['hover_version'] ?? 'unknown',
            $facts['build_id'] ?? 'unknown',
            $role ?? '-',
        ));
        if ($role === null) {
            throw new InitError('Hover.ConfigError', "the function name `$function` ends in none of -http, -cli, -queue: the runtime cannot tell its role");
        }
        $root = (string) (getenv('LAMBDA_TASK_ROOT') ?: getcwd());
        self::storage($root, (string) ($facts['build_id'] ?? ''));
        $aws = Aws::fromEnvironment();
        $secrets = Secrets::load(
            "$root/.hover/secrets.env",
            '.hover/secrets.env',
            isset($facts['name']) ? (string) $facts['name'] : null,
            [$aws, 'kmsDecrypt'],
        );
        foreach ($secrets as $name => $value) {
            self::setDefault($name, $value);
        }
        $maintenance = Maintenance::fromEnvironment($aws, $root);
        return match ($role) {
            'http' => new HttpRole($root, $aws, null, $maintenance),
            'cli' => new CliRole($root, $maintenance),
            'queue' => new QueueRole($root, $runtimeDir, $aws, $maintenance),
        };
    }

    /**
     * Laravel's writable paths live under /tmp (the task root is read-only on Lambda). The
     * caches Laravel derives from the code (packages, services, routes, events) go in a directory
     * of this build's own, so a /tmp that outlives the image (on a host running several) never
     * serves one application's caches to another. A stage whose environment sets APP_STORAGE
     * (somewhere under /tmp) has it there.
     */
    private static function storage(string $root, string $buildId): void
    {
        $s = rtrim((string) (getenv('APP_STORAGE') ?: self::STORAGE), '/');
        $cache = "$s/bootstrap/cache/" . substr(md5("$root\0$buildId"), 0, 12);
        foreach (['app/public', 'framework/cache/data', 'framework/sessions', 'framework/views', 'logs', 'bootstrap/cache', substr($cache, strlen($s) + 1)] as $dir) {
            if (!is_dir("$s/$dir") && !@mkdir("$s/$dir", 0777, true) && !is_dir("$s/$dir")) {
                throw new InitError('Hover.StorageError', "cannot create $s/$dir: " . (error_get_last()['message'] ?? 'unknown error'));
            }
        }
        // Caches the image was built with (`package:discover`, `route:cache`, `event:cache`) are
        // used from a writable copy: Laravel rewrites some of them when they go stale. The
        // configuration is never taken from the image: it is read at cold start, secrets included.
        foreach (['services.php', 'packages.php', 'routes-v7.php', 'events.php'] as $file) {
            $built = "$root/bootstrap/cache/$file";
            if ($root !== '' && is_file($built)
                && (!is_file("$cache/$file") || md5_file($built) !== md5_file("$cache/$file"))) {
                @copy($built, "$cache/$file");
            }
        }
        foreach ([
            'APP_STORAGE' => $s,
            'VIEW_COMPILED_PATH' => "$s/framework/views",
            'APP_SERVICES_CACHE' => "$cache/services.php",
            'APP_PACKAGES_CACHE' => "$cache/packages.php",
            'APP_ROUTES_CACHE' => "$cache/routes-v7.php",
            'APP_EVENTS_CACHE' => "$cache/events.php",
            // hover sets it to this very path on every function
            'APP_CONFIG_CACHE' => "$s/bootstrap/cache/config.php",
            'LOG_CHANNEL' => 'stderr',
        ] as $name => $value) {
            self::setDefault($name, $value);
        }
    }

    /** Sets a variable for this process and its children unless the environment already has it. */
    public static function setDefault(string $name, string $value): void
    {
        if (getenv($name) !== false) {
            return;
        }
        putenv("$name=$value");
        $_ENV[$name] = $value;
        $_SERVER[$name] = $value;
    }

    /**
     * The php.ini settings the runtime's own PHP children (artisan, queue worker) run with. A CLI
     * process shares no OPcache memory with another: the file cache under /tmp is what carries over.
     */
    public static function phpFlags(): array
    {
        return [
            '-d', 'opcache.enable_cli=1', '-d', 'opcache.file_cache=/tmp/hover-opcache', '-d', 'opcache.file_cache_only=1',
            '-d', 'opcache.validate_timestamps=0', '-d', 'variables_order=EGPCS',
        ];
    }

    public static function php(): string
    {
        return (string) (getenv('HOVER_PHP') ?: '/usr/local/bin/php');
    }
}
