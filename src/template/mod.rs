//! The stage's CloudFormation template, built in memory from the desired stage and serialized
//! deterministically. Never written to disk.

pub mod intrinsics;

use crate::model::{DesiredStage, Provisioner, ResourceType};
use intrinsics::collect_references;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// CloudFormation's limit for an inline `TemplateBody`, in bytes.
pub const INLINE_LIMIT: usize = 51_200;

/// CloudFormation's limit on a stack's resources.
pub const MAX_RESOURCES: usize = 500;
/// CloudFormation's limit on a stack's outputs.
pub const MAX_OUTPUTS: usize = 200;
/// CloudFormation's limit on a template read from S3, in bytes (1 MB).
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;

/// A CloudFormation limit the stage's template goes over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitExceeded {
    /// What is counted (`resources`, `outputs`, `bytes of template`).
    pub what: &'static str,
    pub limit: usize,
    pub actual: usize,
}

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the stage's stack would have {} {}; CloudFormation allows {} ({} over)",
            self.actual,
            self.what,
            self.limit,
            self.actual - self.limit
        )
    }
}

/// The CloudFormation limits the stage's template goes over (resources, outputs, size; a
/// template over the inline limit is uploaded to S3, so only the S3 limit counts). Pure.
pub fn limits(stage: &DesiredStage) -> Vec<LimitExceeded> {
    let mut out = Vec::new();
    let resources = stage.stack_resources().count();
    if resources > MAX_RESOURCES {
        out.push(LimitExceeded {
            what: "resources",
            limit: MAX_RESOURCES,
            actual: resources,
        });
    }
    if stage.outputs.len() > MAX_OUTPUTS {
        out.push(LimitExceeded {
            what: "outputs",
            limit: MAX_OUTPUTS,
            actual: stage.outputs.len(),
        });
    }
    let size = to_text(&build(stage)).len();
    if size > MAX_TEMPLATE_BYTES {
        out.push(LimitExceeded {
            what: "bytes of template",
            limit: MAX_TEMPLATE_BYTES,
            actual: size,
        });
    }
    out
}

/// The template of the stage's stack: every stack-provisioned resource with its properties, the
/// `DependsOn` that references do not already imply, and the outputs.
pub fn build(stage: &DesiredStage) -> Value {
    let direct: BTreeSet<&str> = stage
        .resources
        .values()
        .filter(|r| r.provisioner == Provisioner::Direct)
        .map(|r| r.logical_id.as_str())
        .collect();
    let mut resources = Map::new();
    for r in stage.stack_resources() {
        let mut implied = BTreeSet::new();
        for v in r.properties.values() {
            collect_references(v, &mut implied);
        }
        let explicit: Vec<&str> = r
            .depends_on
            .iter()
            .map(String::as_str)
            .filter(|d| !implied.contains(*d) && !direct.contains(d))
            .collect();
        let mut body = Map::new();
        body.insert("Type".into(), json!(r.kind));
        if !explicit.is_empty() {
            body.insert("DependsOn".into(), json!(explicit));
        }
        body.insert("Properties".into(), Value::Object(r.properties.clone()));
        resources.insert(r.logical_id.clone(), Value::Object(body));
    }
    let outputs: Map<String, Value> = stage
        .outputs
        .iter()
        .map(|(k, v)| (k.clone(), json!({ "Value": v })))
        .collect();
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("hover stage {}", stage.name),
        "Resources": resources,
        "Outputs": outputs,
    })
}

/// The template as the text sent to CloudFormation (pretty, stable order).
pub fn to_text(template: &Value) -> String {
    serde_json::to_string_pretty(template).unwrap_or_default() + "\n"
}

/// Capabilities the template needs: `CAPABILITY_IAM` when it creates an IAM role.
pub fn capabilities(stage: &DesiredStage) -> Vec<&'static str> {
    if stage
        .stack_resources()
        .any(|r| r.kind.as_str().starts_with("AWS::IAM::"))
    {
        vec!["CAPABILITY_IAM"]
    } else {
        vec![]
    }
}

/// Properties of `logical_id` in a template as read back from CloudFormation.
pub fn resource_properties<'a>(
    template: &'a Value,
    logical_id: &str,
) -> Option<&'a Map<String, Value>> {
    template
        .get("Resources")?
        .get(logical_id)?
        .get("Properties")
        .and_then(Value::as_object)
}

/// Logical ids a template resource depends on (references and `DependsOn`).
pub fn resource_dependencies(template: &Value, logical_id: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(res) = template.get("Resources").and_then(|r| r.get(logical_id)) {
        if let Some(props) = res.get("Properties") {
            collect_references(props, &mut out);
        }
        match res.get("DependsOn") {
            Some(Value::String(s)) => {
                out.insert(s.clone());
            }
            Some(Value::Array(items)) => {
                out.extend(items.iter().filter_map(Value::as_str).map(str::to_string));
            }
            _ => {}
        }
    }
    out
}

/// Resource type of `logical_id` in a template.
pub fn resource_type(template: &Value, logical_id: &str) -> Option<ResourceType> {
    template
        .get("Resources")?
        .get(logical_id)?
        .get("Type")?
        .as_str()
        .map(ResourceType::parse)
}

/// The template with secret environment values masked, for showing to people (the one sent to
/// CloudFormation is [`build`]'s).
pub fn masked(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(Value::Object(resources)) = t.get_mut("Resources") {
        for r in resources.values_mut() {
            if let Some(Value::Object(props)) = r.get_mut("Properties") {
                crate::plan::mask::redact_properties(props);
            }
        }
    }
    t
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    fn stage_with_workers(n: usize) -> DesiredStage {
        let mut text = String::from("name: app\nregion: eu-west-1\nqueue:\n");
        for i in 0..n {
            text.push_str(&format!("  w{i}:\n    queues: [q{i}]\n"));
        }
        let manifest = crate::manifest::parse(".hover/dev.yml", &text).expect("a manifest");
        crate::stage::desired(&manifest, "b1")
    }

    #[test]
    fn cloudformation_limits_are_counted_from_the_desired_stage() {
        assert_eq!(limits(&stage_with_workers(2)), vec![]);
        let over = limits(&stage_with_workers(81));
        assert_eq!(over.len(), 1, "{over:?}");
        assert_eq!(over[0].what, "resources");
        assert_eq!(over[0].limit, MAX_RESOURCES);
        assert!(over[0].actual > MAX_RESOURCES);
        assert!(over[0].to_string().contains("CloudFormation allows 500"));
    }
}
