//! The plan: the only place actions are decided. Compares the desired stage with what AWS has and
//! what hover last applied, and yields per-resource actions (create, update in place, replace,
//! delete, nothing) with property-level before → after, their causes, and a dependency order.
//! Pure: no AWS, no printing.

pub mod destroy;
pub mod diff;
pub mod graph;
pub mod mask;
pub mod policy;
pub mod resolve;

use crate::model::{DesiredStage, LiveResource, ObservedStage, Provisioner, Resource};
use crate::schema;
use crate::template;
use resolve::{desired_iter, deterministic_table, Attributes, Resolver};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Version of the plan's JSON form.
pub const FORMAT_VERSION: &str = "1.0";

/// What will happen to one resource. Replacement is first-class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Replacement: the new resource is created before the old one is deleted (CloudFormation's way).
    CreateThenDelete,
    Delete,
}

impl Action {
    /// The action list of Terraform's `show -json` for this action.
    pub fn terraform(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Update => &["update"],
            Action::CreateThenDelete => &["create", "delete"],
            Action::Delete => &["delete"],
        }
    }

    pub fn is_replace(self) -> bool {
        matches!(self, Action::CreateThenDelete)
    }
}

/// Why an action was chosen, kept apart from the action itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A property that cannot change in place differs.
    ReplaceBecauseCannotUpdate,
    /// In the stack, but no longer in the manifest.
    DeleteBecauseNotInManifest,
    /// The stack holds it, but it was deleted outside hover.
    CreateBecauseDeletedOutside,
    /// Only changes made outside hover are put back.
    UpdateBecauseChangedOutside,
}

/// Where a difference comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The manifest asks for something other than what hover last applied.
    Manifest,
    /// The live resource drifted from what hover last applied; the plan puts it back.
    OutsideHover,
}

/// One top-level property that will change. Values are resolved and masked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub cause: Cause,
    pub forces_replacement: bool,
}

/// A property changed outside hover: what hover last applied and what AWS has now (masked).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub name: String,
    pub last_applied: Option<Value>,
    pub live: Option<Value>,
}

/// The planned change of one resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub logical_id: String,
    pub role: String,
    pub resource_type: String,
    pub name: String,
    pub provisioner: Provisioner,
    pub action: Action,
    pub reason: Option<Reason>,
    /// Properties forcing a replacement.
    pub replace_paths: Vec<String>,
    /// Properties that change (empty for no-op, create and delete).
    pub changes: Vec<AttributeChange>,
    /// Properties that will not change.
    pub unchanged: usize,
    /// Differences made outside hover since the last apply.
    pub drift: Vec<Drift>,
    /// The resource as it is (resolved, masked), `None` when absent.
    pub before: Option<Map<String, Value>>,
    /// The resource as it will be (resolved, masked), `None` when deleted.
    pub after: Option<Map<String, Value>>,
    pub depends_on: Vec<String>,
    /// Properties whose template expression changes while their value does not (the original
    /// Hover's `Fn::Join` rewritten as hover writes it, or a value already set outside hover):
    /// CloudFormation reports the resource as modified, and nothing about it changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub template_only: Vec<String>,
    /// Messages a delete or replacement of this queue destroys (`None` when it holds none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destroys_messages: Option<u64>,
}

/// A stage's plan: plain data, ordered, deterministic, free of secret values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: String,
    pub stage: String,
    pub region: String,
    pub account: Option<String>,
    pub image_tag: String,
    pub stack_status: Option<String>,
    /// Every resource, in apply order: creates and updates by dependency, deletes in reverse.
    pub resource_changes: Vec<ResourceChange>,
    /// Things the user must know that are not changes (e.g. a name already taken outside the stack).
    pub warnings: Vec<String>,
    /// Digest of the observed state the plan was computed from (saved plans refuse a stale one).
    pub observed_digest: String,
    /// The shared-config profile the stage names (`None`: the standard AWS environment decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The stack is still as the original Hover deployed it: this plan takes it over in place,
    /// keeping the original's logical ids.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub takeover: bool,
}

/// Counts for `Plan: N to add, N to change, N to destroy.` (replacements count as add and destroy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.resource_changes {
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::CreateThenDelete => {
                    s.add += 1;
                    s.destroy += 1
                }
                Action::Delete => s.destroy += 1,
                Action::NoOp => {}
            }
        }
        s
    }

    /// Whether applying would change anything.
    pub fn has_changes(&self) -> bool {
        self.resource_changes
            .iter()
            .any(|c| c.action != Action::NoOp)
    }

    /// Changes other than no-op, in order.
    pub fn actions(&self) -> impl Iterator<Item = &ResourceChange> {
        self.resource_changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
    }

    /// Deletions and replacements that destroy data, with what they destroy.
    pub fn data_loss(&self) -> Vec<String> {
        self.actions()
            .filter_map(|c| {
                c.destroys_messages.map(|n| {
                    format!(
                        "{} `{}` holds {n} message{}",
                        c.role,
                        c.name,
                        if n == 1 { "" } else { "s" }
                    )
                })
            })
            .collect()
    }

    /// Resources with changes made outside hover.
    pub fn drifted(&self) -> impl Iterator<Item = &ResourceChange> {
        self.resource_changes.iter().filter(|c| !c.drift.is_empty())
    }
}

/// What `hover apply` can put back through a service's own API when it was changed outside
/// hover, per resource type: the top-level properties `direct::repair` handles.
const REPAIRABLE: &[(&str, &[&str])] = &[
    (
        "AWS::Lambda::Function",
        &[
            "MemorySize",
            "Timeout",
            "Role",
            "Environment",
            "VpcConfig",
            "ReservedConcurrentExecutions",
            "Code",
        ],
    ),
    ("AWS::Logs::LogGroup", &["RetentionInDays"]),
    (
        "AWS::SQS::Queue",
        &[
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "RedrivePolicy",
        ],
    ),
    (
        "AWS::Events::Rule",
        &["ScheduleExpression", "State", "Targets"],
    ),
    (
        "AWS::Lambda::EventSourceMapping",
        &["BatchSize", "Enabled", "FunctionResponseTypes"],
    ),
    ("AWS::CloudFront::Distribution", &["DistributionConfig"]),
    (
        "AWS::IAM::Role",
        &["AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns"],
    ),
];

/// Whether `hover apply` can put `property` of a `resource_type` back when it was changed outside
/// hover (through the service's API); otherwise it must be changed back by hand.
pub fn repairable(resource_type: &str, property: &str) -> bool {
    REPAIRABLE
        .iter()
        .any(|(t, props)| *t == resource_type && props.contains(&property))
}

/// Why no plan could be made.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PlanError {
    #[error("the stage's resources depend on each other in a cycle: {}", .0.join(" -> "))]
    #[diagnostic(code(hover::plan::cycle))]
    Cycle(Vec<String>),
}

/// Digest of an observed state (stable across runs for the same state), over the state with secret
/// values masked: it is printed in the JSON plan and saved with plans, so it must not let anyone
/// test guesses of a secret.
pub fn observed_digest(observed: &ObservedStage) -> String {
    // The JSON of the masked state, serialised straight into the hash and one resource at a
    // time: the same bytes as the whole masked copy would give, never held at once.
    struct Masked<'a>(&'a ObservedStage);
    impl Serialize for Masked<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct;
            let stack = self.0.stack.as_ref().map(|s| crate::model::StackState {
                template: s.template.as_ref().map(template::masked),
                name: s.name.clone(),
                stack_id: s.stack_id.clone(),
                status: s.status.clone(),
                status_reason: s.status_reason.clone(),
                resources: s.resources.clone(),
                outputs: s.outputs.clone(),
            });
            let resources = MaskedResources(&self.0.resources);
            let mut st = serializer.serialize_struct("ObservedStage", 3)?;
            st.serialize_field("account", &self.0.account)?;
            st.serialize_field("stack", &stack)?;
            st.serialize_field("resources", &resources)?;
            st.end()
        }
    }
    struct MaskedResources<'a>(&'a BTreeMap<String, LiveResource>);
    impl Serialize for MaskedResources<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_map(self.0.iter().map(|(id, r)| {
                let mut r = r.clone();
                mask::mask_properties(&mut r.properties);
                r.attributes.remove(crate::model::MESSAGES_HELD);
                (id, r)
            }))
        }
    }
    let mut hasher = Sha256::new();
    let _ = serde_json::to_writer(&mut hasher, &Masked(observed));
    let digest = hasher.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[test]
fn the_observed_digest_is_that_of_the_masked_copy() {
    // The streamed digest hashes exactly the JSON of the whole masked copy.
    let mut observed = ObservedStage {
        account: Some("123456789012".into()),
        ..Default::default()
    };
    let props: Map<String, Value> = serde_json::from_value(serde_json::json!({
        "Environment": {"Variables": {"APP_KEY": "base64:secret", "APP_ENV": "dev"}},
        "MemorySize": 512
    }))
    .unwrap_or_default();
    observed.resources.insert(
        "HttpFunction".into(),
        LiveResource {
            resource_type: "AWS::Lambda::Function".into(),
            physical_id: "f".into(),
            attributes: BTreeMap::from([(crate::model::MESSAGES_HELD.to_string(), "3".into())]),
            properties: props.clone(),
        },
    );
    observed.stack = Some(crate::model::StackState {
        name: "s".into(),
        stack_id: "id".into(),
        status: "UPDATE_COMPLETE".into(),
        status_reason: None,
        template: Some(serde_json::json!({"Resources": {"HttpFunction": {
            "Type": "AWS::Lambda::Function", "Properties": props}}})),
        resources: BTreeMap::new(),
        outputs: BTreeMap::new(),
    });
    let mut masked = observed.clone();
    for r in masked.resources.values_mut() {
        mask::mask_properties(&mut r.properties);
        r.attributes.remove(crate::model::MESSAGES_HELD);
    }
    if let Some(t) = masked.stack.as_mut().and_then(|s| s.template.as_mut()) {
        *t = template::masked(t);
    }
    let text = serde_json::to_string(&masked).unwrap_or_default();
    assert!(!text.contains("base64:secret"), "{text}");
    let expected: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(observed_digest(&observed), expected);
}

/// Plans `desired` against `observed`.
pub fn plan(desired: &DesiredStage, observed: &ObservedStage) -> Result<Plan, PlanError> {
    let account = observed.account.as_deref();
    let region = desired.region.as_str();
    let stack_name = desired.name.as_str();
    let stack = observed.stack.as_ref();
    // A stack in REVIEW_IN_PROGRESS was never executed: nothing was applied yet.
    let last_template = stack
        .filter(|s| s.status != "REVIEW_IN_PROGRESS")
        .and_then(|s| s.template.as_ref());
    let in_stack = |id: &str| stack.is_some_and(|s| s.resources.contains_key(id));
    // The original Hover's template is not what hover last applied: where live differs from it,
    // nobody changed anything outside hover (AWS filled in what the original left unsaid).
    let takeover = crate::stage::Scheme::awaiting_takeover(stack);

    let live_attrs: Attributes = observed
        .resources
        .iter()
        .map(|(id, r)| (id.clone(), r.attributes.clone()))
        .collect();

    // What hover last applied, resolved against what exists now.
    let last_resources: Vec<(String, String, Map<String, Value>)> = last_template
        .and_then(|t| t.get("Resources"))
        .and_then(Value::as_object)
        .map(|res| {
            res.keys()
                .map(|id| {
                    (
                        id.clone(),
                        template::resource_type(last_template.unwrap_or(&Value::Null), id)
                            .unwrap_or_default(),
                        template::resource_properties(last_template.unwrap_or(&Value::Null), id)
                            .cloned()
                            .unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let last_table = deterministic_table(
        last_resources
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c)),
        &live_attrs,
        account,
        region,
        stack_name,
    );
    let last_resolver = Resolver {
        account,
        region,
        stack_name,
        attributes: &last_table,
    };
    let last_props: BTreeMap<&str, Map<String, Value>> = last_resources
        .iter()
        .map(|(id, _, props)| (id.as_str(), last_resolver.resolve_map(props)))
        .collect();

    // Decide, then decide again while replacements make more values unknown.
    let mut replaced: BTreeSet<String> = BTreeSet::new();
    let mut changes;
    let mut warnings;
    loop {
        let base: Attributes = live_attrs
            .iter()
            .filter(|(id, _)| !replaced.contains(*id))
            .map(|(id, a)| (id.clone(), a.clone()))
            .collect();
        let table = deterministic_table(
            desired_iter(&desired.resources),
            &base,
            account,
            region,
            stack_name,
        );
        let resolver = Resolver {
            account,
            region,
            stack_name,
            attributes: &table,
        };
        changes = BTreeMap::new();
        warnings = Vec::new();
        for r in desired.resources.values() {
            let d = resolver.resolve_map(&r.properties);
            let change = decide(
                r,
                Some(d),
                last_props.get(r.logical_id.as_str()),
                observed.resources.get(&r.logical_id),
                in_stack(&r.logical_id),
                takeover,
                &mut warnings,
            );
            changes.insert(r.logical_id.clone(), change);
        }
        if let Some(stack) = stack {
            for (id, sr) in &stack.resources {
                if desired.resources.contains_key(id) {
                    continue;
                }
                let shell = Resource {
                    logical_id: id.clone(),
                    role: role_of_removed(&sr.resource_type),
                    resource_type: sr.resource_type.clone(),
                    name: sr.physical_id.clone(),
                    provisioner: Provisioner::Stack,
                    properties: Map::new(),
                    depends_on: last_template
                        .map(|t| template::resource_dependencies(t, id))
                        .unwrap_or_default(),
                };
                let change = decide(
                    &shell,
                    None,
                    last_props.get(id.as_str()),
                    observed.resources.get(id),
                    true,
                    takeover,
                    &mut warnings,
                );
                changes.insert(id.clone(), change);
            }
        }
        let now: BTreeSet<String> = changes
            .values()
            .filter(|c: &&ResourceChange| c.action.is_replace())
            .map(|c| c.logical_id.clone())
            .collect();
        if now == replaced {
            break;
        }
        replaced = now;
    }

    // Order: creates/updates by the desired graph, deletes by the reverse of the last applied one.
    let nodes: BTreeSet<String> = changes
        .values()
        .filter(|c| c.action != Action::Delete)
        .map(|c| c.logical_id.clone())
        .collect();
    let edges: Vec<(String, String)> = desired
        .resources
        .values()
        .flat_map(|r| {
            r.depends_on
                .iter()
                .map(move |d| (d.clone(), r.logical_id.clone()))
        })
        .collect();
    let forward = graph::order(&nodes, &edges).map_err(PlanError::Cycle)?;
    let deleted: BTreeSet<String> = changes
        .values()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.logical_id.clone())
        .collect();
    let old_edges: Vec<(String, String)> = deleted
        .iter()
        .flat_map(|id| {
            changes[id]
                .depends_on
                .iter()
                .map(move |d| (d.clone(), id.clone()))
        })
        .chain(last_resources.iter().flat_map(|(id, _, _)| {
            last_template
                .map(|t| template::resource_dependencies(t, id))
                .unwrap_or_default()
                .into_iter()
                .map(move |d| (d, id.clone()))
        }))
        .collect();
    let mut backward = graph::order(&deleted, &old_edges).map_err(PlanError::Cycle)?;
    backward.reverse();

    let mut resource_changes = Vec::with_capacity(changes.len());
    for id in forward.iter().chain(backward.iter()) {
        if let Some(c) = changes.remove(id) {
            resource_changes.push(c);
        }
    }
    warnings.sort();
    warnings.dedup();
    Ok(Plan {
        format_version: FORMAT_VERSION.to_string(),
        stage: desired.name.clone(),
        region: desired.region.clone(),
        account: observed.account.clone(),
        image_tag: desired.image_tag.clone(),
        stack_status: stack.map(|s| s.status.clone()),
        resource_changes,
        warnings,
        observed_digest: observed_digest(observed),
        profile: None,
        takeover,
    })
}

fn role_of_removed(resource_type: &str) -> String {
    let short = resource_type.rsplit("::").next().unwrap_or(resource_type);
    format!("former {}", short.to_ascii_lowercase())
}

/// Decides one resource. `d` desired (resolved), `l` last applied (resolved), `r` live.
fn decide(
    res: &Resource,
    d: Option<Map<String, Value>>,
    l: Option<&Map<String, Value>>,
    r: Option<&LiveResource>,
    in_stack: bool,
    takeover: bool,
    warnings: &mut Vec<String>,
) -> ResourceChange {
    let mut change = ResourceChange {
        logical_id: res.logical_id.clone(),
        role: res.role.clone(),
        resource_type: res.resource_type.clone(),
        name: res.name.clone(),
        provisioner: res.provisioner,
        action: Action::NoOp,
        reason: None,
        replace_paths: vec![],
        changes: vec![],
        unchanged: 0,
        drift: vec![],
        before: None,
        after: None,
        depends_on: res.depends_on.iter().cloned().collect(),
        template_only: vec![],
        destroys_messages: None,
    };
    match (d, r) {
        (None, None) => {}
        (Some(d), None) => {
            change.action = Action::Create;
            if in_stack {
                change.reason = Some(Reason::CreateBecauseDeletedOutside);
                warnings.push(format!(
                    "{} `{}` ({}) was deleted outside hover, but the stack still records it: CloudFormation will not create it again, so apply stops before changing anything. Recreate it with the same name, or remove it from the manifest, apply, and add it back.",
                    res.role, res.name, res.resource_type
                ));
            }
            change.after = Some(masked(d));
        }
        (None, Some(r)) => {
            change.action = Action::Delete;
            change.reason = Some(Reason::DeleteBecauseNotInManifest);
            change.before = Some(masked(current_view(l, r, None)));
        }
        (Some(d), Some(r)) => {
            if res.provisioner == Provisioner::Stack && !in_stack {
                warnings.push(format!(
                    "{} `{}` ({}) already exists outside the stack: CloudFormation cannot create it while it does; delete it or rename the stage.",
                    res.role, res.name, res.resource_type
                ));
                change.action = Action::Create;
                change.after = Some(masked(d));
                return change;
            }
            let current = current_view(l, r, Some(&d));
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
                let readable = r.properties.contains_key(key);
                let now = current.get(key);
                let same = |a: Option<&Value>, b: Option<&Value>| {
                    same_property(&res.resource_type, key, a, b)
                };
                if same(now, after) {
                    change.unchanged += usize::from(after.is_some_and(|v| !v.is_null()));
                    if l.is_some() && res.provisioner == Provisioner::Stack && !same(last, after) {
                        change.template_only.push(key.clone());
                    }
                } else {
                    let cause = match l {
                        Some(_) if !same(last, after) => Cause::Manifest,
                        Some(_) => Cause::OutsideHover,
                        None => Cause::Manifest,
                    };
                    let forces = schema::forces_replacement(&res.resource_type, key);
                    if forces {
                        change.replace_paths.push(key.clone());
                    }
                    let (before, after) = mask::mask_pair(key, now.cloned(), after.cloned());
                    change.changes.push(AttributeChange {
                        name: key.clone(),
                        before,
                        after,
                        cause,
                        forces_replacement: forces,
                    });
                }
                if readable && l.is_some() && !takeover && !same(now, last) {
                    let (last_applied, live) = mask::mask_pair(key, last.cloned(), now.cloned());
                    change.drift.push(Drift {
                        name: key.clone(),
                        last_applied,
                        live,
                    });
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
            change.before = Some(masked(current));
            change.after = Some(masked(d));
        }
    }
    if matches!(change.action, Action::Delete | Action::CreateThenDelete) {
        change.destroys_messages = r
            .and_then(|r| r.attributes.get(crate::model::MESSAGES_HELD))
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|n| *n > 0);
    }
    change
}

/// Whether two values of property `key` mean the same: [`diff::same`], with policy documents
/// first brought to one shape ([`policy::canonical`]).
fn same_property(resource_type: &str, key: &str, a: Option<&Value>, b: Option<&Value>) -> bool {
    if resource_type == "AWS::Lambda::Alias" && key == "FunctionVersion" {
        return same_alias_version(a, b);
    }
    if policy::holds_policies(resource_type, key) {
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
        } else if policy::holds_policies(&r.resource_type, k) {
            out.insert(k.clone(), v.clone());
        } else {
            out.insert(k.clone(), diff::project(v, &wanted));
        }
    }
    out
}

fn masked(mut props: Map<String, Value>) -> Map<String, Value> {
    mask::mask_properties(&mut props);
    props
}

/// The desired stage's properties resolved against what exists now, unmasked: the values apply
/// writes through service APIs. Never rendered or saved.
pub fn resolved_desired(
    desired: &DesiredStage,
    observed: &ObservedStage,
) -> BTreeMap<String, Map<String, Value>> {
    let account = observed.account.as_deref();
    let live_attrs: Attributes = observed
        .resources
        .iter()
        .map(|(id, r)| (id.clone(), r.attributes.clone()))
        .collect();
    let table = deterministic_table(
        desired_iter(&desired.resources),
        &live_attrs,
        account,
        &desired.region,
        &desired.name,
    );
    let resolver = Resolver {
        account,
        region: &desired.region,
        stack_name: &desired.name,
        attributes: &table,
    };
    desired
        .resources
        .iter()
        .map(|(id, r)| (id.clone(), resolver.resolve_map(&r.properties)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{repairable, same_property};
    use serde_json::json;

    #[test]
    fn the_release_behind_live_is_not_drift() {
        let alias = |a: &str, b: &str| {
            same_property(
                "AWS::Lambda::Alias",
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
            "AWS::Lambda::Function",
            "FunctionVersion",
            Some(&json!("$LATEST")),
            Some(&json!("7"))
        ));
    }

    #[test]
    fn repairable_lists_the_properties_apply_puts_back() {
        for (ty, prop) in [
            ("AWS::Lambda::Function", "MemorySize"),
            ("AWS::Lambda::Function", "ReservedConcurrentExecutions"),
            ("AWS::Lambda::Function", "Code"),
            ("AWS::Logs::LogGroup", "RetentionInDays"),
            ("AWS::SQS::Queue", "RedrivePolicy"),
            ("AWS::Events::Rule", "Targets"),
            ("AWS::Lambda::EventSourceMapping", "FunctionResponseTypes"),
            ("AWS::CloudFront::Distribution", "DistributionConfig"),
            ("AWS::IAM::Role", "Policies"),
            ("AWS::IAM::Role", "ManagedPolicyArns"),
            ("AWS::IAM::Role", "AssumeRolePolicyDocument"),
        ] {
            assert!(repairable(ty, prop), "{ty} {prop}");
        }
        for (ty, prop) in [
            ("AWS::Lambda::Function", "FunctionName"),
            ("AWS::Lambda::Function", "PackageType"),
            ("AWS::SQS::Queue", "QueueName"),
            ("AWS::Lambda::Alias", "Name"),
            ("AWS::Lambda::Alias", "FunctionVersion"),
            ("AWS::IAM::Role", "RoleName"),
            ("AWS::IAM::Role", "Path"),
            (
                "AWS::CloudFront::OriginAccessControl",
                "OriginAccessControlConfig",
            ),
            ("AWS::ApiGatewayV2::Api", "Name"),
            ("AWS::Logs::LogGroup", "MemorySize"),
            ("AWS::S3::BucketPolicy", "PolicyDocument"),
        ] {
            assert!(!repairable(ty, prop), "{ty} {prop}");
        }
    }
}
