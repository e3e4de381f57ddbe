//! Checks a change set against the plan: what CloudFormation says it will do must be what the plan
//! showed, resource by resource, before anything executes. Pure.

use super::{CfnChange, ChangeAction, Evaluation, Replacement};
use crate::model::Provisioner;
use crate::plan::{Action, Cause, Plan, ResourceChange};
use std::collections::{BTreeMap, BTreeSet};

/// One resource where the plan and the change set disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub logical_id: String,
    /// What the plan said: `create`, `update in-place`, `replace`, `destroy`, `no change`, or
    /// `not in the plan`.
    pub plan: String,
    /// What CloudFormation said: `Add`, `Modify (Replacement: True)`, `Remove`, `no change`, ...
    pub cloudformation: String,
}

/// The outcome of [`reconcile`]. `mismatches` are in plan order, then CloudFormation-only changes
/// by logical id; `unconfirmed_drift` is in plan order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciliation {
    pub mismatches: Vec<Mismatch>,
    /// Logical ids of planned updates caused only by changes made outside hover: a template diff
    /// cannot show them, so the change set does not confirm them; they are repaired through the
    /// service APIs.
    pub unconfirmed_drift: Vec<String>,
}

impl Reconciliation {
    /// Whether CloudFormation will do exactly what the plan showed (drift repairs aside).
    pub fn agrees(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// The plan's action in words.
pub(crate) fn plan_words(action: Action) -> &'static str {
    match action {
        Action::NoOp => "no change",
        Action::Create => "create",
        Action::Update => "update in-place",
        Action::CreateThenDelete => "replace",
        Action::Delete => "destroy",
    }
}

/// CloudFormation's change in words.
fn cfn_words(change: Option<&CfnChange>) -> String {
    match change {
        None => "no change".to_string(),
        Some(c) => match c.replacement {
            Some(r) if matches!(c.action, ChangeAction::Modify | ChangeAction::Dynamic) => {
                format!("{} (Replacement: {})", c.action, r.as_str())
            }
            _ => c.action.to_string(),
        },
    }
}

/// Whether every detail is CloudFormation's "may change because a referenced value may change".
fn only_dynamic(change: &CfnChange) -> bool {
    !change.details.is_empty()
        && change
            .details
            .iter()
            .all(|d| d.evaluation == Some(Evaluation::Dynamic))
}

/// Whether a planned update comes only from changes made outside hover.
fn drift_only(rc: &ResourceChange) -> bool {
    matches!(rc.action, Action::Update | Action::CreateThenDelete)
        && !rc.changes.is_empty()
        && rc.changes.iter().all(|c| c.cause == Cause::OutsideHover)
}

/// Whether CloudFormation's change carries out the planned action.
fn agrees(action: Action, change: &CfnChange) -> bool {
    match change.action {
        ChangeAction::Add | ChangeAction::Import => action == Action::Create,
        ChangeAction::Remove => action == Action::Delete,
        ChangeAction::Modify | ChangeAction::SyncWithActual => match change.replacement {
            Some(Replacement::True) => action == Action::CreateThenDelete,
            Some(Replacement::False) => action == Action::Update,
            // `Conditional`, or omitted by the endpoint: either is consistent.
            _ => matches!(action, Action::Update | Action::CreateThenDelete),
        },
        // Decided at execution time: consistent with anything but a create or a delete.
        ChangeAction::Dynamic => match change.replacement {
            Some(Replacement::True) => matches!(action, Action::CreateThenDelete | Action::NoOp),
            Some(Replacement::False) => matches!(action, Action::Update | Action::NoOp),
            _ => matches!(
                action,
                Action::Update | Action::CreateThenDelete | Action::NoOp
            ),
        },
        ChangeAction::Other(_) => false,
    }
}

/// Compares the change set's `changes` with the plan's stack-provisioned resources.
///
/// - Add ↔ create; Remove ↔ destroy; Modify with `Replacement: True` ↔ replace, `False` ↔ update
///   in place, `Conditional` or no replacement field ↔ either.
/// - A change on a resource the plan leaves alone is a mismatch unless every detail is `Dynamic`,
///   or the plan knows only its template expression changes (a Modify without replacement).
/// - A planned change missing from the change set is a mismatch, unless it comes only from changes
///   made outside hover (then it is listed in `unconfirmed_drift`).
/// - A change the plan does not have at all (or on a resource hover provisions directly) is a mismatch.
pub fn reconcile(plan: &Plan, changes: &[CfnChange]) -> Reconciliation {
    let mut by_id: BTreeMap<&str, &CfnChange> = BTreeMap::new();
    for c in changes {
        by_id.entry(c.logical_id.as_str()).or_insert(c);
    }
    let mut out = Reconciliation::default();
    let mut covered: BTreeSet<&str> = BTreeSet::new();

    for rc in &plan.resource_changes {
        if rc.provisioner != Provisioner::Stack {
            continue;
        }
        covered.insert(rc.logical_id.as_str());
        let cfn = by_id.get(rc.logical_id.as_str()).copied();
        let ok = match cfn {
            None => {
                if rc.action != Action::NoOp && drift_only(rc) {
                    out.unconfirmed_drift.push(rc.logical_id.clone());
                    true
                } else {
                    rc.action == Action::NoOp
                }
            }
            Some(c) if rc.action == Action::NoOp => {
                (only_dynamic(c) && !matches!(c.action, ChangeAction::Add | ChangeAction::Remove))
                    || (!rc.template_only.is_empty()
                        && c.action == ChangeAction::Modify
                        && c.replacement != Some(Replacement::True))
            }
            Some(c) => agrees(rc.action, c),
        };
        if !ok {
            out.mismatches.push(Mismatch {
                logical_id: rc.logical_id.clone(),
                plan: plan_words(rc.action).to_string(),
                cloudformation: cfn_words(cfn),
            });
        }
    }

    let direct: BTreeSet<&str> = plan
        .resource_changes
        .iter()
        .filter(|rc| rc.provisioner != Provisioner::Stack)
        .map(|rc| rc.logical_id.as_str())
        .collect();
    for (id, c) in by_id {
        if covered.contains(id) {
            continue;
        }
        let plan_side = if direct.contains(id) {
            "provisioned by hover, not the stack"
        } else {
            "not in the plan"
        };
        out.mismatches.push(Mismatch {
            logical_id: id.to_string(),
            plan: plan_side.to_string(),
            cloudformation: cfn_words(Some(c)),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changeset::CfnDetail;
    use crate::plan::AttributeChange;
    use serde_json::json;

    fn rc(id: &str, action: Action, causes: &[Cause]) -> ResourceChange {
        ResourceChange {
            action,
            replace_paths: if action == Action::CreateThenDelete {
                vec!["FunctionName".to_string()]
            } else {
                vec![]
            },
            changes: causes
                .iter()
                .enumerate()
                .map(|(i, cause)| AttributeChange {
                    name: format!("Prop{i}"),
                    diff: crate::plan::diff::Diff::Changed {
                        before: crate::plan::marked::Marked::Scalar(json!(1)),
                        after: crate::plan::marked::Marked::Scalar(json!(2)),
                    },
                    cause: *cause,
                    forces_replacement: action == Action::CreateThenDelete,
                    repairable: true,
                })
                .collect(),
            ..ResourceChange::named(
                id,
                &id.to_lowercase(),
                "AWS::Lambda::Function",
                &id.to_lowercase(),
            )
        }
    }

    fn plan(changes: Vec<ResourceChange>) -> Plan {
        Plan {
            format_version: crate::plan::FORMAT_VERSION.to_string(),
            stage: "prod".to_string(),
            region: "eu-west-1".to_string(),
            account: Some("123456789012".to_string()),
            image_tag: "v1".to_string(),
            stack_status: Some(crate::model::StackStatus::UpdateComplete),
            resource_changes: changes,
            warnings: vec![],
            observed_digest: String::new(),
            profile: None,
            takeover: false,
            traffic: None,
            maintenance: None,
        }
    }

    fn cfn(id: &str, action: &str, replacement: Option<&str>, evaluations: &[&str]) -> CfnChange {
        CfnChange {
            logical_id: id.to_string(),
            action: ChangeAction::parse(action),
            replacement: replacement.and_then(Replacement::parse),
            resource_type: "AWS::Lambda::Function".to_string(),
            physical_id: None,
            details: evaluations
                .iter()
                .map(|e| CfnDetail {
                    attribute: "Properties".to_string(),
                    name: Some("Environment".to_string()),
                    requires_recreation: Some("Never".to_string()),
                    evaluation: Evaluation::parse(e),
                    change_source: Some("ResourceReference".to_string()),
                    before: None,
                    after: None,
                })
                .collect(),
        }
    }

    #[test]
    fn agreement_on_every_kind_of_change() {
        let p = plan(vec![
            rc("Queue", Action::Create, &[]),
            rc("HttpFunction", Action::Update, &[Cause::Manifest]),
            rc("Worker", Action::CreateThenDelete, &[Cause::Manifest]),
            rc("OldRule", Action::Delete, &[]),
            rc("Logs", Action::NoOp, &[]),
        ]);
        let r = reconcile(
            &p,
            &[
                cfn("Queue", "Add", None, &[]),
                cfn("HttpFunction", "Modify", Some("False"), &["Static"]),
                cfn("Worker", "Modify", Some("True"), &["Static"]),
                cfn("OldRule", "Remove", None, &[]),
            ],
        );
        assert_eq!(r, Reconciliation::default());
        assert!(r.agrees());
    }

    #[test]
    fn a_template_only_rewrite_is_a_modify_without_replacement() {
        let mut rewritten = rc("MappingJobs", Action::NoOp, &[]);
        rewritten.template_only = vec!["FunctionName".to_string()];
        let p = plan(vec![rewritten, rc("Logs", Action::NoOp, &[])]);
        // Expected where the plan knows only the expression changes.
        let r = reconcile(
            &p,
            &[cfn("MappingJobs", "Modify", Some("False"), &["Static"])],
        );
        assert!(r.agrees(), "{r:?}");
        // Never a replacement, and never on a resource whose template does not change.
        let r = reconcile(
            &p,
            &[cfn("MappingJobs", "Modify", Some("True"), &["Static"])],
        );
        assert_eq!(r.mismatches.len(), 1);
        let r = reconcile(&p, &[cfn("Logs", "Modify", Some("False"), &["Static"])]);
        assert_eq!(r.mismatches.len(), 1);
    }

    #[test]
    fn replacement_where_the_plan_said_update_is_a_mismatch() {
        let p = plan(vec![rc("HttpFunction", Action::Update, &[Cause::Manifest])]);
        let r = reconcile(
            &p,
            &[cfn("HttpFunction", "Modify", Some("True"), &["Static"])],
        );
        assert_eq!(
            r.mismatches,
            vec![Mismatch {
                logical_id: "HttpFunction".to_string(),
                plan: "update in-place".to_string(),
                cloudformation: "Modify (Replacement: True)".to_string(),
            }]
        );
    }

    #[test]
    fn in_place_update_where_the_plan_said_replace_is_a_mismatch() {
        let p = plan(vec![rc(
            "Queue",
            Action::CreateThenDelete,
            &[Cause::Manifest],
        )]);
        let r = reconcile(&p, &[cfn("Queue", "Modify", Some("False"), &["Static"])]);
        assert_eq!(r.mismatches.len(), 1);
        assert_eq!(r.mismatches[0].plan, "replace");
        assert_eq!(
            r.mismatches[0].cloudformation,
            "Modify (Replacement: False)"
        );
    }

    #[test]
    fn extra_cfn_change_on_an_unchanged_resource_is_a_mismatch() {
        let p = plan(vec![rc("HttpFunction", Action::NoOp, &[])]);
        let r = reconcile(
            &p,
            &[cfn(
                "HttpFunction",
                "Modify",
                Some("False"),
                &["Static", "Dynamic"],
            )],
        );
        assert_eq!(
            r.mismatches,
            vec![Mismatch {
                logical_id: "HttpFunction".to_string(),
                plan: "no change".to_string(),
                cloudformation: "Modify (Replacement: False)".to_string(),
            }]
        );
    }

    #[test]
    fn cfn_change_on_a_resource_missing_from_the_plan_is_a_mismatch() {
        let p = plan(vec![rc("HttpFunction", Action::NoOp, &[])]);
        let r = reconcile(&p, &[cfn("Stranger", "Add", None, &[])]);
        assert_eq!(r.mismatches.len(), 1);
        assert_eq!(r.mismatches[0].logical_id, "Stranger");
        assert_eq!(r.mismatches[0].plan, "not in the plan");
        assert_eq!(r.mismatches[0].cloudformation, "Add");
    }

    #[test]
    fn planned_change_missing_from_the_change_set_is_a_mismatch() {
        let p = plan(vec![
            rc(
                "HttpFunction",
                Action::Update,
                &[Cause::Manifest, Cause::OutsideHover],
            ),
            rc("Queue", Action::Create, &[]),
        ]);
        let r = reconcile(&p, &[]);
        assert_eq!(
            r.mismatches,
            vec![
                Mismatch {
                    logical_id: "HttpFunction".to_string(),
                    plan: "update in-place".to_string(),
                    cloudformation: "no change".to_string(),
                },
                Mismatch {
                    logical_id: "Queue".to_string(),
                    plan: "create".to_string(),
                    cloudformation: "no change".to_string(),
                },
            ]
        );
        assert!(r.unconfirmed_drift.is_empty());
    }

    #[test]
    fn dynamic_only_change_on_an_unchanged_resource_is_fine() {
        let p = plan(vec![rc("HttpFunction", Action::NoOp, &[])]);
        let r = reconcile(
            &p,
            &[cfn(
                "HttpFunction",
                "Modify",
                Some("Conditional"),
                &["Dynamic", "Dynamic"],
            )],
        );
        assert_eq!(r, Reconciliation::default());
    }

    #[test]
    fn drift_only_update_absent_from_the_change_set_is_unconfirmed_drift() {
        let p = plan(vec![
            rc(
                "HttpFunction",
                Action::Update,
                &[Cause::OutsideHover, Cause::OutsideHover],
            ),
            rc("Worker", Action::Update, &[Cause::Manifest]),
        ]);
        let r = reconcile(&p, &[cfn("Worker", "Modify", Some("False"), &["Static"])]);
        assert!(r.agrees(), "{:?}", r.mismatches);
        assert_eq!(r.unconfirmed_drift, vec!["HttpFunction".to_string()]);
    }

    #[test]
    fn drift_only_update_confirmed_by_the_change_set_is_not_listed() {
        let p = plan(vec![rc(
            "HttpFunction",
            Action::Update,
            &[Cause::OutsideHover],
        )]);
        let r = reconcile(
            &p,
            &[cfn("HttpFunction", "Modify", Some("False"), &["Static"])],
        );
        assert_eq!(r, Reconciliation::default());
    }

    #[test]
    fn conditional_or_missing_replacement_accepts_update_and_replace() {
        let p = plan(vec![
            rc("HttpFunction", Action::Update, &[Cause::Manifest]),
            rc("Queue", Action::CreateThenDelete, &[Cause::Manifest]),
            rc("Worker", Action::Update, &[Cause::Manifest]),
        ]);
        let r = reconcile(
            &p,
            &[
                cfn("HttpFunction", "Modify", Some("Conditional"), &["Static"]),
                cfn("Queue", "Modify", Some("Conditional"), &["Static"]),
                cfn("Worker", "Modify", None, &[]),
            ],
        );
        assert_eq!(r, Reconciliation::default());
    }

    #[test]
    fn remove_matches_delete_and_nothing_else() {
        let p = plan(vec![
            rc("OldRule", Action::Delete, &[]),
            rc("Queue", Action::Update, &[Cause::Manifest]),
        ]);
        let r = reconcile(
            &p,
            &[
                cfn("OldRule", "Remove", None, &[]),
                cfn("Queue", "Remove", None, &[]),
            ],
        );
        assert_eq!(
            r.mismatches,
            vec![Mismatch {
                logical_id: "Queue".to_string(),
                plan: "update in-place".to_string(),
                cloudformation: "Remove".to_string(),
            }]
        );
    }

    #[test]
    fn add_where_the_plan_said_update_is_a_mismatch() {
        let p = plan(vec![rc("Queue", Action::Update, &[Cause::Manifest])]);
        let r = reconcile(&p, &[cfn("Queue", "Add", None, &[])]);
        assert_eq!(r.mismatches.len(), 1);
        assert_eq!(r.mismatches[0].cloudformation, "Add");
    }

    #[test]
    fn words() {
        assert_eq!(
            cfn_words(Some(&cfn("A", "Modify", Some("True"), &[]))),
            "Modify (Replacement: True)"
        );
        assert_eq!(cfn_words(Some(&cfn("A", "Add", None, &[]))), "Add");
        assert_eq!(cfn_words(None), "no change");
        assert_eq!(plan_words(Action::Update), "update in-place");
    }

    #[test]
    fn dynamic_action_is_not_a_create() {
        assert!(!agrees(Action::Create, &cfn("A", "Dynamic", None, &[])));
        assert!(agrees(Action::Update, &cfn("A", "Dynamic", None, &[])));
        assert!(!agrees(Action::Update, &cfn("A", "Unknown", None, &[])));
    }

    #[test]
    fn direct_resources_are_ignored_but_their_cfn_changes_are_not() {
        let mut repo = rc("Repository", Action::Create, &[]);
        repo.provisioner = Provisioner::Direct;
        let p = plan(vec![repo]);
        // The plan's direct create is not the stack's business.
        assert!(reconcile(&p, &[]).agrees());
        // But the stack touching it is.
        let r = reconcile(&p, &[cfn("Repository", "Add", None, &[])]);
        assert_eq!(r.mismatches.len(), 1);
        assert_eq!(r.mismatches[0].plan, "provisioned by hover, not the stack");
    }

    #[test]
    fn empty_details_do_not_count_as_dynamic() {
        let p = plan(vec![rc("HttpFunction", Action::NoOp, &[])]);
        let r = reconcile(&p, &[cfn("HttpFunction", "Modify", None, &[])]);
        assert_eq!(r.mismatches.len(), 1);
    }
}
