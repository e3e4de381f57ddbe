//! Small helpers that build the JSON property values readers return (strings or `null`, numbers
//! or `null`, sorted string sets) and the [`LiveResource`] itself.

use crate::model::{LiveResource, ResourceKind};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A string, or `null` when unset.
pub fn string(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |v| Value::String(v.to_owned()))
}

/// A number, or `null` when unset.
pub fn number(value: Option<i32>) -> Value {
    value.map_or(Value::Null, Value::from)
}

/// A set of strings as a sorted, de-duplicated JSON list.
pub fn sorted_strings<I, S>(items: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut v: Vec<String> = items.into_iter().map(|s| s.as_ref().to_owned()).collect();
    v.sort();
    v.dedup();
    Value::Array(v.into_iter().map(Value::String).collect())
}

/// Like [`sorted_strings`], but `null` when the set is empty.
pub fn sorted_strings_or_null<I, S>(items: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    match sorted_strings(items) {
        Value::Array(a) if a.is_empty() => Value::Null,
        v => v,
    }
}

/// A JSON object from key/value pairs, in the order given.
pub fn object<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Builds the resource; `attributes` pairs become the `Ref`/`Fn::GetAtt` map.
pub fn resource<const N: usize>(
    kind: ResourceKind,
    physical_id: &str,
    attributes: [(&str, &str); N],
    properties: Map<String, Value>,
) -> LiveResource {
    LiveResource {
        resource_type: kind.into(),
        physical_id: physical_id.to_owned(),
        attributes: attributes
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect::<BTreeMap<_, _>>(),
        properties,
    }
}
