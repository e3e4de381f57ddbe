//! A job's payload as `hover queue failed` shows it: secret values masked, then cut to a bounded
//! excerpt. Pure.
//!
//! Which keys are secret is [`crate::plan::mask::is_secret_key`]'s rule (words such as `KEY`,
//! `SECRET`, `PASSWORD`, `TOKEN`), applied to JSON keys at any depth and to the property names of
//! the PHP-serialized job Laravel puts in `data.command` (`s:8:"password";s:7:"hunter2";`,
//! private and protected properties included: their names carry `\0Class\0` or `\0*\0`). A value
//! that holds credentials in a URL (`scheme://user:pass@host`) is masked whatever its key.

use crate::plan::mask::{has_credentials, is_secret_key};
use serde_json::Value;

/// What a masked value shows.
pub const MASK: &str = "***";

/// Masks every secret value of a JSON payload in place; strings that hold a PHP-serialized value
/// are masked inside.
pub fn mask_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_key(k) && !v.is_null() && !v.is_object() && !v.is_array() {
                    *v = Value::from(MASK);
                } else {
                    mask_value(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_value),
        Value::String(s) if has_credentials(s) => *s = MASK.to_owned(),
        Value::String(s) if s.contains("s:") => *s = mask_php(s),
        _ => {}
    }
}

/// A PHP-serialized text with the string values of secret-named properties replaced by
/// [`MASK`]. Anything it cannot read is left as it is.
pub fn mask_php(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("s:") {
        let Some((key, key_len)) = php_string(&rest[at..]) else {
            out.push_str(&rest[..at + 2]);
            rest = &rest[at + 2..];
            continue;
        };
        let after_key = at + key_len;
        out.push_str(&rest[..after_key]);
        rest = &rest[after_key..];
        let name = key.rsplit('\0').next().unwrap_or(key);
        if is_secret_key(name) {
            if let Some((_, value_len)) = php_string(rest) {
                out.push_str(&format!("s:{}:\"{MASK}\";", MASK.len()));
                rest = &rest[value_len..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A PHP string token at the start of `text` (`s:N:"...";`, N in bytes): its content and the
/// token's length.
fn php_string(text: &str) -> Option<(&str, usize)> {
    let body = text.strip_prefix("s:")?;
    let colon = body.find(':')?;
    let len: usize = body[..colon].parse().ok()?;
    let start = 2 + colon + 2; // `s:` N `:"`
    if !text.get(2 + colon..start)?.ends_with(":\"") {
        return None;
    }
    let content = text.get(start..start + len)?;
    text.get(start + len..start + len + 2)
        .filter(|end| *end == "\";")
        .map(|_| (content, start + len + 2))
}

/// The first `max` characters of `text` (on a character boundary), with `…` when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_properties_named_as_secrets_are_masked() {
        let php = "O:8:\"App\\Job\":3:{s:5:\"order\";i:7;s:14:\"\0App\\Job\0token\";s:3:\"abc\";s:4:\"note\";s:5:\"hello\";}";
        let masked = mask_php(php);
        assert!(!masked.contains("abc"), "{masked:?}");
        assert!(masked.contains("s:3:\"***\";"), "{masked:?}");
        assert!(masked.contains("hello"), "{masked:?}");
        assert_eq!(mask_php("s:99:\"short\";"), "s:99:\"short\";");
    }

    #[test]
    fn json_keys_and_credential_urls_are_masked_at_any_depth() {
        let mut v = json!({"a": {"secret": "x", "list": [{"password": "p"}]}, "db": "mysql://u:pw@h/db", "name": "ok"});
        mask_value(&mut v);
        assert_eq!(
            v,
            json!({"a": {"secret": MASK, "list": [{"password": MASK}]}, "db": MASK, "name": "ok"})
        );
    }

    #[test]
    fn an_excerpt_is_cut_on_a_character() {
        assert_eq!(excerpt("héllo", 2), "hé…");
        assert_eq!(excerpt("hi", 2), "hi");
    }
}
