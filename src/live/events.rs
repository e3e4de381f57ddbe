//! EventBridge reader: rules by name with their targets, sorted by target id.

use super::error::{aws_error, is_not_found};
use super::json::{object, resource, string};
use super::quota::acquire;
use super::{LiveError, ReadContext};
use crate::model::{LiveResource, ResourceKind};
use serde_json::{Map, Value};

const SERVICE: &str = "events";

/// `AWS::Events::Rule` by name: DescribeRule (ResourceNotFoundException: absent) and
/// ListTargetsByRule (all pages).
pub async fn read_rule(
    ctx: &ReadContext<'_>,
    name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let events = &ctx.clients.eventbridge;
    acquire(SERVICE, "DescribeRule").await;
    let rule = match events.describe_rule().name(name).send().await {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error(SERVICE, "DescribeRule", name, e)),
    };
    let mut targets = Vec::new();
    let mut token: Option<String> = None;
    loop {
        acquire(SERVICE, "ListTargetsByRule").await;
        let out = match events
            .list_targets_by_rule()
            .rule(name)
            .set_next_token(token.clone())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(aws_error(SERVICE, "ListTargetsByRule", name, e)),
        };
        targets.extend(out.targets().iter().cloned());
        match out.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_owned())
            }
            _ => break,
        }
    }
    targets.sort_by(|a, b| a.id().cmp(b.id()));
    let targets: Vec<Value> = targets
        .iter()
        .map(|t| {
            let mut m = Map::new();
            m.insert("Id".to_owned(), Value::from(t.id()));
            m.insert("Arn".to_owned(), Value::from(t.arn()));
            if let Some(input) = t.input() {
                m.insert("Input".to_owned(), Value::from(input));
            }
            Value::Object(m)
        })
        .collect();
    let arn = rule.arn().unwrap_or_default();
    let properties = object([
        ("Name", Value::from(rule.name().unwrap_or(name))),
        ("ScheduleExpression", string(rule.schedule_expression())),
        ("State", string(rule.state().map(|s| s.as_str()))),
        ("Targets", Value::Array(targets)),
    ]);
    Ok(Some(resource(
        ResourceKind::Rule,
        name,
        [("Ref", name), ("Arn", arn)],
        properties,
    )))
}
