//! The stage's CloudFormation stack as it is now: status, last applied template (original JSON
//! body), resources and outputs.

use super::error::{aws_error, is_stack_missing};
use super::quota::acquire;
use super::{Clients, LiveError};
use crate::model::{StackResource, StackState, StackStatus};
use aws_sdk_cloudformation::types::TemplateStage;
use serde_json::Value;
use std::collections::BTreeMap;

const SERVICE: &str = "cloudformation";

/// Reads the stack `stack_name`: `None` when it does not exist (or is already deleted).
/// The template is the original body when it is JSON; a YAML body leaves it `None`.
pub async fn read_stack(
    clients: &Clients,
    stack_name: &str,
) -> Result<Option<StackState>, LiveError> {
    let cfn = &clients.cloudformation;
    acquire(SERVICE, "DescribeStacks").await;
    let described = match cfn.describe_stacks().stack_name(stack_name).send().await {
        Ok(out) => out,
        Err(e) if is_stack_missing(&e) => return Ok(None),
        Err(e) => return Err(aws_error(SERVICE, "DescribeStacks", stack_name, e)),
    };
    let Some(stack) = described.stacks().first() else {
        return Ok(None);
    };
    let status = StackStatus::parse(stack.stack_status().map_or("", |s| s.as_str()));
    if status.deleted() {
        return Ok(None);
    }
    let outputs = stack
        .outputs()
        .iter()
        .filter_map(|o| {
            Some((
                o.output_key()?.to_owned(),
                o.output_value().unwrap_or_default().to_owned(),
            ))
        })
        .collect::<BTreeMap<_, _>>();

    let (template, resources) = futures::try_join!(
        read_template(clients, stack_name),
        read_resources(clients, stack_name)
    )?;

    Ok(Some(StackState {
        name: stack.stack_name().unwrap_or(stack_name).to_owned(),
        stack_id: stack.stack_id().unwrap_or_default().to_owned(),
        status,
        status_reason: stack.stack_status_reason().map(str::to_owned),
        template,
        resources,
        outputs,
        last_updated: stack
            .last_updated_time()
            .or(stack.creation_time())
            .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
    }))
}

/// The stack's outputs alone (one DescribeStacks), empty when there is no stack.
pub async fn read_outputs(
    clients: &Clients,
    stack_name: &str,
) -> Result<BTreeMap<String, String>, LiveError> {
    acquire(SERVICE, "DescribeStacks").await;
    let described = match clients
        .cloudformation
        .describe_stacks()
        .stack_name(stack_name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is_stack_missing(&e) => return Ok(BTreeMap::new()),
        Err(e) => return Err(aws_error(SERVICE, "DescribeStacks", stack_name, e)),
    };
    Ok(described
        .stacks()
        .first()
        .map(|stack| {
            stack
                .outputs()
                .iter()
                .filter_map(|o| {
                    Some((
                        o.output_key()?.to_owned(),
                        o.output_value().unwrap_or_default().to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default())
}

/// GetTemplate (original stage) parsed as JSON. A stack still under review may have no template
/// yet (`ValidationError`): then `None`.
async fn read_template(clients: &Clients, stack_name: &str) -> Result<Option<Value>, LiveError> {
    acquire(SERVICE, "GetTemplate").await;
    let out = match clients
        .cloudformation
        .get_template()
        .stack_name(stack_name)
        .template_stage(TemplateStage::Original)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e)
            if aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&e)
                == Some("ValidationError") =>
        {
            return Ok(None)
        }
        Err(e) => return Err(aws_error(SERVICE, "GetTemplate", stack_name, e)),
    };
    Ok(out.template_body().and_then(parse_template))
}

/// A template body as JSON: an object as is, a JSON string holding an object decoded once more;
/// anything else (YAML) is `None`.
pub fn parse_template(body: &str) -> Option<Value> {
    match serde_json::from_str::<Value>(body).ok()? {
        v @ Value::Object(_) => Some(v),
        Value::String(inner) => match serde_json::from_str::<Value>(&inner).ok()? {
            v @ Value::Object(_) => Some(v),
            _ => None,
        },
        _ => None,
    }
}

/// Every resource of the stack (ListStackResources, all pages), by logical id. Entries without a
/// logical id are skipped.
async fn read_resources(
    clients: &Clients,
    stack_name: &str,
) -> Result<BTreeMap<String, StackResource>, LiveError> {
    let mut resources = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        acquire(SERVICE, "ListStackResources").await;
        let out = clients
            .cloudformation
            .list_stack_resources()
            .stack_name(stack_name)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "ListStackResources", stack_name, e))?;
        for summary in out.stack_resource_summaries() {
            let Some(logical_id) = summary.logical_resource_id().filter(|l| !l.is_empty()) else {
                continue;
            };
            resources.insert(
                logical_id.to_owned(),
                StackResource {
                    resource_type: summary.resource_type().unwrap_or_default().into(),
                    physical_id: summary
                        .physical_resource_id()
                        .unwrap_or_default()
                        .to_owned(),
                    status: summary
                        .resource_status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                },
            );
        }
        match out.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_owned())
            }
            _ => break,
        }
    }
    Ok(resources)
}

#[cfg(test)]
mod tests {
    use super::parse_template;
    use serde_json::json;

    #[test]
    fn template_object_string_and_yaml() {
        assert_eq!(
            parse_template(r#"{"Resources":{}}"#),
            Some(json!({"Resources": {}}))
        );
        assert_eq!(
            parse_template(r#""{\"Resources\":{\"A\":1}}""#),
            Some(json!({"Resources": {"A": 1}}))
        );
        assert_eq!(parse_template("Resources:\n  A: 1\n"), None);
        assert_eq!(parse_template("[1]"), None);
    }
}
