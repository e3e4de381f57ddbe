//! One resource decided: its action and why, each property that changes with its cause, its diff
//! tree (secrets marked) and whether apply can put a change made outside hover back, and the
//! drift since the last apply.

use super::diff::{self, Diff};
use super::marked::Marked;
use super::{mask, policy};
use super::{Action, AttributeChange, Cause, Drift, Reason, ResourceChange};
use crate::model::{LiveResource, Provisioner, Resource, ResourceKind, MESSAGES_HELD};
use crate::schema;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Decides one desired resource. `d` desired (resolved), `l` last applied (resolved), `r` live.
pub(super) fn decide(
    res: &Resource,
    d: Map<String, Value>,
    l: Option<&Map<String, Value>>,
    r: Option<&LiveResource>,
    in_stack: bool,
    takeover: bool,
    warnings: &mut Vec<String>,
) -> ResourceChange {
    let mut change = ResourceChange::of(res);
    match r {
        None => {
            change.action = Action::Create;
            if in_stack {
                change.reason = Some(Reason::CreateBecauseDeletedOutside);
                warnings.push(format!(
                    "{} `{}` ({}) was deleted outside hover, but the stack still records it: CloudFormation will not create it again, so apply stops before changing anything. Recreate it with the same name, or remove it from the manifest, apply, and add it back.",
                    res.role, res.name, res.kind
                ));
            }
            change.after = Some(masked(&d));
        }
        Some(_) if res.provisioner == Provisioner::Stack && !in_stack => {
            warnings.push(format!(
                "{} `{}` ({}) already exists outside the stack: CloudFormation cannot create it while it does; delete it or rename the stage.",
                res.role, res.name, res.kind
            ));
            change.action = Action::Create;
            change.after = Some(masked(&d));
        }
        Some(r) => {
            compare(&mut change, res, &d, l, r, takeover);
            if change.action.is_replace() {
                change.destroys_messages = messages_held(r);
            }
        }
    }
    change
}

/// Decides a resource the stack holds and the manifest no longer has (`change` names it, nothing
/// decided yet): deleted while it exists. `l` last applied (resolved), `r` live.
pub(super) fn decide_removed(
    mut change: ResourceChange,
    l: Option<&Map<String, Value>>,
    r: Option<&LiveResource>,
) -> ResourceChange {
    if let Some(r) = r {
        change.action = Action::Delete;
        change.reason = Some(Reason::DeleteBecauseNotInManifest);
        change.before = Some(masked(&current_view(l, r, None)));
        change.destroys_messages = messages_held(r);
    }
    change
}

/// The messages a live queue holds, when it holds any: what deleting or replacing it destroys.
fn messages_held(r: &LiveResource) -> Option<u64> {
    r.attributes
        .get(MESSAGES_HELD)
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n > 0)
}

/// A resource that exists and is wanted: desired `d` against the live view of `r`, property by
/// property, and the drift of each from `l`.
fn compare(
    change: &mut ResourceChange,
    res: &Resource,
    d: &Map<String, Value>,
    l: Option<&Map<String, Value>>,
    r: &LiveResource,
    takeover: bool,
) {
    let current = current_view(l, r, Some(d));
    let mut keys: BTreeSet<&String> = d.keys().collect();
    keys.extend(l.into_iter().flat_map(|l| l.keys()));
    keys.extend(
        r.properties
            .keys()
            .filter(|k| d.contains_key(*k) || l.is_some_and(|l| l.contains_key(*k))),
    );
    for key in keys {
        let after = d.get(key);
        let last = l.and_then(|l| l.get(key));
        let now = current.get(key);
        let same = |a: Option<&Value>, b: Option<&Value>| same_property(res.kind, key, a, b);
        if same(now, after) {
            change.unchanged += usize::from(after.is_some_and(|v| !v.is_null()));
            if l.is_some() && res.provisioner == Provisioner::Stack && !same(last, after) {
                change.template_only.push(key.clone());
            }
        } else {
            let cause = match l {
                Some(_) if same(last, after) => Cause::OutsideHover,
                _ => Cause::Manifest,
            };
            let attribute = attribute_change(res, key, now, after, cause);
            if attribute.forces_replacement {
                change.replace_paths.push(key.clone());
            }
            change.changes.push(attribute);
        }
        let readable = r.properties.contains_key(key);
        if readable && l.is_some() && !takeover && !same(now, last) {
            change.drift.push(drift(key, last, now));
        }
    }
    if !change.replace_paths.is_empty() {
        change.action = Action::CreateThenDelete;
        change.reason = Some(Reason::ReplaceBecauseCannotUpdate);
    } else if !change.changes.is_empty() {
        change.action = Action::Update;
        if change
            .changes
            .iter()
            .all(|c| c.cause == Cause::OutsideHover)
        {
            change.reason = Some(Reason::UpdateBecauseChangedOutside);
        }
    }
    change.before = Some(masked(&current));
    change.after = Some(masked(d));
}

/// The change of property `key` from `now` to `after`, its diff tree with secrets marked.
fn attribute_change(
    res: &Resource,
    key: &str,
    now: Option<&Value>,
    after: Option<&Value>,
    cause: Cause,
) -> AttributeChange {
    // Resources made through their own API are written whole; stack resources' drift is put
    // back through the fixes the type table lists.
    let repairable = cause == Cause::Manifest
        || res.provisioner == Provisioner::Direct
        || res.kind.repairable(key);
    AttributeChange {
        name: key.to_string(),
        diff: masked_diff(key, now, after),
        cause,
        forces_replacement: schema::forces_replacement(res.kind.as_str(), key),
        repairable,
    }
}

/// Property `key` as hover last applied it and as AWS has it now, secrets marked.
fn drift(key: &str, last: Option<&Value>, now: Option<&Value>) -> Drift {
    let names = mask::secret_variables(key, [last, now]);
    let side = |v: Option<&Value>| {
        v.map(|v| {
            let mut m = Marked::from_resolved(v);
            if !names.is_empty() {
                mask::mask_environment(&names, &mut m);
            }
            m
        })
    };
    Drift {
        name: key.to_string(),
        last_applied: side(last),
        live: side(now),
        diff: diff::diff(last, now).map(|mut d| {
            mask::mask_diff(&names, &mut d);
            d
        }),
    }
}

/// The diff tree of property `key` from `before` to `after`, secrets marked.
fn masked_diff(key: &str, before: Option<&Value>, after: Option<&Value>) -> Diff {
    let mut d = diff::diff(before, after).unwrap_or(Diff::Same {
        value: Marked::Scalar(Value::Null),
    });
    mask::mask_diff(&mask::secret_variables(key, [before, after]), &mut d);
    d
}

/// Whether two values of property `key` mean the same: [`diff::same`], with policy documents
/// first brought to one shape ([`policy::canonical`]).
fn same_property(kind: ResourceKind, key: &str, a: Option<&Value>, b: Option<&Value>) -> bool {
    if kind.is_release_version(key) {
        return same_alias_version(a, b);
    }
    if kind.holds_policies(key) {
        let a = a.map(|v| policy::canonical(key, v));
        let b = b.map(|v| policy::canonical(key, v));
        diff::same(a.as_ref(), b.as_ref())
    } else {
        diff::same(a, b)
    }
}

/// `live`'s version is the release's, moved by deploy, apply and rollback outside the template
/// (which keeps `$LATEST`): a published version number and `$LATEST` are the same to the plan.
fn same_alias_version(a: Option<&Value>, b: Option<&Value>) -> bool {
    let managed = |v: Option<&Value>| {
        v.and_then(Value::as_str).is_some_and(|s| {
            s == "$LATEST" || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    (managed(a) && managed(b)) || diff::same(a, b)
}

/// The resource as it is: live values where readable (reduced to what hover manages, except
/// policy documents, where every statement key counts), else what hover last applied.
fn current_view(
    l: Option<&Map<String, Value>>,
    r: &LiveResource,
    d: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let mut out: Map<String, Value> = l.cloned().unwrap_or_default();
    for (k, v) in &r.properties {
        let wanted = [d.and_then(|d| d.get(k)), l.and_then(|l| l.get(k))];
        if wanted.iter().all(Option::is_none) {
            continue;
        }
        if v.is_null() {
            out.remove(k);
        } else if r.resource_type.holds_policies(k) {
            out.insert(k.clone(), v.clone());
        } else {
            out.insert(k.clone(), diff::project(v, &wanted));
        }
    }
    out
}

/// Resolved properties as the plan carries them: unknown and secret values marked.
fn masked(props: &Map<String, Value>) -> Marked {
    let mut m = Marked::from_properties(props);
    mask::mask_marked(&mut m, props);
    m
}

#[cfg(test)]
mod tests {
    use super::same_property;
    use crate::model::ResourceKind;
    use serde_json::json;

    #[test]
    fn the_release_behind_live_is_not_drift() {
        let alias = |a: &str, b: &str| {
            same_property(
                ResourceKind::Alias,
                "FunctionVersion",
                Some(&json!(a)),
                Some(&json!(b)),
            )
        };
        assert!(alias("$LATEST", "7"));
        assert!(alias("12", "$LATEST"));
        assert!(alias("3", "4"));
        assert!(!alias("$LATEST", "blue"));
        assert!(!same_property(
            ResourceKind::Function,
            "FunctionVersion",
            Some(&json!("$LATEST")),
            Some(&json!("7"))
        ));
    }
}
