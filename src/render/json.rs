//! The versioned JSON plan: `resource_changes[].change.actions` follow Terraform's `show -json`
//! lists; unknown and sensitive values are `null` in before/after and marked in
//! `after_unknown` / `*_sensitive`, so no secret ever appears. A change made outside hover says
//! whether apply can put it back (`repairable`).

use crate::plan::marked::{Mark, Marked};
use crate::plan::{Cause, Plan, ResourceChange};
use serde_json::{json, Map, Value};
use std::io::{self, Write};

/// Writes the plan as one JSON document (pretty, stable order) and a newline.
pub fn write_plan(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let doc = to_value(plan);
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// The JSON document of a plan.
pub fn to_value(plan: &Plan) -> Value {
    let s = plan.summary();
    let mut doc = json!({
        "format_version": plan.format_version,
        "hover_version": env!("CARGO_PKG_VERSION"),
        "stage": plan.stage,
        "region": plan.region,
        "account": plan.account,
        "image_tag": plan.image_tag,
        "stack_status": plan.stack_status,
        "resource_changes": plan.resource_changes.iter().map(change).collect::<Vec<_>>(),
        "resource_drift": plan.drifted().map(drift).collect::<Vec<_>>(),
        "summary": { "add": s.add, "change": s.change, "destroy": s.destroy },
        "warnings": plan.warnings,
        "observed_digest": plan.observed_digest,
    });
    if plan.takeover {
        doc["takeover"] = json!({ "from": "original-hover" });
    }
    doc
}

fn change(c: &ResourceChange) -> Value {
    let (before, _, before_sensitive) = split(c.before.as_ref());
    let (after, after_unknown, after_sensitive) = split(c.after.as_ref());
    let mut obj = json!({
        "address": c.logical_id,
        "type": c.resource_type,
        "name": c.name,
        "role": c.role,
        "provisioner": c.provisioner,
        "change": {
            "actions": c.action.terraform(),
            "before": before,
            "after": after,
            "after_unknown": after_unknown,
            "before_sensitive": before_sensitive,
            "after_sensitive": after_sensitive,
            "replace_paths": c.replace_paths.iter().map(|p| p.split('/').collect::<Vec<_>>()).collect::<Vec<_>>(),
        },
        "changed_attributes": c.changes.iter().map(|a| {
            let mut attr = json!({
                "name": a.name,
                "cause": a.cause,
                "forces_replacement": a.forces_replacement,
            });
            if a.cause == Cause::OutsideHover {
                attr["repairable"] = json!(a.repairable);
            }
            attr
        }).collect::<Vec<_>>(),
        "depends_on": c.depends_on,
    });
    if let (Some(reason), Some(o)) = (c.reason, obj.as_object_mut()) {
        o.insert("action_reason".into(), json!(reason));
    }
    if let (Some(n), Some(o)) = (c.destroys_messages, obj.as_object_mut()) {
        o.insert("data_loss".into(), json!({ "messages": n }));
    }
    obj
}

fn drift(c: &ResourceChange) -> Value {
    let side = |pick: fn(&crate::plan::Drift) -> &Option<Marked>| {
        Marked::Object(
            c.drift
                .iter()
                .filter_map(|d| pick(d).clone().map(|v| (d.name.clone(), v)))
                .collect(),
        )
    };
    let (before, _, before_sensitive) = split(Some(&side(|d| &d.last_applied)));
    let (after, _, after_sensitive) = split(Some(&side(|d| &d.live)));
    json!({
        "address": c.logical_id,
        "type": c.resource_type,
        "name": c.name,
        "role": c.role,
        "change": {
            "actions": ["update"],
            "before": before,
            "after": after,
            "before_sensitive": before_sensitive,
            "after_sensitive": after_sensitive,
        },
    })
}

/// (value with marks nulled, unknown marks, sensitive marks)
fn split(props: Option<&Marked>) -> (Value, Value, Value) {
    match props {
        None => (Value::Null, json!({}), json!({})),
        Some(m) => (
            m.to_json_with(&|_| Value::Null),
            marks(m, Mark::Unknown).unwrap_or(json!({})),
            marks(m, Mark::Sensitive).unwrap_or(json!({})),
        ),
    }
}

/// A tree with `true` where `mark` stands, pruned of branches without any.
fn marks(v: &Marked, mark: Mark) -> Option<Value> {
    match v {
        Marked::Mark(m) if *m == mark => Some(Value::Bool(true)),
        Marked::Object(entries) => {
            let inner: Map<String, Value> = entries
                .iter()
                .filter_map(|(k, v)| marks(v, mark).map(|m| (k.clone(), m)))
                .collect();
            (!inner.is_empty()).then_some(Value::Object(inner))
        }
        Marked::Array(items) => {
            let items: Vec<Value> = items
                .iter()
                .map(|v| marks(v, mark).unwrap_or(Value::Bool(false)))
                .collect();
            items
                .iter()
                .any(|v| v != &Value::Bool(false))
                .then_some(Value::Array(items))
        }
        _ => None,
    }
}
