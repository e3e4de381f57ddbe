<?php
// The stage's secrets: reads .hover/secrets.env (hover-secrets/1 or the original's format), decrypts it, parses dotenv.
declare(strict_types=1);

namespace Hover\Runtime;

final class Secrets
{
    /**
     * The variables of the secrets file ([] when it is missing or empty).
     * @param callable(string):string $kmsDecrypt the data key a KMS blob holds
     * @return array<string,string>
     */
    public static function load(string $file, string $label, ?string $stage, callable $kmsDecrypt): array
    {
        $text = is_file($file) ? trim((string) file_get_contents($file)) : '';
        if ($text === '') {
            return [];
        }
        $fail = static fn (string $why) => new InitError('Hover.SecretsError', "$label: $why");
        if (str_starts_with($text, "hover-secrets/1\n") || $text === 'hover-secrets/1') {
            $fields = [];
            foreach (array_slice(explode("\n", $text), 1) as $line) {
                if (preg_match('/^([a-z]+):\s*(.*?)\s*$/', $line, $m)) {
                    $fields[$m[1]] = $m[2];
                }
            }
            foreach (['stage', 'key', 'nonce', 'data'] as $field) {
                if (!isset($fields[$field])) {
                    throw $fail("not a hover secrets file: the field `$field` is missing");
                }
            }
            if ($stage !== null && $stage !== '' && $fields['stage'] !== $stage) {
                throw $fail("holds the secrets of stage `{$fields['stage']}`, not of `$stage`");
            }
            $blob = base64_decode($fields['key'], true);
            $nonce = base64_decode($fields['nonce'], true);
            $data = base64_decode($fields['data'], true);
            if ($blob === false || $nonce === false || $data === false || strlen($nonce) !== 12 || strlen($data) < 16) {
                throw $fail('not a hover secrets file: key, nonce or data is not valid base64 of the right length');
            }
            $key = self::dataKey($kmsDecrypt, $blob, $label);
            if (strlen($key) !== 32) {
                throw $fail('the data key KMS returned is ' . strlen($key) . ' bytes, AES-256 needs 32');
            }
            $plain = openssl_decrypt(substr($data, 0, -16), 'aes-256-gcm', $key, OPENSSL_RAW_DATA, $nonce, substr($data, -16), $fields['stage']);
            if ($plain === false) {
                throw $fail('does not decrypt: it was changed after it was written, or belongs to another stage');
            }
        } else {
            $parts = explode('------', $text);
            if (count($parts) !== 3 || !ctype_xdigit($parts[0] . $parts[1] . $parts[2]) || strlen($parts[2]) !== 32) {
                throw $fail('not a hover secrets file: it should start with `hover-secrets/1`, or be the original Hover\'s one line `hex------hex------hex`');
            }
            [$ciphertext, $blob, $iv] = array_map('hex2bin', $parts);
            $key = self::dataKey($kmsDecrypt, $blob, $label);
            if (strlen($key) !== 32 || !ctype_xdigit($key)) {
                throw $fail('the data key KMS returned is not the 32 hex characters of the original format');
            }
            $plain = openssl_decrypt($ciphertext, 'aes-256-cbc', $key, OPENSSL_RAW_DATA, $iv);
            if ($plain === false) {
                throw $fail('does not decrypt with its data key (AES-256-CBC): the file was changed or is damaged');
            }
        }
        try {
            return self::parseDotenv($plain);
        } catch (\InvalidArgumentException $e) {
            throw $fail('the decrypted secrets are not a dotenv file: ' . $e->getMessage());
        }
    }

    private static function dataKey(callable $kmsDecrypt, string $blob, string $label): string
    {
        try {
            return $kmsDecrypt($blob);
        } catch (AwsError $e) {
            throw new InitError('Hover.SecretsError', "$label: KMS cannot decrypt its data key: {$e->errorCode}: {$e->detail}");
        }
    }

    /**
     * dotenv: KEY=VALUE lines, `#` comments, blank lines, optional `export `, 'single' (literal) and
     * "double" quotes (\n \r \t \" \\ \$ escapes, may span lines), ` #` comments after unquoted values.
     * Errors name the line, never its value.
     * @return array<string,string>
     */
    public static function parseDotenv(string $text): array
    {
        $vars = [];
        $text = str_replace("\r\n", "\n", $text);
        $n = strlen($text);
        $i = 0;
        $line = 1;
        while ($i < $n) {
            $end = strpos($text, "\n", $i);
            $end = $end === false ? $n : $end;
            $head = ltrim(substr($text, $i, $end - $i));
            if ($head === '' || $head[0] === '#') {
                $i = $end + 1;
                $line++;
                continue;
            }
            if (!preg_match('/^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*/', $head, $m)) {
                throw new \InvalidArgumentException("line $line is not KEY=VALUE");
            }
            $i = $end - strlen($head) + strlen($m[0]);
            $quote = $text[$i] ?? '';
            if ($quote === "'" || $quote === '"') {
                $value = '';
                for ($j = $i + 1; ; $j++) {
                    if ($j >= $n) {
                        throw new \InvalidArgumentException("line $line opens a $quote quote that is never closed");
                    }
                    $c = $text[$j];
                    if ($c === $quote) {
                        break;
                    }
                    if ($c === '\\' && $quote === '"' && $j + 1 < $n) {
                        $e = $text[++$j];
                        $value .= ['n' => "\n", 'r' => "\r", 't' => "\t", '"' => '"', '\\' => '\\', '$' => '$'][$e] ?? '\\' . $e;
                        continue;
                    }
                    $value .= $c;
                }
                $line += substr_count($text, "\n", $i, $j - $i);
                $rest = ltrim(substr($text, $j + 1, ($k = strpos($text, "\n", $j)) === false ? null : $k - $j - 1));
                if ($rest !== '' && $rest[0] !== '#') {
                    throw new \InvalidArgumentException("line $line has text after the closing quote");
                }
                $end = $k === false ? $n : $k;
            } else {
                $value = substr($text, $i, $end - $i);
                $value = trim(preg_replace('/\s#.*$/', '', $value));
            }
            $vars[$m[1]] = $value;
            $i = $end + 1;
            $line++;
        }
        return $vars;
    }
}
