//! The CloudFormation calls of the change-set lifecycle; SDK types are converted to plain data here
//! and go no further.

use super::{
    is_empty_reason, CfnChange, CfnDetail, ChangeSetError, ChangeSetOutcome, ChangeSetRequest,
    ChangeSetSummary, CreatedChangeSet, Poll, Poller, StackEvent, StackStatusInfo, TemplateSource,
    Waiting, CHANGE_SET_LIMIT, STACK_LIMIT,
};
use crate::live::is_stack_missing;
use crate::live::quota::acquire;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::types::{Capability, ChangeSetStatus, ChangeSetType};
use aws_sdk_cloudformation::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use std::collections::HashSet;

/// The IAM service prefix of every call here, for the quota table.
const SERVICE: &str = "cloudformation";

/// Converts an SDK error into [`ChangeSetError::Aws`], keeping the service code and message.
fn aws_error<E, R>(operation: &'static str, err: SdkError<E, R>) -> ChangeSetError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = err.code().map(str::to_string);
    let message = match (&err, err.message()) {
        (SdkError::ServiceError(_), Some(m)) => m.to_string(),
        _ => DisplayErrorContext(&err).to_string(),
    };
    let help = help_for(code.as_deref(), &message);
    ChangeSetError::Aws {
        operation,
        code,
        message,
        help,
    }
}

fn help_for(code: Option<&str>, message: &str) -> Option<String> {
    match code {
        Some("AccessDenied") | Some("AccessDeniedException") => Some(
            "the credentials lack a CloudFormation permission; grant it to the deploying identity or use the stage's profile"
                .to_string(),
        ),
        Some("InsufficientCapabilitiesException") => {
            Some("the template creates IAM resources; the change set needs CAPABILITY_IAM or CAPABILITY_NAMED_IAM".to_string())
        }
        Some("Throttling") | Some("ThrottlingException") => {
            Some("CloudFormation is throttling this account; wait a moment and run hover again".to_string())
        }
        Some("ValidationError") if message.contains("is in") && message.contains("state") => Some(
            "the stack is in a state that does not allow this operation; its status and events say why (`aws cloudformation describe-stack-events`)".to_string(),
        ),
        _ => None,
    }
}

/// Creates a change set and returns its ARN and the stack's id.
pub async fn create(
    client: &Client,
    req: &ChangeSetRequest,
) -> Result<CreatedChangeSet, ChangeSetError> {
    const OP: &str = "CreateChangeSet";
    let mut call = client
        .create_change_set()
        .stack_name(&req.stack_name)
        .change_set_name(&req.change_set_name)
        .change_set_type(if req.create {
            ChangeSetType::Create
        } else {
            ChangeSetType::Update
        })
        .description(&req.description)
        .set_capabilities(Some(
            req.capabilities
                .iter()
                .map(|c| Capability::from(c.as_str()))
                .collect(),
        ))
        .set_role_arn(req.role_arn.clone());
    call = match &req.template {
        TemplateSource::Body(body) => call.template_body(body),
        TemplateSource::Url(url) => call.template_url(url),
    };
    // The change set's name doubles as the client token: a retried request names the same one.
    call = call.client_token(&req.change_set_name);
    acquire(SERVICE, "CreateChangeSet").await;
    let out = match call.send().await {
        Ok(out) => out,
        Err(e) => {
            // The answer was lost, or a retry met the change set its first attempt made: when a
            // change set of this name exists for the stack, it is this request's.
            let maybe_made = !matches!(e, SdkError::ServiceError(_))
                || e.code() == Some("AlreadyExistsException");
            if maybe_made {
                if let Some(made) =
                    find_by_name(client, &req.stack_name, &req.change_set_name).await
                {
                    return Ok(made);
                }
            }
            return Err(aws_error(OP, e));
        }
    };
    let arn = out.id().ok_or(ChangeSetError::Incomplete {
        operation: OP,
        field: "Id",
    })?;
    let stack_id = out.stack_id().ok_or(ChangeSetError::Incomplete {
        operation: OP,
        field: "StackId",
    })?;
    Ok(CreatedChangeSet {
        arn: arn.to_string(),
        stack_id: stack_id.to_string(),
    })
}

/// Waits (with the default adaptive polling and a 15-minute limit) until CloudFormation has computed
/// the change set, then returns all its changes. Always by ARN.
pub async fn wait_and_describe(
    client: &Client,
    arn: &str,
) -> Result<ChangeSetOutcome, ChangeSetError> {
    wait_and_describe_with(client, arn, Poll::default().with_timeout(CHANGE_SET_LIMIT)).await
}

/// [`wait_and_describe`] with an explicit polling schedule.
pub async fn wait_and_describe_with(
    client: &Client,
    arn: &str,
    poll: Poll,
) -> Result<ChangeSetOutcome, ChangeSetError> {
    const OP: &str = "DescribeChangeSet";
    let mut poller = Poller::new(poll);
    let first = loop {
        let out = describe_page(client, arn, None).await?;
        let status = out.status().cloned();
        match status {
            Some(ChangeSetStatus::CreateComplete) => break out,
            Some(ChangeSetStatus::Failed) => {
                let reason = out.status_reason().unwrap_or("").to_string();
                return Ok(if is_empty_reason(&reason) {
                    ChangeSetOutcome::Empty
                } else if reason.is_empty() {
                    ChangeSetOutcome::Failed("the change set failed without a reason".to_string())
                } else {
                    ChangeSetOutcome::Failed(reason)
                });
            }
            Some(ChangeSetStatus::CreatePending) | Some(ChangeSetStatus::CreateInProgress) => {}
            Some(other) => {
                return Ok(ChangeSetOutcome::Failed(format!(
                    "the change set is {} (deleted while hover waited for it)",
                    other.as_str()
                )))
            }
            None => {
                return Err(ChangeSetError::Incomplete {
                    operation: OP,
                    field: "Status",
                })
            }
        }
        let what = Waiting::ChangeSet {
            arn: arn.to_string(),
            stack: out.stack_name().map(str::to_string),
        };
        let status = status.map(|s| s.as_str().to_string()).unwrap_or_default();
        poller.wait(&what, &status).await?;
    };

    let mut changes = Vec::new();
    let mut page = first;
    loop {
        changes.extend(
            page.changes()
                .iter()
                .filter_map(|c| c.resource_change())
                .map(convert_change),
        );
        match page.next_token() {
            Some(token) if !token.is_empty() => {
                let token = token.to_string();
                page = describe_page(client, arn, Some(token)).await?;
            }
            _ => break,
        }
    }
    Ok(ChangeSetOutcome::Ready(changes))
}

async fn describe_page(
    client: &Client,
    arn: &str,
    token: Option<String>,
) -> Result<DescribeChangeSetOutput, ChangeSetError> {
    acquire(SERVICE, "DescribeChangeSet").await;
    client
        .describe_change_set()
        .change_set_name(arn)
        .include_property_values(true)
        .set_next_token(token)
        .send()
        .await
        .map_err(|e| aws_error("DescribeChangeSet", e))
}

fn convert_change(rc: &aws_sdk_cloudformation::types::ResourceChange) -> CfnChange {
    CfnChange {
        logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
        action: rc
            .action()
            .map(|a| a.as_str().to_string())
            .unwrap_or_default(),
        replacement: rc.replacement().map(|r| r.as_str().to_string()),
        resource_type: rc.resource_type().unwrap_or_default().to_string(),
        physical_id: rc
            .physical_resource_id()
            .filter(|p| !p.is_empty())
            .map(str::to_string),
        details: rc
            .details()
            .iter()
            .map(|d| {
                let target = d.target();
                CfnDetail {
                    attribute: target
                        .and_then(|t| t.attribute())
                        .map(|a| a.as_str().to_string())
                        .unwrap_or_default(),
                    name: target.and_then(|t| t.name()).map(str::to_string),
                    requires_recreation: target
                        .and_then(|t| t.requires_recreation())
                        .map(|r| r.as_str().to_string()),
                    evaluation: d.evaluation().map(|e| e.as_str().to_string()),
                    change_source: d.change_source().map(|s| s.as_str().to_string()),
                    before: target.and_then(|t| t.before_value()).map(str::to_string),
                    after: target.and_then(|t| t.after_value()).map(str::to_string),
                }
            })
            .collect(),
    }
}

/// Deletes a change set (by ARN).
pub async fn delete(client: &Client, arn: &str) -> Result<(), ChangeSetError> {
    acquire(SERVICE, "DeleteChangeSet").await;
    client
        .delete_change_set()
        .change_set_name(arn)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| aws_error("DeleteChangeSet", e))
}

/// Executes a change set (by ARN). Returns as soon as CloudFormation accepted it; watch the stack
/// with [`events_since`] and [`wait_stack_settled`].
pub async fn execute(client: &Client, arn: &str) -> Result<(), ChangeSetError> {
    const OP: &str = "ExecuteChangeSet";
    let mut attempt = 0;
    loop {
        attempt += 1;
        // A token per change set: a retried request executes it at most once.
        // (CloudFormation's pattern: a letter, then letters, digits and `-`, at most 128.)
        let token: String = "hover-"
            .chars()
            .chain(
                arn.rsplit('/')
                    .next()
                    .unwrap_or(arn)
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-'),
            )
            .take(128)
            .collect();
        acquire(SERVICE, "ExecuteChangeSet").await;
        let e = match client
            .execute_change_set()
            .change_set_name(arn)
            .client_request_token(token)
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        // The call may have reached CloudFormation although its answer did not come back (or a
        // retry found it executing): ask the change set before answering.
        let unsure =
            !matches!(e, SdkError::ServiceError(_)) || e.code() == Some("InvalidChangeSetStatus");
        if !unsure {
            return Err(aws_error(OP, e));
        }
        match execution_status(client, arn).await {
            Ok(status) if executed(&status) => return Ok(()),
            Ok(status) if status == "AVAILABLE" && attempt < 3 => continue,
            Ok(status) => {
                return Err(ChangeSetError::Aws {
                    operation: OP,
                    code: e.code().map(str::to_string),
                    message: format!(
                        "{} (the change set's execution status is {status})",
                        DisplayErrorContext(&e)
                    ),
                    help: None,
                })
            }
            Err(lookup) => {
                return Err(ChangeSetError::Aws {
                    operation: OP,
                    code: e.code().map(str::to_string),
                    message: format!(
                        "{}; whether CloudFormation executed the change set is unknown: it could not be read back ({lookup})",
                        DisplayErrorContext(&e)
                    ),
                    help: Some("`hover apply` again waits for any stack operation in progress and plans what is left".into()),
                })
            }
        }
    }
}

/// Whether an execution status means the change set was executed (or is executing).
pub fn executed(execution_status: &str) -> bool {
    matches!(
        execution_status,
        "EXECUTE_IN_PROGRESS" | "EXECUTE_COMPLETE" | "EXECUTE_FAILED" | "OBSOLETE"
    )
}

/// The change set's `ExecutionStatus` (`AVAILABLE`, `EXECUTE_IN_PROGRESS`, ...).
async fn execution_status(client: &Client, arn: &str) -> Result<String, ChangeSetError> {
    acquire(SERVICE, "DescribeChangeSet").await;
    let out = client
        .describe_change_set()
        .change_set_name(arn)
        .send()
        .await
        .map_err(|e| aws_error("DescribeChangeSet", e))?;
    Ok(out
        .execution_status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default())
}

/// The change set named `name` of `stack`, when there is one.
async fn find_by_name(client: &Client, stack: &str, name: &str) -> Option<CreatedChangeSet> {
    acquire(SERVICE, "DescribeChangeSet").await;
    let out = client
        .describe_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .send()
        .await
        .ok()?;
    Some(CreatedChangeSet {
        arn: out.change_set_id()?.to_string(),
        stack_id: out.stack_id()?.to_string(),
    })
}

/// The stack's status, or `None` when there is no such stack.
pub async fn stack_status(
    client: &Client,
    stack_name: &str,
) -> Result<Option<StackStatusInfo>, ChangeSetError> {
    const OP: &str = "DescribeStacks";
    acquire(SERVICE, "DescribeStacks").await;
    let out = match client.describe_stacks().stack_name(stack_name).send().await {
        Ok(out) => out,
        Err(e) if is_stack_missing(&e) => return Ok(None),
        Err(e) => return Err(aws_error(OP, e)),
    };
    let Some(stack) = out.stacks().first() else {
        return Ok(None);
    };
    Ok(Some(StackStatusInfo {
        status: stack
            .stack_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        reason: stack.stack_status_reason().map(str::to_string),
        stack_id: stack.stack_id().unwrap_or_default().to_string(),
    }))
}

/// The id of the stack's newest event (a baseline for [`events_since`] before executing), or
/// `None` when the stack has no events or does not exist. Reads one page.
pub async fn latest_event_id(
    client: &Client,
    stack_name: &str,
) -> Result<Option<String>, ChangeSetError> {
    acquire(SERVICE, "DescribeStackEvents").await;
    match client
        .describe_stack_events()
        .stack_name(stack_name)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .stack_events()
            .first()
            .and_then(|e| e.event_id())
            .map(str::to_string)),
        Err(e) if is_stack_missing(&e) => Ok(None),
        Err(e) => Err(aws_error("DescribeStackEvents", e)),
    }
}

/// Events newer than `after` (exclusive), oldest first, each once. CloudFormation lists events
/// newest first; paging stops as soon as the known event is reached. With `after = None` every
/// event of the stack is returned. A stack that does not exist has no events.
pub async fn events_since(
    client: &Client,
    stack_name: &str,
    after: Option<&str>,
) -> Result<Vec<StackEvent>, ChangeSetError> {
    let mut newest_first: Vec<StackEvent> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut token: Option<String> = None;
    'pages: loop {
        acquire(SERVICE, "DescribeStackEvents").await;
        let out = match client
            .describe_stack_events()
            .stack_name(stack_name)
            .set_next_token(token.take())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if is_stack_missing(&e) => break,
            Err(e) => return Err(aws_error("DescribeStackEvents", e)),
        };
        for e in out.stack_events() {
            let id = e.event_id().unwrap_or_default();
            if after == Some(id) {
                break 'pages;
            }
            if id.is_empty() || !seen.insert(id.to_string()) {
                continue;
            }
            newest_first.push(StackEvent {
                event_id: id.to_string(),
                logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: e.resource_type().unwrap_or_default().to_string(),
                status: e
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: e
                    .resource_status_reason()
                    .filter(|r| !r.is_empty())
                    .map(str::to_string),
                timestamp_ms: e
                    .timestamp()
                    .and_then(|t| t.to_millis().ok())
                    .unwrap_or_default(),
            });
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    newest_first.reverse();
    // Events arrive newest first; keep that order among equal timestamps, oldest first overall.
    newest_first.sort_by_key(|e| e.timestamp_ms);
    Ok(newest_first)
}

/// Starts deleting the stack. Deleting a stack that does not exist succeeds.
pub async fn delete_stack(client: &Client, stack_name: &str) -> Result<(), ChangeSetError> {
    acquire(SERVICE, "DeleteStack").await;
    client
        .delete_stack()
        .stack_name(stack_name)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| aws_error("DeleteStack", e))
}

/// Waits with the default adaptive polling (and the stack operations' overall limit) until the
/// stack is not `*_IN_PROGRESS` (`REVIEW_IN_PROGRESS` counts as settled) and returns its final
/// status, or `None` once the stack is gone. `on_poll` is called with every in-progress status
/// observed.
pub async fn wait_stack_settled(
    client: &Client,
    stack_name: &str,
    on_poll: impl FnMut(&str),
) -> Result<Option<String>, ChangeSetError> {
    let poll = Poll::default().with_timeout(STACK_LIMIT);
    wait_stack_settled_with(client, stack_name, poll, on_poll).await
}

/// [`wait_stack_settled`] with an explicit polling schedule.
pub async fn wait_stack_settled_with(
    client: &Client,
    stack_name: &str,
    poll: Poll,
    mut on_poll: impl FnMut(&str),
) -> Result<Option<String>, ChangeSetError> {
    let mut poller = Poller::new(poll);
    let what = Waiting::Stack {
        stack: stack_name.to_string(),
    };
    loop {
        let Some(info) = stack_status(client, stack_name).await? else {
            return Ok(None);
        };
        if !is_in_progress(&info.status) {
            return Ok(Some(info.status));
        }
        on_poll(&info.status);
        poller.wait(&what, &info.status).await?;
    }
}

fn is_in_progress(status: &str) -> bool {
    status.ends_with("_IN_PROGRESS") && status != "REVIEW_IN_PROGRESS"
}

/// Every change set of the stack (all pages); none when the stack does not exist.
pub async fn list_change_sets(
    client: &Client,
    stack_name: &str,
) -> Result<Vec<ChangeSetSummary>, ChangeSetError> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        acquire(SERVICE, "ListChangeSets").await;
        let out = match client
            .list_change_sets()
            .stack_name(stack_name)
            .set_next_token(token.take())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if is_stack_missing(&e) => break,
            Err(e) => return Err(aws_error("ListChangeSets", e)),
        };
        all.extend(out.summaries().iter().map(|s| {
            ChangeSetSummary {
                arn: s.change_set_id().unwrap_or_default().to_string(),
                name: s.change_set_name().unwrap_or_default().to_string(),
                status: s
                    .status()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
                execution_status: s
                    .execution_status()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
            }
        }));
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_progress_excludes_review() {
        assert!(is_in_progress("UPDATE_IN_PROGRESS"));
        assert!(is_in_progress("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
        assert!(!is_in_progress("REVIEW_IN_PROGRESS"));
        assert!(!is_in_progress("UPDATE_ROLLBACK_COMPLETE"));
    }

    #[test]
    fn help_names_capabilities() {
        let help = help_for(
            Some("InsufficientCapabilitiesException"),
            "Requires capabilities : [CAPABILITY_IAM]",
        );
        assert!(help.is_some_and(|h| h.contains("CAPABILITY_IAM")));
        assert_eq!(
            help_for(Some("ValidationError"), "Template format error"),
            None
        );
    }
}
