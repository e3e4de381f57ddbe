<?php
// The cli role: `{"command": "..."}` → `php artisan <words> --no-interaction` without a shell, output streamed and captured.
declare(strict_types=1);

namespace Hover\Runtime;

final class CliRole
{
    /** psysh's configuration (`hover tinker`): no update check, no pager, nothing outside /tmp. */
    public const PSYSH_CONFIG = '/tmp/hover-psysh/config.php';

    public function __construct(private string $root, private ?Maintenance $maintenance = null)
    {
        self::psysh();
    }

    /**
     * What tinker's psysh needs on Lambda, where only /tmp is writable: its config, data and
     * history under /tmp (HOME, XDG_*), and a config file of the runtime's (PSYSH_CONFIG) that
     * turns off the update check, the pager, forking and readline. Variables already set win.
     */
    public static function psysh(): void
    {
        $dir = dirname(self::PSYSH_CONFIG);
        if (!is_dir($dir)) {
            @mkdir($dir, 0777, true);
        }
        if (!is_file(self::PSYSH_CONFIG)) {
            @file_put_contents(self::PSYSH_CONFIG, "<?php\n// Written by hover's runtime: psysh (tinker) on Lambda.\nreturn [\n"
                . "    'updateCheck' => 'never',\n    'pager' => false,\n    'usePcntl' => false,\n    'useReadline' => false,\n"
                . "    'colorMode' => 'disabled',\n    'runtimeDir' => '$dir/run',\n    'historySize' => 100,\n];\n");
        }
        foreach ([
            'HOME' => '/tmp',
            'XDG_CONFIG_HOME' => '/tmp/.config',
            'XDG_DATA_HOME' => '/tmp/.local/share',
            'XDG_RUNTIME_DIR' => "$dir/run",
            'PSYSH_CONFIG' => self::PSYSH_CONFIG,
        ] as $name => $value) {
            Main::setDefault($name, $value);
        }
    }

    public function handle(Invocation $invocation): array
    {
        $event = $invocation->event();
        if (!isset($event['command']) && ($event['detail-type'] ?? '') === 'Scheduled Event') {
            $event['command'] = 'schedule:run';
        }
        if (!isset($event['command']) || !is_string($event['command'])) {
            throw new InvocationError('Hover.BadEvent', 'the cli function expects {"command": "<artisan arguments>"}; this event has no string "command"');
        }
        try {
            $words = self::words($event['command']);
        } catch (\InvalidArgumentException $e) {
            return ['exit_code' => 2, 'output' => base64_encode("hover: cannot run the command: {$e->getMessage()}\n")];
        }
        if (($words[0] ?? '') === 'php' && ($words[1] ?? '') === 'artisan') {
            $words = array_slice($words, 2);
        } elseif (($words[0] ?? '') === 'artisan') {
            $words = array_slice($words, 1);
        }
        if (!in_array('--no-interaction', $words, true) && !in_array('-n', $words, true)) {
            $words[] = '--no-interaction';
        }
        // In the stage's maintenance state, as Laravel sees it: `schedule:run` skips its tasks while down.
        $this->maintenance?->sync($invocation->cutoff());
        return self::run([Main::php(), ...Main::phpFlags(), 'artisan', ...$words], $this->root, $invocation->cutoff());
    }

    /**
     * Runs a command (no shell); its output (stdout and stderr, interleaved) is copied to stderr as it
     * comes and captured. Stopped at $until (epoch s).
     */
    public static function run(array $command, string $cwd, float $until): array
    {
        $process = @proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes, $cwd);
        if ($process === false) {
            return ['exit_code' => 127, 'output' => base64_encode("hover: cannot start {$command[0]}: " . (error_get_last()['message'] ?? 'unknown error') . "\n")];
        }
        $out = $pipes[1];
        stream_set_blocking($out, false);
        $output = '';
        $exit = null;
        $timedOut = false;
        while (true) {
            $status = proc_get_status($process);
            if (!$status['running']) {
                $exit = $status['signaled'] ? 128 + $status['termsig'] : $status['exitcode'];
                break;
            }
            $left = $until - microtime(true);
            if ($left <= 0) {
                $timedOut = true;
                break;
            }
            $read = [$out];
            $write = $except = null;
            if (@stream_select($read, $write, $except, 0, (int) (min($left, 0.05) * 1e6)) > 0) {
                $chunk = (string) fread($out, 65536);
                fwrite(STDERR, $chunk);
                $output .= $chunk;
            }
        }
        if ($timedOut) {
            proc_terminate($process, 15);
            for ($i = 0; $i < 50 && proc_get_status($process)['running']; $i++) {
                usleep(5000);
            }
            if (proc_get_status($process)['running']) {
                proc_terminate($process, 9);
            }
        }
        // What the process wrote before it ended (without waiting on descendants that keep the pipe).
        while (($chunk = fread($out, 65536)) !== false && $chunk !== '') {
            fwrite(STDERR, $chunk);
            $output .= $chunk;
        }
        fclose($out);
        proc_close($process);
        if ($timedOut) {
            $line = "hover: the command was stopped: still running 1 s before the invocation's deadline\n";
            fwrite(STDERR, $line);
            return ['exit_code' => 124, 'output' => base64_encode($output . ($output === '' || str_ends_with($output, "\n") ? '' : "\n") . $line), 'timed_out' => true];
        }
        return ['exit_code' => $exit, 'output' => base64_encode($output)];
    }

    /** Splits a command line into words as a POSIX shell does (quotes, backslashes), without expanding anything. */
    public static function words(string $line): array
    {
        $words = [];
        $word = '';
        $inWord = false;
        $n = strlen($line);
        for ($i = 0; $i < $n; $i++) {
            $c = $line[$i];
            if ($c === ' ' || $c === "\t" || $c === "\n") {
                if ($inWord) {
                    $words[] = $word;
                    $word = '';
                    $inWord = false;
                }
                continue;
            }
            $inWord = true;
            if ($c === "'") {
                $end = strpos($line, "'", $i + 1);
                if ($end === false) {
                    throw new \InvalidArgumentException("unbalanced single quote (at character $i)");
                }
                $word .= substr($line, $i + 1, $end - $i - 1);
                $i = $end;
            } elseif ($c === '"') {
                $start = $i;
                for ($i++; ; $i++) {
                    if ($i >= $n) {
                        throw new \InvalidArgumentException("unbalanced double quote (at character $start)");
                    }
                    $c = $line[$i];
                    if ($c === '"') {
                        break;
                    }
                    if ($c === '\\' && $i + 1 < $n && str_contains("\$`\"\\\n", $line[$i + 1])) {
                        $c = $line[++$i];
                        if ($c === "\n") {
                            continue;
                        }
                    }
                    $word .= $c;
                }
            } elseif ($c === '\\') {
                if ($i + 1 >= $n) {
                    throw new \InvalidArgumentException('the command ends with a lone backslash');
                }
                $c = $line[++$i];
                if ($c !== "\n") {
                    $word .= $c;
                }
            } else {
                $word .= $c;
            }
        }
        if ($inWord) {
            $words[] = $word;
        }
        return $words;
    }
}
