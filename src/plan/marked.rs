//! Values as the plan carries them: JSON in which a value only known after apply, or one too
//! secret to show, is a typed [`Mark`] in its place, never text inside it. Renderers match on the
//! marks; none compares strings.

use super::resolve::UNKNOWN;
use crate::model::Resolved;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What stands in for a value the plan cannot or may not show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Only known after apply.
    Unknown,
    /// A secret: shown as `(sensitive value)`, never in clear.
    Sensitive,
}

/// A JSON value whose unknown and secret parts are marks. Objects keep their keys in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Marked {
    /// `null`, a boolean, a number or a string.
    Scalar(Value),
    Object(Vec<(String, Marked)>),
    Array(Vec<Marked>),
    Mark(Mark),
}

impl Marked {
    /// A value the plan resolved: its known-after-apply parts become [`Mark::Unknown`].
    pub(crate) fn from_resolved(v: &Value) -> Marked {
        match v {
            Value::String(s) if s == UNKNOWN => Marked::Mark(Mark::Unknown),
            Value::Object(m) => Marked::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), Marked::from_resolved(v)))
                    .collect(),
            ),
            Value::Array(a) => Marked::Array(a.iter().map(Marked::from_resolved).collect()),
            other => Marked::Scalar(other.clone()),
        }
    }

    /// An object of resolved properties.
    pub(crate) fn from_properties(props: &Map<String, Value>) -> Marked {
        Marked::Object(
            props
                .iter()
                .map(|(k, v)| (k.clone(), Marked::from_resolved(v)))
                .collect(),
        )
    }

    /// The value with each mark replaced by what `mark` gives for it.
    pub fn to_json_with(&self, mark: &dyn Fn(Mark) -> Value) -> Value {
        match self {
            Marked::Scalar(v) => v.clone(),
            Marked::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json_with(mark)))
                    .collect(),
            ),
            Marked::Array(items) => {
                Value::Array(items.iter().map(|v| v.to_json_with(mark)).collect())
            }
            Marked::Mark(m) => mark(*m),
        }
    }

    /// The entries of an object (none for anything else).
    pub fn entries(&self) -> &[(String, Marked)] {
        match self {
            Marked::Object(entries) => entries,
            _ => &[],
        }
    }

    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Marked> {
        self.entries()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The member `key` of an object, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Marked> {
        match self {
            Marked::Object(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether it is `Mark::Sensitive`.
    pub fn is_sensitive(&self) -> bool {
        matches!(self, Marked::Mark(Mark::Sensitive))
    }
}

/// A resource's resolved properties as apply writes them: known-after-apply parts `null`, and
/// the properties holding any named.
pub(crate) fn resolved(props: &Map<String, Value>) -> Resolved {
    let mut out = Resolved::default();
    for (k, v) in props {
        let mut unknown = false;
        let v = without_unknown(v, &mut unknown);
        if unknown {
            out.unknown.insert(k.clone());
        }
        out.values.insert(k.clone(), v);
    }
    out
}

fn without_unknown(v: &Value, found: &mut bool) -> Value {
    match v {
        Value::String(s) if s == UNKNOWN => {
            *found = true;
            Value::Null
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), without_unknown(v, found)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| without_unknown(v, found)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_parts_become_marks_and_are_named_for_apply() {
        let props = json!({"A": 1, "B": {"C": [UNKNOWN, "x"]}, "D": UNKNOWN});
        let props = props.as_object().cloned().unwrap_or_default();
        let m = Marked::from_properties(&props);
        assert_eq!(m.get("A"), Some(&Marked::Scalar(json!(1))));
        assert_eq!(m.get("D"), Some(&Marked::Mark(Mark::Unknown)));
        assert_eq!(
            m.to_json_with(&|_| json!("?")),
            json!({"A": 1, "B": {"C": ["?", "x"]}, "D": "?"})
        );
        let r = resolved(&props);
        assert!(r.is_known("A") && !r.is_known("B") && !r.is_known("D"));
        assert_eq!(r.values["B"], json!({"C": [null, "x"]}));
    }
}
