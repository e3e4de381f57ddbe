//! Getting the stack ready to take a change set: what its state calls for (proceed, wait, clear
//! a review, offer to delete a failed creation, refuse), and carrying that out, planning again
//! after each step.

use crate::changeset::{self, classify_stack_status, StackCondition};
use crate::error::HoverError;
use crate::events::{Event, Question};
use crate::ops::context::PlannedStage;
use crate::ops::Ui;

/// Gets the stack ready to take a change set: waits for an operation in progress, clears a stack
/// left in review, offers to delete a failed creation, planning again after each. `Ok(None)` when
/// the plan made again has no changes; `Ok(Some(create))` when a change set can be made.
pub(crate) async fn ready_stack(
    planned: &mut PlannedStage,
    no_wait: bool,
    can_ask: bool,
    ui: &mut dyn Ui,
) -> Result<Option<bool>, HoverError> {
    let stack_name = planned.desired.name.clone();
    let mut rounds = 0;
    loop {
        rounds += 1;
        let step = stack_step(
            planned.plan.stack_status.as_deref(),
            &stack_name,
            no_wait,
            can_ask,
        );
        let cfn = &planned.ctx.clients.cloudformation;
        match step {
            StackStep::Proceed { create } => return Ok(Some(create)),
            StackStep::Refuse(err) => return Err(err),
            _ if rounds > 3 => {
                return Err(HoverError::StackNeedsAttention {
                    stack: stack_name.clone(),
                    explanation: "the stack did not reach a state that can take a change set"
                        .into(),
                })
            }
            StackStep::WaitThenReplan => {
                ui.emit(Event::StackBusy {
                    stack: stack_name.clone(),
                    status: planned.plan.stack_status.clone().unwrap_or_default(),
                });
                changeset::wait_stack_settled(cfn, &stack_name, |_| {}).await?;
            }
            StackStep::ClearReview => {
                ui.emit(Event::StackReviewCleared {
                    stack: stack_name.clone(),
                });
                changeset::delete_stack(cfn, &stack_name).await?;
                changeset::wait_stack_settled(cfn, &stack_name, |_| {}).await?;
            }
            StackStep::OfferDelete { explanation } => {
                ui.emit(Event::StackCreationFailed {
                    stack: stack_name.clone(),
                    explanation: explanation.clone(),
                });
                let question = Question::DeleteFailedStack {
                    stack: stack_name.clone(),
                };
                if ui.approve(&question) != Some(true) {
                    return Err(HoverError::StackNeedsAttention {
                        stack: stack_name,
                        explanation,
                    });
                }
                changeset::delete_stack(cfn, &stack_name).await?;
                changeset::wait_stack_settled(cfn, &stack_name, |_| {}).await?;
            }
        }
        planned.refresh().await?;
        super::show_plan(planned, true, ui);
        if !planned.plan.has_changes() {
            return Ok(None);
        }
    }
}

/// What apply does about the stack's state before it creates a change set.
#[derive(Debug)]
pub enum StackStep {
    /// Create a change set now (`CREATE` when `create`).
    Proceed { create: bool },
    /// Another operation runs: wait for it, then plan again.
    WaitThenReplan,
    /// Left in `REVIEW_IN_PROGRESS` by an unexecuted change set (no resources): delete, plan again.
    ClearReview,
    /// A failed creation (`ROLLBACK_COMPLETE`): ask to delete it, then plan again.
    OfferDelete { explanation: String },
    /// Stop with this error.
    Refuse(HoverError),
}

/// Decides [`StackStep`] from the stack's status (`None`: no stack). `no_wait`: refuse rather than
/// wait (also for saved plans, which must apply as planned); `can_ask`: someone may be asked.
pub fn stack_step(status: Option<&str>, stack: &str, no_wait: bool, can_ask: bool) -> StackStep {
    let condition = classify_stack_status(status.unwrap_or(""));
    match condition {
        StackCondition::Busy if no_wait => StackStep::Refuse(HoverError::StackBusy {
            stack: stack.to_string(),
            status: status.unwrap_or_default().to_string(),
        }),
        StackCondition::Busy => StackStep::WaitThenReplan,
        StackCondition::ReviewInProgress => StackStep::ClearReview,
        StackCondition::RollbackComplete if can_ask => StackStep::OfferDelete {
            explanation: condition.explain(stack).unwrap_or_default(),
        },
        other => match other.change_set_create() {
            Some(create) => StackStep::Proceed { create },
            None => StackStep::Refuse(HoverError::StackNeedsAttention {
                stack: stack.to_string(),
                explanation: other
                    .explain(stack)
                    .unwrap_or_else(|| "the stack cannot take a change set now".into()),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(status: Option<&str>, no_wait: bool, can_ask: bool) -> String {
        format!("{:?}", stack_step(status, "shop", no_wait, can_ask))
    }

    #[test]
    fn every_stack_state_has_its_step() {
        assert_eq!(step(None, false, true), "Proceed { create: true }");
        assert_eq!(
            step(Some("CREATE_COMPLETE"), false, true),
            "Proceed { create: false }"
        );
        assert_eq!(
            step(Some("UPDATE_COMPLETE"), false, true),
            "Proceed { create: false }"
        );
        assert_eq!(
            step(Some("UPDATE_ROLLBACK_COMPLETE"), false, true),
            "Proceed { create: false }"
        );
        assert_eq!(
            step(Some("UPDATE_IN_PROGRESS"), false, true),
            "WaitThenReplan"
        );
        assert_eq!(
            step(Some("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), false, true),
            "WaitThenReplan"
        );
        assert!(matches!(
            stack_step(Some("UPDATE_IN_PROGRESS"), "shop", true, true),
            StackStep::Refuse(HoverError::StackBusy { .. })
        ));
        assert_eq!(step(Some("REVIEW_IN_PROGRESS"), false, true), "ClearReview");
        assert!(matches!(
            stack_step(Some("ROLLBACK_COMPLETE"), "shop", false, true),
            StackStep::OfferDelete { .. }
        ));
        match stack_step(Some("ROLLBACK_COMPLETE"), "shop", false, false) {
            StackStep::Refuse(HoverError::StackNeedsAttention { explanation, .. }) => {
                assert!(explanation.contains("delete"), "{explanation}")
            }
            other => panic!("without anyone to ask a failed creation is refused, got {other:?}"),
        }
        match stack_step(Some("UPDATE_ROLLBACK_FAILED"), "shop", false, true) {
            StackStep::Refuse(HoverError::StackNeedsAttention { explanation, .. }) => {
                assert!(
                    explanation.contains("continue-update-rollback"),
                    "{explanation}"
                )
            }
            other => panic!("UPDATE_ROLLBACK_FAILED must be explained, got {other:?}"),
        }
        assert!(matches!(
            stack_step(Some("DELETE_FAILED"), "shop", false, true),
            StackStep::Refuse(HoverError::StackNeedsAttention { .. })
        ));
    }
}
