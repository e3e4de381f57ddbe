//! Secret masking: environment values whose key looks secret, and URLs carrying credentials, never
//! leave the planner in clear.

use serde_json::Value;

/// Stands in for a masked value in every output.
pub const SENSITIVE: &str = "\u{1}(sensitive value)";

const SECRET_WORDS: &[&str] = &[
    "KEY",
    "SECRET",
    "SECRETS",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "TOKEN",
    "TOKENS",
    "PRIVATE",
    "CREDENTIAL",
    "CREDENTIALS",
    "AUTH",
    "DSN",
    "SALT",
    "SIGNATURE",
    "APIKEY",
    "CERT",
    "COOKIE",
    "SESSION",
];

/// Whether an environment variable name looks like it holds a secret (`APP_KEY`, `DB_PASSWORD`,
/// `STRIPE_SECRET`, `MAIL_PASSWORD`, `SENTRY_DSN`...).
pub fn is_secret_key(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    upper.contains("SECRET")
        || upper.contains("PASSWORD")
        || upper.contains("TOKEN")
        || upper
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| SECRET_WORDS.contains(&w))
}

/// Words that make a variable name look secret enough to warn about: the masking words without
/// those common in Laravel's non-secret settings (`SESSION_DRIVER`, `AUTH_GUARD`, `COOKIE_*`).
const WARN_WORDS: &[&str] = &[
    "KEY",
    "SECRET",
    "SECRETS",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "TOKEN",
    "TOKENS",
    "PRIVATE",
    "CREDENTIAL",
    "CREDENTIALS",
    "DSN",
    "SALT",
    "APIKEY",
];

/// Whether a non-empty environment variable looks like a secret that belongs in the stage's
/// encrypted secrets file rather than in the manifest.
pub fn looks_secret(key: &str, value: &str) -> bool {
    if value.trim().is_empty() {
        return false;
    }
    let upper = key.to_ascii_uppercase();
    upper.contains("SECRET")
        || upper.contains("PASSWORD")
        || upper.contains("TOKEN")
        || upper
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| WARN_WORDS.contains(&w))
        || has_credentials(value)
}

/// Whether the environment variable `key` = `value` is masked: a secret-looking name, or a value
/// that embeds credentials.
pub fn is_secret(key: &str, value: &str) -> bool {
    is_secret_key(key) || has_credentials(value)
}

/// Whether a value embeds credentials (`scheme://user:password@host`).
pub fn has_credentials(value: &str) -> bool {
    value
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .is_some_and(|authority| authority.contains('@') && authority.contains(':'))
}

/// Masks secret environment values inside a function's properties (or any property map holding
/// `Environment.Variables`). Other values are untouched.
pub fn mask_properties(props: &mut serde_json::Map<String, Value>) {
    if let Some(Value::Object(vars)) = props
        .get_mut("Environment")
        .and_then(|e| e.get_mut("Variables"))
    {
        for (k, v) in vars.iter_mut() {
            let secret = is_secret_key(k) || v.as_str().is_some_and(has_credentials);
            if secret && !v.is_null() {
                *v = Value::String(SENSITIVE.into());
            }
        }
    }
}

/// Stands in for a masked value that differs from the one it replaces (so a change of a secret
/// is still shown as a change, without showing either value).
pub const SENSITIVE_CHANGED: &str = "\u{1}(sensitive value) ";

/// Whether a value is one of the masking markers.
pub fn is_masked(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.starts_with(SENSITIVE))
}

/// Masks the secret environment values of one property on both sides of a change. A secret that
/// differs keeps differing (`after` gets [`SENSITIVE_CHANGED`]); one that is equal masks equal.
pub fn mask_pair(
    key: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> (Option<Value>, Option<Value>) {
    let vars = |v: &Option<Value>| -> serde_json::Map<String, Value> {
        v.as_ref()
            .and_then(|v| v.get("Variables"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    if key != "Environment" {
        return (before, after);
    }
    let (b_vars, a_vars) = (vars(&before), vars(&after));
    let secret = |k: &str, v: Option<&Value>| {
        is_secret_key(k) || v.and_then(Value::as_str).is_some_and(has_credentials)
    };
    let mask_side = |side: Option<Value>,
                     own: &serde_json::Map<String, Value>,
                     other: &serde_json::Map<String, Value>,
                     is_after: bool| {
        side.map(|mut v| {
            if let Some(Value::Object(map)) = v.get_mut("Variables") {
                for (k, val) in map.iter_mut() {
                    if secret(k, own.get(k)) || secret(k, other.get(k)) {
                        let changed = other
                            .get(k)
                            .is_some_and(|o| o != own.get(k).unwrap_or(&Value::Null));
                        let marker = if is_after && changed {
                            SENSITIVE_CHANGED
                        } else {
                            SENSITIVE
                        };
                        *val = Value::String(marker.into());
                    }
                }
            }
            v
        })
    };
    let b = mask_side(before, &b_vars, &a_vars, false);
    let a = mask_side(after, &a_vars, &b_vars, true);
    (b, a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_looking_keys_and_credential_urls_are_masked() {
        for k in [
            "APP_KEY",
            "DB_PASSWORD",
            "STRIPE_SECRET",
            "GITHUB_TOKEN",
            "SENTRY_DSN",
            "aws_secret_access_key",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "APP_ENV",
            "CACHE_PREFIX",
            "SQS_PREFIX",
            "KEYBOARD_LAYOUT",
            "MONKEY",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
        let mut props = json!({"Environment": {"Variables": {
            "APP_KEY": "base64:abc", "APP_ENV": "production", "REDIS_URL": "redis://u:p@h:6379"
        }}})
        .as_object()
        .cloned()
        .unwrap_or_default();
        mask_properties(&mut props);
        assert_eq!(
            props["Environment"]["Variables"]["APP_KEY"],
            json!(SENSITIVE)
        );
        assert_eq!(
            props["Environment"]["Variables"]["REDIS_URL"],
            json!(SENSITIVE)
        );
        assert_eq!(
            props["Environment"]["Variables"]["APP_ENV"],
            json!("production")
        );
    }
}
