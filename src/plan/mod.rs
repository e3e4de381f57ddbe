//! The plan: the only place actions are decided. Compares the desired stage with what AWS has and
//! what hover last applied, and yields per-resource actions (create, update in place, replace,
//! delete, nothing) with a property-level diff tree, its cause, whether apply can put a change
//! made outside hover back (from the type table, [`crate::model::kinds`]), and a dependency order.
//! Pure: no AWS, no printing.

mod decide;
pub mod destroy;
pub mod diff;
mod digest;
pub mod graph;
pub mod marked;
pub mod mask;
pub mod policy;
pub mod resolve;
pub mod traffic;

use crate::model::{
    DesiredStage, ObservedStage, Provisioner, Resolved, Resource, ResourceKind, ResourceType,
    StackStatus,
};
use crate::template;
use decide::{decide, decide_removed};
use diff::Diff;
pub use digest::observed_digest;
use marked::Marked;
use resolve::{desired_iter, deterministic_table, Attributes, Resolver};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
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

/// One top-level property that will change: its before → after diff tree (values resolved,
/// unknown and secret ones marked).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    pub name: String,
    pub diff: Diff,
    pub cause: Cause,
    pub forces_replacement: bool,
    /// Whether apply makes this change: always for the manifest's; for one made outside hover,
    /// whether apply can put it back (otherwise it must be changed back by hand).
    pub repairable: bool,
}

/// A property changed outside hover: what hover last applied and what AWS has now, and the diff
/// tree between them (secrets marked).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub name: String,
    pub last_applied: Option<Marked>,
    pub live: Option<Marked>,
    pub diff: Option<Diff>,
}

/// The planned change of one resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    pub logical_id: String,
    pub role: String,
    /// Its type: one hover manages, or another the stack holds.
    pub resource_type: ResourceType,
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
    /// The resource's properties as they are (resolved, marked), `None` when absent.
    pub before: Option<Marked>,
    /// The resource's properties as they will be (resolved, marked), `None` when deleted.
    pub after: Option<Marked>,
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

impl ResourceChange {
    /// `res` with nothing decided yet: no action, no change, no drift.
    pub fn of(res: &Resource) -> Self {
        ResourceChange {
            provisioner: res.provisioner,
            depends_on: res.depends_on.iter().cloned().collect(),
            ..ResourceChange::named(&res.logical_id, &res.role, res.kind, &res.name)
        }
    }

    /// A stack resource of type `resource_type` with nothing decided yet and no dependencies.
    pub fn named(
        logical_id: &str,
        role: &str,
        resource_type: impl Into<ResourceType>,
        name: &str,
    ) -> Self {
        ResourceChange {
            logical_id: logical_id.to_string(),
            role: role.to_string(),
            resource_type: resource_type.into(),
            name: name.to_string(),
            provisioner: Provisioner::Stack,
            action: Action::NoOp,
            reason: None,
            replace_paths: vec![],
            changes: vec![],
            unchanged: 0,
            drift: vec![],
            before: None,
            after: None,
            depends_on: vec![],
            template_only: vec![],
            destroys_messages: None,
        }
    }
}

/// A stage's plan: plain data, ordered, deterministic, free of secret values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: String,
    pub stage: String,
    pub region: String,
    pub account: Option<String>,
    pub image_tag: String,
    pub stack_status: Option<StackStatus>,
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
    /// The functions' `live` aliases are on different builds: which function is on which. Not a
    /// change of the stack, but the stage is not on one release (`--detailed-exitcode` exits 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic: Option<traffic::TrafficSplit>,
    /// The stage is down for maintenance (`hover down`; the bypass secret masked): its queue
    /// mappings stay disabled until `hover up`, whatever is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<crate::model::Maintenance>,
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

    /// Whether the stage differs from what it should be: a change to make, or traffic split
    /// across releases (what `--detailed-exitcode` reports as 2).
    pub fn differs(&self) -> bool {
        self.has_changes() || self.traffic.is_some()
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

/// Why no plan could be made.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PlanError {
    #[error("the stage's resources depend on each other in a cycle: {}", .0.join(" -> "))]
    #[diagnostic(code(hover::plan::cycle))]
    Cycle(Vec<String>),
}

/// Plans `desired` against `observed`.
pub fn plan(desired: &DesiredStage, observed: &ObservedStage) -> Result<Plan, PlanError> {
    let ctx = Context::new(desired, observed);
    let (mut changes, mut warnings) = ctx.decide_all();
    maintenance_switches(&mut changes, desired, observed);
    let resource_changes = ctx.order(changes)?;
    warnings.sort();
    warnings.dedup();
    Ok(Plan {
        format_version: FORMAT_VERSION.to_string(),
        stage: desired.name.clone(),
        region: desired.region.clone(),
        account: observed.account.clone(),
        image_tag: desired.image_tag.clone(),
        stack_status: observed.stack.as_ref().map(|s| s.status.clone()),
        resource_changes,
        warnings,
        observed_digest: observed_digest(observed),
        profile: None,
        takeover: ctx.takeover,
        traffic: traffic::split(observed),
        maintenance: observed
            .maintenance
            .as_ref()
            .map(|m| crate::model::Maintenance {
                secret: m.secret.as_ref().map(|_| mask::SENSITIVE_TEXT.to_string()),
                ..m.clone()
            }),
    })
}

/// A queue mapping that `hover down` or `hover up` switched differs from the template last applied
/// in `Enabled` only, and is as the stage wants it now (disabled while down): that is no change
/// made outside hover, and CloudFormation only rewrites the template's value.
fn maintenance_switches(
    changes: &mut BTreeMap<String, ResourceChange>,
    desired: &DesiredStage,
    observed: &ObservedStage,
) {
    const ENABLED: &str = "Enabled";
    for c in changes.values_mut() {
        if c.resource_type != ResourceKind::EventSourceMapping
            || !c.drift.iter().any(|d| d.name == ENABLED)
        {
            continue;
        }
        let wanted = desired
            .resources
            .get(&c.logical_id)
            .and_then(|r| r.properties.get(ENABLED));
        let live = observed
            .resources
            .get(&c.logical_id)
            .and_then(|r| r.properties.get(ENABLED));
        if wanted.is_some() && wanted == live {
            c.drift.retain(|d| d.name != ENABLED);
            if !c.template_only.iter().any(|p| p == ENABLED) {
                c.template_only.push(ENABLED.to_string());
            }
        }
    }
}

/// What every step of one plan reads.
struct Context<'a> {
    desired: &'a DesiredStage,
    observed: &'a ObservedStage,
    /// The template hover last applied (none while the stack was never executed).
    last_template: Option<&'a Value>,
    /// Logical ids of the last applied template's resources.
    last_ids: Vec<String>,
    /// Their properties, resolved against what exists now.
    last_props: BTreeMap<String, Map<String, Value>>,
    live_attrs: Attributes,
    /// The original Hover's template is not what hover last applied: where live differs from
    /// it, nobody changed anything outside hover (AWS filled in what the original left unsaid).
    takeover: bool,
}

impl<'a> Context<'a> {
    fn new(desired: &'a DesiredStage, observed: &'a ObservedStage) -> Self {
        let stack = observed.stack.as_ref();
        // A stack in REVIEW_IN_PROGRESS was never executed: nothing was applied yet.
        let last_template = stack
            .filter(|s| !s.status.awaiting_review())
            .and_then(|s| s.template.as_ref());
        let live_attrs = live_attributes(observed);
        let template = last_template.unwrap_or(&Value::Null);
        let last_resources: Vec<(String, Option<ResourceKind>, Map<String, Value>)> = template
            .get("Resources")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|res| res.keys())
            .map(|id| {
                (
                    id.clone(),
                    template::resource_type(template, id).and_then(|t| t.kind()),
                    template::resource_properties(template, id)
                        .cloned()
                        .unwrap_or_default(),
                )
            })
            .collect();
        let table = deterministic_table(
            last_resources
                .iter()
                .map(|(id, kind, props)| (id.as_str(), *kind, props)),
            &live_attrs,
            observed.account.as_deref(),
            &desired.region,
            &desired.name,
        );
        let resolver = resolver(desired, observed, &table);
        Context {
            desired,
            observed,
            last_template,
            last_ids: last_resources.iter().map(|(id, _, _)| id.clone()).collect(),
            last_props: last_resources
                .iter()
                .map(|(id, _, props)| (id.clone(), resolver.resolve_map(props)))
                .collect(),
            live_attrs,
            takeover: stack.is_some_and(crate::model::StackState::awaiting_takeover),
        }
    }

    /// Decides every resource, then decides again while replacements make more values unknown.
    fn decide_all(&self) -> (BTreeMap<String, ResourceChange>, Vec<String>) {
        let mut replaced: BTreeSet<String> = BTreeSet::new();
        loop {
            let (changes, warnings) = self.decide_once(&replaced);
            let now: BTreeSet<String> = changes
                .values()
                .filter(|c| c.action.is_replace())
                .map(|c| c.logical_id.clone())
                .collect();
            if now == replaced {
                return (changes, warnings);
            }
            replaced = now;
        }
    }

    /// Decides every resource, the values of `replaced` ones unknown.
    fn decide_once(
        &self,
        replaced: &BTreeSet<String>,
    ) -> (BTreeMap<String, ResourceChange>, Vec<String>) {
        let base: Attributes = self
            .live_attrs
            .iter()
            .filter(|(id, _)| !replaced.contains(*id))
            .map(|(id, a)| (id.clone(), a.clone()))
            .collect();
        let table = desired_table(self.desired, self.observed, &base);
        let resolver = resolver(self.desired, self.observed, &table);
        let stack = self.observed.stack.as_ref();
        let mut changes = BTreeMap::new();
        let mut warnings = Vec::new();
        for r in self.desired.resources.values() {
            let id = &r.logical_id;
            let change = decide(
                r,
                resolver.resolve_map(&r.properties),
                self.last_props.get(id),
                self.observed.resources.get(id),
                stack.is_some_and(|s| s.resources.contains_key(id)),
                self.takeover,
                &mut warnings,
            );
            changes.insert(id.clone(), change);
        }
        let removed = stack
            .into_iter()
            .flat_map(|s| &s.resources)
            .filter(|(id, _)| !self.desired.resources.contains_key(*id));
        for (id, sr) in removed {
            let role = format!("former {}", sr.resource_type.noun());
            let removed = ResourceChange {
                depends_on: self.last_dependencies(id).into_iter().collect(),
                ..ResourceChange::named(id, &role, sr.resource_type.clone(), &sr.physical_id)
            };
            let change = decide_removed(
                removed,
                self.last_props.get(id),
                self.observed.resources.get(id),
            );
            changes.insert(id.clone(), change);
        }
        (changes, warnings)
    }

    /// What `id` depended on in the last applied template.
    fn last_dependencies(&self, id: &str) -> BTreeSet<String> {
        self.last_template
            .map(|t| template::resource_dependencies(t, id))
            .unwrap_or_default()
    }

    /// Creates and updates by the desired graph, then deletes by the reverse of the last
    /// applied one.
    fn order(
        &self,
        mut changes: BTreeMap<String, ResourceChange>,
    ) -> Result<Vec<ResourceChange>, PlanError> {
        let ids = |delete: bool| -> BTreeSet<String> {
            changes
                .values()
                .filter(|c| (c.action == Action::Delete) == delete)
                .map(|c| c.logical_id.clone())
                .collect()
        };
        let (kept, deleted) = (ids(false), ids(true));
        let forward =
            graph::order(&kept, &self.desired.dependency_edges()).map_err(PlanError::Cycle)?;
        let old_edges: Vec<(String, String)> = deleted
            .iter()
            .flat_map(|id| {
                changes[id]
                    .depends_on
                    .iter()
                    .map(move |d| (d.clone(), id.clone()))
            })
            .chain(self.last_ids.iter().flat_map(|id| {
                self.last_dependencies(id)
                    .into_iter()
                    .map(move |d| (d, id.clone()))
            }))
            .collect();
        let mut backward = graph::order(&deleted, &old_edges).map_err(PlanError::Cycle)?;
        backward.reverse();
        Ok(forward
            .iter()
            .chain(backward.iter())
            .filter_map(|id| changes.remove(id))
            .collect())
    }
}

/// `Ref` and `Fn::GetAtt` values of what exists now, per logical id.
fn live_attributes(observed: &ObservedStage) -> Attributes {
    observed
        .resources
        .iter()
        .map(|(id, r)| (id.clone(), r.attributes.clone()))
        .collect()
}

/// The values the desired resources' intrinsics resolve to, given the attributes `attrs`.
fn desired_table(
    desired: &DesiredStage,
    observed: &ObservedStage,
    attrs: &Attributes,
) -> Attributes {
    deterministic_table(
        desired_iter(&desired.resources),
        attrs,
        observed.account.as_deref(),
        &desired.region,
        &desired.name,
    )
}

fn resolver<'a>(
    desired: &'a DesiredStage,
    observed: &'a ObservedStage,
    table: &'a Attributes,
) -> Resolver<'a> {
    Resolver {
        account: observed.account.as_deref(),
        region: &desired.region,
        stack_name: &desired.name,
        attributes: table,
    }
}

/// The desired stage's properties resolved against what exists now, unmasked: the values apply
/// writes through service APIs. Never rendered or saved.
pub fn resolved_desired(
    desired: &DesiredStage,
    observed: &ObservedStage,
) -> BTreeMap<String, Resolved> {
    let table = desired_table(desired, observed, &live_attributes(observed));
    let resolver = resolver(desired, observed, &table);
    desired
        .resources
        .iter()
        .map(|(id, r)| {
            let props = resolver.resolve_map(&r.properties);
            (id.clone(), marked::resolved(&props))
        })
        .collect()
}
