//! Value comparison and the typed diff tree: what "the same" means to AWS (numbers by value,
//! `"5"` and `5`, `null` and absent), projection of live values onto what hover manages, and the
//! before → after tree that renderers format, its leaves [`Marked`] values.

use super::marked::Marked;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Whether two optional values mean the same to AWS.
pub fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a.filter(|v| !v.is_null()), b.filter(|v| !v.is_null())) {
        (None, None) => true,
        (Some(a), Some(b)) => same_value(a, b),
        _ => false,
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            s.parse::<f64>().ok() == n.as_f64()
        }
        (Value::Bool(x), Value::String(s)) | (Value::String(s), Value::Bool(x)) => {
            s.eq_ignore_ascii_case(if *x { "true" } else { "false" })
        }
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().all(|k| same(x.get(k), y.get(k)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        _ => a == b,
    }
}

/// `current` (a live value) reduced to the keys that `wanted` values (desired, last applied)
/// mention, recursively: settings AWS defaults and hover never sets are not differences.
/// Keys whose value is `null` are dropped.
pub fn project(current: &Value, wanted: &[Option<&Value>]) -> Value {
    match current {
        Value::Object(map) => {
            let others: Vec<&Map<String, Value>> = wanted
                .iter()
                .flatten()
                .filter_map(|v| v.as_object())
                .collect();
            if others.is_empty() {
                return Value::Object(strip_nulls(map));
            }
            let mut out = Map::new();
            for (k, v) in map {
                if v.is_null() || !others.iter().any(|o| o.contains_key(k)) {
                    continue;
                }
                let sub: Vec<Option<&Value>> = others.iter().map(|o| o.get(k)).collect();
                out.insert(k.clone(), project(v, &sub));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let sub: Vec<Option<&Value>> = wanted
                        .iter()
                        .map(|w| w.and_then(|w| w.as_array()).and_then(|a| a.get(i)))
                        .collect();
                    project(v, &sub)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn strip_nulls(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A before → after difference between two values, as a tree renderers format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Diff {
    Same {
        value: Marked,
    },
    Added {
        value: Marked,
    },
    Removed {
        value: Marked,
    },
    Changed {
        before: Marked,
        after: Marked,
    },
    /// Both sides objects: per key.
    Object {
        entries: Vec<(String, Diff)>,
    },
    /// Both sides lists of the same length: per element.
    List {
        items: Vec<Diff>,
    },
}

impl Diff {
    /// Whether nothing differs.
    pub fn is_same(&self) -> bool {
        match self {
            Diff::Same { .. } => true,
            Diff::Object { entries } => entries.iter().all(|(_, d)| d.is_same()),
            Diff::List { items } => items.iter().all(Diff::is_same),
            _ => false,
        }
    }
}

/// The diff tree of two optional (resolved) values; `None` when both are absent.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Option<Diff> {
    let before = before.filter(|v| !v.is_null());
    let after = after.filter(|v| !v.is_null());
    Some(match (before, after) {
        (None, None) => return None,
        (None, Some(a)) => Diff::Added {
            value: Marked::from_resolved(a),
        },
        (Some(b), None) => Diff::Removed {
            value: Marked::from_resolved(b),
        },
        (Some(b), Some(a)) if same_value(b, a) => Diff::Same {
            value: Marked::from_resolved(a),
        },
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            let mut keys: Vec<&String> = a.keys().collect();
            keys.extend(b.keys().filter(|k| !a.contains_key(*k)));
            Diff::Object {
                entries: keys
                    .into_iter()
                    .filter_map(|k| diff(b.get(k), a.get(k)).map(|d| (k.clone(), d)))
                    .collect(),
            }
        }
        (Some(Value::Array(b)), Some(Value::Array(a))) if b.len() == a.len() => Diff::List {
            items: b
                .iter()
                .zip(a)
                .filter_map(|(b, a)| diff(Some(b), Some(a)))
                .collect(),
        },
        (Some(Value::Array(b)), Some(Value::Array(a))) => {
            let mut items: Vec<Diff> = a
                .iter()
                .map(|v| {
                    if b.iter().any(|x| same_value(x, v)) {
                        Diff::Same {
                            value: Marked::from_resolved(v),
                        }
                    } else {
                        Diff::Added {
                            value: Marked::from_resolved(v),
                        }
                    }
                })
                .collect();
            items.extend(
                b.iter()
                    .filter(|x| !a.iter().any(|v| same_value(x, v)))
                    .map(|v| Diff::Removed {
                        value: Marked::from_resolved(v),
                    }),
            );
            Diff::List { items }
        }
        (Some(b), Some(a)) => Diff::Changed {
            before: Marked::from_resolved(b),
            after: Marked::from_resolved(a),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sameness_is_by_meaning() {
        assert!(same(Some(&json!(5)), Some(&json!("5"))));
        assert!(same(Some(&json!(5.0)), Some(&json!(5))));
        assert!(same(Some(&json!(true)), Some(&json!("true"))));
        assert!(same(None, Some(&Value::Null)));
        assert!(!same(Some(&json!(5)), Some(&json!(6))));
        assert!(!same(
            Some(&json!({"a": 1})),
            Some(&json!({"a": 1, "b": 2}))
        ));
        assert!(!same(Some(&json!([1, 2])), Some(&json!([2, 1]))));
    }

    #[test]
    fn projection_ignores_what_hover_never_sets() {
        let live = json!({"Comment": "x", "PriceClass": "PriceClass_All", "Origins": [{"Id": "app", "ConnectionAttempts": 3}], "Aliases": null});
        let want = json!({"Comment": "x", "Origins": [{"Id": "app"}]});
        assert_eq!(
            project(&live, &[Some(&want)]),
            json!({"Comment": "x", "Origins": [{"Id": "app"}]})
        );
    }

    #[test]
    fn diff_tree_descends_into_objects_and_equal_lists() {
        let m = |v: Value| Marked::Scalar(v);
        let d = diff(
            Some(&json!({"a": 1, "b": [1, 2]})),
            Some(&json!({"a": 2, "b": [1, 3], "c": true})),
        )
        .unwrap_or(Diff::Same {
            value: Marked::Scalar(Value::Null),
        });
        assert_eq!(
            d,
            Diff::Object {
                entries: vec![
                    (
                        "a".into(),
                        Diff::Changed {
                            before: m(json!(1)),
                            after: m(json!(2))
                        }
                    ),
                    (
                        "b".into(),
                        Diff::List {
                            items: vec![
                                Diff::Same { value: m(json!(1)) },
                                Diff::Changed {
                                    before: m(json!(2)),
                                    after: m(json!(3))
                                }
                            ]
                        }
                    ),
                    (
                        "c".into(),
                        Diff::Added {
                            value: m(json!(true))
                        }
                    ),
                ]
            }
        );
        assert!(!d.is_same());
    }
}
