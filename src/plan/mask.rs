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
