<?php
// Maintenance mode of the whole stage: the state `hover down` writes in the stage's bucket, read at most once per TTL
// (a conditional GET), and put into this container's Laravel with its own `artisan down` / `artisan up`.
declare(strict_types=1);

namespace Hover\Runtime;

final class Maintenance
{
    /** The state's key in the stage's bucket (hover writes it: `hover down`, `hover up`). */
    public const KEY = 'hover/maintenance.json';
    /** Seconds a state read is used before the object is asked again (HOVER_MAINTENANCE_TTL). */
    public const TTL = 5.0;

    private ?string $etag = null;
    private float $checkedAt = -INF;
    /** @var array{secret:?string,retry:?int,render:?string}|null the options while down, null while up */
    private ?array $state = null;
    /** The options Laravel was last put down with by this container (null: not by it). */
    private ?string $applied = null;
    private ?string $lastError = null;

    public function __construct(private Aws $aws, private string $root, private ?string $bucket, private float $ttl = self::TTL)
    {
    }

    /** The stage's bucket from HOVER_MAINTENANCE_BUCKET (no bucket: the stage is never down). */
    public static function fromEnvironment(Aws $aws, string $root): self
    {
        $bucket = (string) getenv('HOVER_MAINTENANCE_BUCKET');
        $ttl = getenv('HOVER_MAINTENANCE_TTL');
        return new self($aws, $root, $bucket === '' ? null : $bucket, is_numeric($ttl) ? max(0.0, (float) $ttl) : self::TTL);
    }

    /** Whether the stage is down, reading the state when the last read is older than the TTL. */
    public function down(): bool
    {
        $this->refresh();
        return $this->state !== null;
    }

    /**
     * Puts this container's Laravel in the stage's state: `artisan down` with the stage's options
     * (again when they changed) or `artisan up`, each only when Laravel is not in that state yet.
     * Returns whether the stage is down.
     */
    public function sync(float $until): bool
    {
        $this->refresh();
        $file = self::storage() . '/framework/down';
        if ($this->state === null) {
            if (is_file($file)) {
                $this->artisan(['up'], $until);
            }
            $this->applied = null;
            return false;
        }
        $wanted = json_encode($this->state);
        if ($this->applied !== $wanted || !is_file($file)) {
            // Laravel's `down` keeps an existing down file as it is: new options need it gone first.
            @unlink($file);
            $words = ['down'];
            foreach (['secret', 'retry', 'render'] as $option) {
                if ($this->state[$option] !== null && $this->state[$option] !== '') {
                    $words[] = "--$option=" . $this->state[$option];
                }
            }
            if ($this->artisan($words, $until)) {
                $this->applied = $wanted;
            }
        }
        return true;
    }

    /** Laravel's storage directory (APP_STORAGE, which the runtime sets). */
    public static function storage(): string
    {
        return rtrim((string) (getenv('APP_STORAGE') ?: Main::STORAGE), '/');
    }

    private function refresh(): void
    {
        if ($this->bucket === null || microtime(true) - $this->checkedAt < $this->ttl) {
            return;
        }
        $this->checkedAt = microtime(true);
        try {
            [$status, $etag, $body] = $this->aws->s3Get($this->bucket, self::KEY, $this->etag);
        } catch (AwsError $e) {
            // The state as last read stays; the same failure is logged once.
            if ($e->getMessage() !== $this->lastError) {
                Log::line("hover: maintenance: cannot read s3://{$this->bucket}/" . self::KEY . ": {$e->getMessage()}; the stage stays " . ($this->state === null ? 'up' : 'down') . ' here until it can');
                $this->lastError = $e->getMessage();
            }
            return;
        }
        $this->lastError = null;
        if ($status === 304) {
            return;
        }
        $this->etag = $status === 200 ? $etag : null;
        $this->state = $status === 200 ? self::parse($body) : null;
    }

    /** The options of a state object, or null when it says the stage is up (or is not one). */
    public static function parse(string $body): ?array
    {
        $doc = json_decode($body, true);
        if (!is_array($doc) || ($doc['down'] ?? false) !== true) {
            if (!is_array($doc)) {
                Log::line('hover: maintenance: the state object is not JSON; the stage is taken as up');
            }
            return null;
        }
        $text = static fn ($v) => is_string($v) && $v !== '' ? $v : null;
        return [
            'secret' => $text($doc['secret'] ?? null),
            'retry' => is_int($doc['retry'] ?? null) && $doc['retry'] > 0 ? $doc['retry'] : null,
            'render' => $text($doc['render'] ?? null),
        ];
    }

    private function artisan(array $words, float $until): bool
    {
        $started = microtime(true);
        $result = CliRole::run([Main::php(), ...Main::phpFlags(), 'artisan', ...$words, '--no-interaction'], $this->root, $until);
        $ms = (int) round((microtime(true) - $started) * 1000);
        if ($result['exit_code'] !== 0) {
            Log::line("hover: maintenance: `artisan {$words[0]}` exited with {$result['exit_code']} ($ms ms)");
            return false;
        }
        Log::line("hover: maintenance: the stage is " . ($words[0] === 'up' ? 'up' : 'down') . " here (`artisan {$words[0]}`, $ms ms)");
        return true;
    }
}
