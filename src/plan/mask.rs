//! Secret masking: environment values whose key looks secret, and URLs carrying credentials, never
//! leave the planner in clear. In the plan's model a secret is [`Mark::Sensitive`]; in digests and
//! raw dumps of what AWS holds it is [`SENSITIVE`], and in the template shown to people
//! [`SENSITIVE_TEXT`].

use super::diff::Diff;
use super::marked::{Mark, Marked};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Stands in for a secret in digests and raw dumps of what AWS holds.
pub const SENSITIVE: &str = "\u{1}(sensitive value)";

/// What people read in place of a secret.
pub const SENSITIVE_TEXT: &str = "(sensitive value)";

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
    named_secret(key, |_| true)
}

/// Masking words common in Laravel's non-secret settings (`SESSION_DRIVER`, `AUTH_GUARD`,
/// `COOKIE_*`): masked, but not worth a warning.
const NOT_WARNED: &[&str] = &["AUTH", "SIGNATURE", "CERT", "COOKIE", "SESSION"];

/// Whether `key` names a secret: it contains `SECRET`, `PASSWORD` or `TOKEN`, or one of its words
/// is among the masking words that `word` accepts.
fn named_secret(key: &str, word: impl Fn(&str) -> bool) -> bool {
    let upper = key.to_ascii_uppercase();
    upper.contains("SECRET")
        || upper.contains("PASSWORD")
        || upper.contains("TOKEN")
        || upper
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| SECRET_WORDS.contains(&w) && word(w))
}

/// Whether a non-empty environment variable looks like a secret that belongs in the stage's
/// encrypted secrets file rather than in the manifest.
pub fn looks_secret(key: &str, value: &str) -> bool {
    if value.trim().is_empty() {
        return false;
    }
    named_secret(key, |w| !NOT_WARNED.contains(&w)) || has_credentials(value)
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
/// `Environment.Variables`) with [`SENSITIVE`]: for digests and raw dumps. Other values are
/// untouched.
pub fn mask_properties(props: &mut Map<String, Value>) {
    replace_secrets(props, SENSITIVE);
}

/// Masks every secret of an observed stage with [`SENSITIVE`]: the environment values of its
/// resources and of the template last applied.
pub fn mask_observed(observed: &mut crate::model::ObservedStage) {
    for r in observed.resources.values_mut() {
        mask_properties(&mut r.properties);
    }
    if let Some(t) = observed.stack.as_mut().and_then(|s| s.template.as_mut()) {
        *t = crate::template::masked(t);
    }
}

/// Like [`mask_properties`], with the text people read ([`SENSITIVE_TEXT`]).
pub fn redact_properties(props: &mut Map<String, Value>) {
    replace_secrets(props, SENSITIVE_TEXT);
}

fn replace_secrets(props: &mut Map<String, Value>, stand_in: &str) {
    if let Some(Value::Object(vars)) = props
        .get_mut("Environment")
        .and_then(|e| e.get_mut("Variables"))
    {
        for (k, v) in vars.iter_mut() {
            if secret_variable(k, v) && !v.is_null() {
                *v = Value::String(stand_in.into());
            }
        }
    }
}

/// Whether the environment variable `key` holding `value` is masked.
fn secret_variable(key: &str, value: &Value) -> bool {
    is_secret_key(key) || value.as_str().is_some_and(has_credentials)
}

/// The environment variables of `env` (an `Environment` value) that are secret.
fn secrets_of(env: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    env.and_then(|e| e.get("Variables"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, v)| secret_variable(k, v))
        .map(|(k, _)| k.clone())
}

/// The environment variables masked on both sides of a change of property `key`: those secret on
/// either side (a credential URL on one side hides the other side's value too). None but for
/// `Environment`.
pub fn secret_variables(key: &str, sides: [Option<&Value>; 2]) -> BTreeSet<String> {
    if key != "Environment" {
        return BTreeSet::new();
    }
    sides.into_iter().flat_map(secrets_of).collect()
}

/// Marks as sensitive the secret environment values of a property map (resolved).
pub fn mask_marked(props: &mut Marked, raw: &Map<String, Value>) {
    let names: BTreeSet<String> = secrets_of(raw.get("Environment")).collect();
    if let Some(env) = props.get_mut("Environment") {
        mask_environment(&names, env);
    }
}

/// Marks as sensitive the `names` variables of an `Environment` value.
pub fn mask_environment(names: &BTreeSet<String>, env: &mut Marked) {
    if let Some(Marked::Object(vars)) = env.get_mut("Variables") {
        for (k, v) in vars.iter_mut() {
            if names.contains(k) && *v != Marked::Scalar(Value::Null) {
                *v = Marked::Mark(Mark::Sensitive);
            }
        }
    }
}

/// Marks as sensitive the `names` variables in the diff tree of an `Environment` property.
pub fn mask_diff(names: &BTreeSet<String>, diff: &mut Diff) {
    if names.is_empty() {
        return;
    }
    match diff {
        Diff::Same { value } | Diff::Added { value } | Diff::Removed { value } => {
            mask_environment(names, value)
        }
        Diff::Changed { before, after } => {
            mask_environment(names, before);
            mask_environment(names, after);
        }
        Diff::Object { entries } => {
            for (_, vars) in entries.iter_mut().filter(|(k, _)| k == "Variables") {
                mask_variables(names, vars);
            }
        }
        Diff::List { .. } => {}
    }
}

/// The diff of `Environment.Variables`: each secret variable's values marked.
fn mask_variables(names: &BTreeSet<String>, vars: &mut Diff) {
    match vars {
        Diff::Object { entries } => {
            for (_, d) in entries.iter_mut().filter(|(k, _)| names.contains(k)) {
                sensitive_leaves(d);
            }
        }
        Diff::Same { value } | Diff::Added { value } | Diff::Removed { value } => {
            let mut env = Marked::Object(vec![("Variables".into(), value.clone())]);
            mask_environment(names, &mut env);
            if let Some(v) = env.get("Variables") {
                *value = v.clone();
            }
        }
        Diff::Changed { .. } | Diff::List { .. } => {}
    }
}

/// Every value in a diff tree marked sensitive.
fn sensitive_leaves(d: &mut Diff) {
    let s = || Marked::Mark(Mark::Sensitive);
    match d {
        Diff::Same { value } | Diff::Added { value } | Diff::Removed { value } => *value = s(),
        Diff::Changed { before, after } => {
            *before = s();
            *after = s();
        }
        Diff::Object { entries } => entries.iter_mut().for_each(|(_, d)| sensitive_leaves(d)),
        Diff::List { items } => items.iter_mut().for_each(sensitive_leaves),
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

    #[test]
    fn a_secret_on_either_side_is_marked_on_both_in_the_diff() {
        let before = json!({"Variables": {"REDIS_URL": "redis://u:p@h:6379", "APP_ENV": "a"}});
        let after = json!({"Variables": {"REDIS_URL": "redis://h:6379", "APP_ENV": "b"}});
        let names = secret_variables("Environment", [Some(&before), Some(&after)]);
        assert_eq!(names.iter().collect::<Vec<_>>(), ["REDIS_URL"]);
        assert!(secret_variables("Role", [Some(&before), Some(&after)]).is_empty());
        let mut d = crate::plan::diff::diff(Some(&before), Some(&after)).expect("a diff");
        mask_diff(&names, &mut d);
        let sensitive = Marked::Mark(Mark::Sensitive);
        let Diff::Object { entries } = &d else {
            panic!("{d:?}")
        };
        let Diff::Object { entries: vars } = &entries[0].1 else {
            panic!("{d:?}")
        };
        assert_eq!(
            vars[0],
            (
                "REDIS_URL".to_string(),
                Diff::Changed {
                    before: sensitive.clone(),
                    after: sensitive
                }
            )
        );
        assert_eq!(
            vars[1].1,
            Diff::Changed {
                before: Marked::Scalar(json!("a")),
                after: Marked::Scalar(json!("b"))
            }
        );
    }
}
