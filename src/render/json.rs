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
    if let Some(m) = &plan.maintenance {
        doc["maintenance"] = json!(m);
    }
    if let Some(split) = &plan.traffic {
        doc["traffic_split"] = json!({ "builds": split.builds(), "functions": split.functions });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        DesiredStage, LiveResource, ObservedStage, Provisioner, Resource, StackResource, StackState,
    };

    fn resource(id: &str, ty: &str, props: Value) -> Resource {
        Resource {
            logical_id: id.into(),
            role: id.to_ascii_lowercase(),
            kind: crate::model::ResourceKind::parse(ty).unwrap_or_else(|| panic!("{ty}")),
            name: id.to_ascii_lowercase(),
            provisioner: Provisioner::Stack,
            properties: props.as_object().cloned().unwrap_or_default(),
            depends_on: Default::default(),
        }
    }

    /// A role whose session duration changed outside hover, and a function whose secret changes
    /// and whose role is only known after apply.
    fn planned() -> Plan {
        let fn_last = json!({"FunctionName": "f", "Role": "arn:old",
            "Environment": {"Variables": {"APP_KEY": "old-secret-1", "APP_ENV": "prod"}}});
        let role = json!({"RoleName": "r", "MaxSessionDuration": 3600});
        let desired = DesiredStage {
            name: "app-dev".into(),
            region: "eu-west-1".into(),
            image_tag: "v1".into(),
            stack_role: None,
            ids: Default::default(),
            resources: [
                resource("Role", "AWS::IAM::Role", role.clone()),
                resource(
                    "Fn",
                    "AWS::Lambda::Function",
                    json!({"FunctionName": "f", "Role": {"Fn::GetAtt": ["Gone", "Arn"]},
                        "Environment": {"Variables": {"APP_KEY": "new-secret-2", "APP_ENV": "prod"}}}),
                ),
            ]
            .into_iter()
            .map(|r| (r.logical_id.clone(), r))
            .collect(),
            outputs: Default::default(),
        };
        let in_stack = |ty: &str| StackResource {
            resource_type: ty.into(),
            physical_id: "x".into(),
            status: "UPDATE_COMPLETE".into(),
        };
        let live = |ty: &str, props: Value| LiveResource {
            resource_type: ty.into(),
            physical_id: "x".into(),
            attributes: Default::default(),
            properties: props.as_object().cloned().unwrap_or_default(),
        };
        let observed = ObservedStage {
            account: Some("123456789012".into()),
            stack: Some(StackState {
                name: "app-dev".into(),
                stack_id: "id".into(),
                status: "UPDATE_COMPLETE".into(),
                status_reason: None,
                last_updated: None,
                template: Some(json!({"Resources": {
                    "Role": {"Type": "AWS::IAM::Role", "Properties": role},
                    "Fn": {"Type": "AWS::Lambda::Function", "Properties": fn_last},
                }})),
                resources: [
                    ("Role".to_string(), in_stack("AWS::IAM::Role")),
                    ("Fn".to_string(), in_stack("AWS::Lambda::Function")),
                ]
                .into(),
                outputs: Default::default(),
            }),
            resources: [
                (
                    "Role".to_string(),
                    live(
                        "AWS::IAM::Role",
                        json!({"RoleName": "r", "MaxSessionDuration": 7200}),
                    ),
                ),
                ("Fn".to_string(), live("AWS::Lambda::Function", fn_last)),
            ]
            .into(),
            maintenance: None,
        };
        crate::plan::plan(&desired, &observed).expect("plan")
    }

    #[test]
    fn drift_apply_cannot_put_back_is_marked_and_marks_become_null() {
        let doc = to_value(&planned());
        let text = doc.to_string();
        assert!(
            !text.contains("secret-1") && !text.contains("secret-2"),
            "{text}"
        );
        let change = |id: &str| {
            doc["resource_changes"]
                .as_array()
                .and_then(|a| a.iter().find(|c| c["address"] == id))
                .cloned()
                .unwrap_or_default()
        };
        let role = change("Role");
        assert_eq!(
            role["changed_attributes"],
            json!([{"name": "MaxSessionDuration", "cause": "outside_hover",
                "forces_replacement": false, "repairable": false}])
        );
        let f = change("Fn");
        assert_eq!(f["change"]["after"]["Role"], Value::Null);
        assert_eq!(f["change"]["after_unknown"], json!({"Role": true}));
        assert_eq!(
            f["change"]["after_sensitive"],
            json!({"Environment": {"Variables": {"APP_KEY": true}}})
        );
        assert_eq!(
            f["change"]["after"]["Environment"]["Variables"]["APP_ENV"],
            "prod"
        );
        // Manifest changes carry no repairable flag: apply makes them through the stack.
        assert!(f["changed_attributes"]
            .as_array()
            .is_some_and(|a| a.iter().all(|x| x.get("repairable").is_none())));
    }

    #[test]
    fn the_text_plan_formats_the_same_marks() {
        let mut out = Vec::new();
        crate::render::text::write_plan(&mut out, &planned(), crate::render::Style::PLAIN)
            .expect("render");
        let out = String::from_utf8(out).expect("utf-8");
        assert!(
            !out.contains("secret-1") && !out.contains("secret-2"),
            "{out}"
        );
        assert!(out.contains("APP_KEY = (sensitive value)"), "{out}");
        assert!(
            out.contains("= \"arn:old\" -> (known after apply)\n"),
            "{out}"
        );
        assert!(
            out.contains("MaxSessionDuration = 7200 -> 3600 # changed outside hover; apply cannot put this back"),
            "{out}"
        );
    }
}
