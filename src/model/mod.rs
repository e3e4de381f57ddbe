//! The stage model shared by every layer: typed resources of one stage as desired (from the
//! manifest) and as observed (read from AWS), what hover knows of each resource type and the
//! handle naming it ([`kinds`]), and what `live` looks up for each resource ([`target`]). Plain
//! data; no AWS types.

pub mod kinds;
pub mod partition;
pub mod stack_status;
pub mod target;

pub use kinds::{ResourceKind, ResourceType};
pub use partition::Partition;
pub use stack_status::StackStatus;
pub use target::{LiveTarget, Lookup, MappingKeys};

use crate::naming::ids::{Scheme, ORIGINAL_MARKERS, ORIGINAL_OUTPUTS};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Who provisions a resource: the stage's CloudFormation stack, or hover directly through the
/// service API before the stack (ECR repository, assets bucket, KMS key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provisioner {
    Stack,
    Direct,
}

/// One resource of the desired stage. `properties` are CloudFormation properties and may hold the
/// intrinsic functions `Ref`, `Fn::GetAtt` and `Fn::Sub`; `depends_on` holds every other resource it
/// needs first (intrinsic references included).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub logical_id: String,
    /// Its part in the stage, for people: `http function`, `queue emails_high`.
    pub role: String,
    /// Its type (serialized as the CloudFormation type, e.g. `AWS::Lambda::Function`).
    #[serde(rename = "resource_type")]
    pub kind: ResourceKind,
    /// The AWS name (or the best human identifier when AWS assigns the name).
    pub name: String,
    pub provisioner: Provisioner,
    pub properties: Map<String, Value>,
    /// Resources that must exist first; references found in `properties` are included.
    pub depends_on: BTreeSet<String>,
}

/// The stage as the manifest wants it: every resource, keyed by logical id, plus the stack outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesiredStage {
    pub name: String,
    pub region: String,
    /// Tag of the image every function runs.
    pub image_tag: String,
    pub stack_role: Option<String>,
    /// Which logical ids the stage uses: hover's, or the original Hover's for a stage it deployed.
    #[serde(default)]
    pub ids: Scheme,
    pub resources: BTreeMap<String, Resource>,
    pub outputs: BTreeMap<String, Value>,
}

impl DesiredStage {
    /// The partition of the stage's region, which every ARN of the stage is in.
    pub fn partition(&self) -> Partition {
        Partition::of(&self.region)
    }

    /// Stack-provisioned resources only, in logical-id order.
    pub fn stack_resources(&self) -> impl Iterator<Item = &Resource> {
        self.resources
            .values()
            .filter(|r| r.provisioner == Provisioner::Stack)
    }

    /// Every dependency as an edge (needed first, then the resource that needs it).
    pub fn dependency_edges(&self) -> Vec<(String, String)> {
        self.resources
            .values()
            .flat_map(|r| {
                r.depends_on
                    .iter()
                    .map(move |d| (d.clone(), r.logical_id.clone()))
            })
            .collect()
    }

    /// The logical id of the `live` alias of the function `function_id`, whichever scheme of
    /// logical ids the stage uses (`HttpFunction` → `HttpAlias`, `HTTPLambda` →
    /// `HTTPLambdaLiveAlias`).
    pub fn alias_of(&self, function_id: &str) -> Option<&str> {
        let by_ref = serde_json::json!({ "Ref": function_id });
        self.resources
            .values()
            .find(|r| {
                r.kind == ResourceKind::Alias && r.properties.get("FunctionName") == Some(&by_ref)
            })
            .map(|r| r.logical_id.as_str())
    }
}

/// Attribute of a live queue with the messages it holds (visible, in flight and delayed): what
/// deleting or replacing it destroys. A count of the moment, left out of the observed digest.
pub const MESSAGES_HELD: &str = "MessagesHeld";

/// Attributes of a live queue with its visible, in-flight and delayed messages (for `hover
/// status`); counts of the moment, left out of the observed digest.
pub const MESSAGE_COUNTS: [&str; 3] = ["MessagesVisible", "MessagesInFlight", "MessagesDelayed"];

/// Attribute of a live function: its state (`Active`, `Pending`, `Inactive`, `Failed`), for `hover
/// status`; it changes by itself, so it is left out of the observed digest.
pub const FUNCTION_STATE: &str = "State";

/// The attributes that change without any change to the stage, left out of the observed digest.
pub const MOMENTARY_ATTRIBUTES: [&str; 5] = [
    MESSAGES_HELD,
    MESSAGE_COUNTS[0],
    MESSAGE_COUNTS[1],
    MESSAGE_COUNTS[2],
    FUNCTION_STATE,
];

/// Attribute of a live `AWS::Lambda::Alias`: the build id of the version it points at (the
/// version's description; empty for `$LATEST` or a version published without one).
pub const RELEASE_BUILD: &str = "ReleaseBuild";

/// What AWS has for a stage, as read by `live`. Absent things are absent, not errors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ObservedStage {
    /// Account the credentials resolve to.
    pub account: Option<String>,
    pub stack: Option<StackState>,
    /// Live resources by logical id (desired ones and those the stack still holds).
    pub resources: BTreeMap<String, LiveResource>,
    /// The stage is down for maintenance (`hover down`): since when and with which options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<Maintenance>,
}

/// A stage's maintenance state as `hover down` wrote it in the stage's bucket: the stage is down
/// (every HTTP request gets Laravel's maintenance answer, workers take no job, the scheduler runs
/// no task) until `hover up`. Read by hover and by the runtime of every function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maintenance {
    /// When the stage went down (RFC 3339, UTC); kept when `hover down` only changes options.
    pub since: String,
    /// The path that sets Laravel's bypass cookie (`artisan down --secret`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// `Retry-After` seconds of the maintenance answer (`artisan down --retry`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<u32>,
    /// The view prerendered as the maintenance page (`artisan down --render`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render: Option<String>,
}

/// The stage's CloudFormation stack as it is now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StackState {
    pub name: String,
    pub stack_id: String,
    pub status: StackStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The template last applied (its JSON body), when readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Value>,
    /// Resources in the stack by logical id.
    #[serde(default)]
    pub resources: BTreeMap<String, StackResource>,
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
    /// When the stack's last operation began (its last update, else its creation; RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
}

impl StackState {
    /// The scheme of logical ids of this stack: the original's when it holds one of the ids the
    /// original always wrote (before and after hover took it over), else hover's.
    pub fn scheme(&self) -> Scheme {
        let in_template = |id: &str| {
            self.template
                .as_ref()
                .and_then(|t| t.get("Resources"))
                .is_some_and(|r| r.get(id).is_some())
        };
        if ORIGINAL_MARKERS
            .iter()
            .any(|id| self.resources.contains_key(*id) || in_template(id))
        {
            Scheme::Original
        } else {
            Scheme::Hover
        }
    }

    /// Whether the stack is still as the original Hover left it (the outputs of its last template
    /// are the original's): the next apply takes it over.
    pub fn awaiting_takeover(&self) -> bool {
        let template_outputs = self
            .template
            .as_ref()
            .and_then(|t| t.get("Outputs"))
            .and_then(|o| o.as_object());
        // The template last applied decides; the stack's outputs only when it cannot be read.
        let original_output = |o: &&str| match template_outputs {
            Some(t) => t.contains_key(*o),
            None => self.outputs.contains_key(*o),
        };
        self.scheme() == Scheme::Original && ORIGINAL_OUTPUTS.iter().any(original_output)
    }
}

/// The scheme of logical ids of a stage whose stack is `stack`: hover's for a stage with none.
pub fn scheme_of(stack: Option<&StackState>) -> Scheme {
    stack.map_or(Scheme::Hover, StackState::scheme)
}

/// One resource as the stack records it (its type may be one hover does not manage).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackResource {
    pub resource_type: ResourceType,
    pub physical_id: String,
    pub status: String,
}

/// One resource as it exists in AWS. `properties` are in CloudFormation's shape and hold only what
/// the reader can observe; a readable property that is unset is `null`. Properties the reader
/// cannot observe are missing (the planner then falls back to the last applied template).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveResource {
    pub resource_type: ResourceType,
    pub physical_id: String,
    /// `Ref` and `Fn::GetAtt` values (`Ref`, `Arn`, `ApiEndpoint`, `DomainName`, ...).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub properties: Map<String, Value>,
}

/// One resource's desired properties resolved against what exists now, unmasked: what apply
/// writes through service APIs. A value only known after apply is `null` in `values`, and the
/// top-level property holding it is named in `unknown`. Never rendered or saved.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resolved {
    pub values: Map<String, Value>,
    pub unknown: BTreeSet<String>,
}

impl Resolved {
    /// Whether every part of `property` is known.
    pub fn is_known(&self, property: &str) -> bool {
        !self.unknown.contains(property)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(ids: &[&str], outputs: &[&str]) -> StackState {
        StackState {
            name: "s".into(),
            stack_id: "id".into(),
            status: "UPDATE_COMPLETE".into(),
            status_reason: None,
            last_updated: None,
            template: None,
            resources: ids
                .iter()
                .map(|id| {
                    (
                        id.to_string(),
                        StackResource {
                            resource_type: "T".into(),
                            physical_id: "p".into(),
                            status: "CREATE_COMPLETE".into(),
                        },
                    )
                })
                .collect(),
            outputs: outputs
                .iter()
                .map(|o| (o.to_string(), "v".to_string()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn the_stack_decides_the_scheme_and_whether_a_takeover_is_due() {
        assert_eq!(scheme_of(None), Scheme::Hover);
        let hover = stack(&["HttpFunction", "Distribution"], &["CdnDomain"]);
        assert_eq!(hover.scheme(), Scheme::Hover);
        assert!(!hover.awaiting_takeover());
        let original = stack(&["HTTPLambda", "CFDistribution"], &["Signature"]);
        assert_eq!(original.scheme(), Scheme::Original);
        assert!(original.awaiting_takeover());
        let taken_over = stack(&["HTTPLambda", "CFDistribution"], &["CdnDomain"]);
        assert_eq!(taken_over.scheme(), Scheme::Original);
        assert!(!taken_over.awaiting_takeover());
    }
}
