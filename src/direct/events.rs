//! EventBridge drift put back through its own API: a rule's schedule and state, and its targets.

use super::{err, fail, text, DirectError, Put};
use crate::live::quota::acquire;
use aws_sdk_eventbridge::types::{RuleState, Target};
use serde_json::Value;

/// PutRule with the desired schedule and state.
pub(super) async fn put_rule(put: &Put<'_>) -> Result<&'static str, DirectError> {
    let state = RuleState::from(text(put.desired, "State").unwrap_or("ENABLED"));
    acquire("events", "PutRule").await;
    put.clients
        .eventbridge
        .put_rule()
        .name(put.id)
        .set_schedule_expression(text(put.desired, "ScheduleExpression").map(str::to_string))
        .state(state)
        .send()
        .await
        .map_err(fail("EventBridge", "PutRule", put.id))?;
    Ok("EventBridge PutRule")
}

/// PutTargets with the desired targets.
pub(super) async fn put_targets(put: &Put<'_>) -> Result<&'static str, DirectError> {
    let mut targets = Vec::new();
    for t in put
        .desired
        .get("Targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let field = |k: &str| t.get(k).and_then(Value::as_str);
        let target = Target::builder()
            .id(field("Id").unwrap_or_default())
            .arn(field("Arn").unwrap_or_default())
            .set_input(field("Input").map(str::to_string))
            .build()
            .map_err(|e| err("EventBridge", "PutTargets", put.id, e.to_string()))?;
        targets.push(target);
    }
    acquire("events", "PutTargets").await;
    put.clients
        .eventbridge
        .put_targets()
        .rule(put.id)
        .set_targets(Some(targets))
        .send()
        .await
        .map_err(fail("EventBridge", "PutTargets", put.id))?;
    Ok("EventBridge PutTargets")
}
