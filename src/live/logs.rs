//! CloudWatch Logs reader: log groups by exact name, with their retention.

use super::error::{aws_error, is_not_found};
use super::json::{number, object, resource};
use super::{LiveError, ReadContext};
use crate::model::LiveResource;
use serde_json::Value;

const SERVICE: &str = "logs";

/// `AWS::Logs::LogGroup` by name: DescribeLogGroups with the name as prefix (all pages), exact
/// match only.
pub async fn read_log_group(
    ctx: &ReadContext<'_>,
    name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let mut token: Option<String> = None;
    loop {
        let out = match ctx
            .clients
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .set_next_token(token.clone())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(aws_error(SERVICE, "DescribeLogGroups", name, e)),
        };
        if let Some(group) = out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
        {
            let arn = group
                .arn()
                .map(|a| a.strip_suffix(":*").unwrap_or(a).to_owned())
                .or_else(|| group.log_group_arn().map(str::to_owned))
                .unwrap_or_default();
            let properties = object([
                ("LogGroupName", Value::from(name)),
                ("RetentionInDays", number(group.retention_in_days())),
            ]);
            return Ok(Some(resource(
                "AWS::Logs::LogGroup",
                name,
                [("Ref", name), ("Arn", &arn)],
                properties,
            )));
        }
        match out.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_owned())
            }
            _ => return Ok(None),
        }
    }
}
