//! CloudWatch Logs reader: log groups by exact name, with their retention. Every log group of a
//! read is found in one listing (DescribeLogGroups by the longest prefix the groups share, all
//! pages), not one call per group.

use super::error::{aws_error, is_not_found};
use super::json::{number, object, resource};
use super::quota::acquire;
use super::{LiveError, ReadContext};
use crate::model::{LiveResource, ResourceKind};
use serde_json::Value;
use std::collections::BTreeMap;

const SERVICE: &str = "logs";

/// The most log groups DescribeLogGroups returns in one page.
const PAGE: i32 = 50;

/// One log group as listed: its ARN (without the `:*` suffix) and retention.
#[derive(Clone, Debug)]
pub struct LogGroupInfo {
    arn: String,
    retention_in_days: Option<i32>,
}

/// The longest prefix every name shares (by character), `None` when there is no name.
pub fn common_prefix<'a>(mut names: impl Iterator<Item = &'a str>) -> Option<String> {
    let first = names.next()?;
    let mut len = first.len();
    for name in names {
        len = first
            .char_indices()
            .zip(name.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(len);
    }
    Some(first[..len].to_owned())
}

/// Every log group whose name starts with `prefix` (all pages), by name.
pub async fn list_log_groups(
    ctx: &ReadContext<'_>,
    prefix: &str,
) -> Result<BTreeMap<String, LogGroupInfo>, LiveError> {
    let mut groups = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        acquire(SERVICE, "DescribeLogGroups").await;
        let mut request = ctx
            .clients
            .logs
            .describe_log_groups()
            .limit(PAGE)
            .set_next_token(token.clone());
        if !prefix.is_empty() {
            request = request.log_group_name_prefix(prefix);
        }
        let out = match request.send().await {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => break,
            Err(e) => {
                let label = format!("log groups named {prefix}*");
                return Err(aws_error(SERVICE, "DescribeLogGroups", label, e));
            }
        };
        for group in out.log_groups() {
            let Some(name) = group.log_group_name() else {
                continue;
            };
            let arn = group
                .arn()
                .map(|a| a.strip_suffix(":*").unwrap_or(a).to_owned())
                .or_else(|| group.log_group_arn().map(str::to_owned))
                .unwrap_or_default();
            groups.insert(
                name.to_owned(),
                LogGroupInfo {
                    arn,
                    retention_in_days: group.retention_in_days(),
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
    Ok(groups)
}

/// `AWS::Logs::LogGroup` by name, exact match only, from the read's one listing of log groups
/// (by the prefix the read's log groups share; this name alone when the context has none).
pub async fn read_log_group(
    ctx: &ReadContext<'_>,
    name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let prefix = ctx
        .log_group_prefix
        .as_deref()
        .filter(|p| name.starts_with(p));
    let listed;
    let groups = match prefix {
        Some(prefix) => {
            ctx.log_groups
                .get_or_try_init(|| list_log_groups(ctx, prefix))
                .await?
        }
        None => {
            listed = list_log_groups(ctx, name).await?;
            &listed
        }
    };
    let Some(group) = groups.get(name) else {
        return Ok(None);
    };
    let properties = object([
        ("LogGroupName", Value::from(name)),
        ("RetentionInDays", number(group.retention_in_days)),
    ]);
    Ok(Some(resource(
        ResourceKind::LogGroup,
        name,
        [("Ref", name), ("Arn", &group.arn)],
        properties,
    )))
}

#[cfg(test)]
mod tests {
    use super::common_prefix;

    #[test]
    fn the_prefix_every_name_shares() {
        let names = [
            "/aws/lambda/app-http",
            "/aws/lambda/app-cli",
            "/aws/lambda/app-x-queue",
        ];
        assert_eq!(
            common_prefix(names.into_iter()).as_deref(),
            Some("/aws/lambda/app-")
        );
        assert_eq!(common_prefix(["/a/b"].into_iter()).as_deref(), Some("/a/b"));
        assert_eq!(
            common_prefix(["/a/b", "/a"].into_iter()).as_deref(),
            Some("/a")
        );
        assert_eq!(
            common_prefix(["é1", "é2"].into_iter()).as_deref(),
            Some("é")
        );
        assert_eq!(common_prefix(["x", "y"].into_iter()).as_deref(), Some(""));
        assert_eq!(common_prefix([].into_iter()), None);
    }
}
