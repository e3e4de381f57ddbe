//! ECR reader: the image repository by name.

use super::error::{aws_error, is_not_found};
use super::json::{object, resource, string};
use super::quota::acquire;
use super::{LiveError, ReadContext};
use crate::model::{LiveResource, ResourceKind};
use serde_json::Value;

const SERVICE: &str = "ecr";

/// `AWS::ECR::Repository` by name: DescribeRepositories (RepositoryNotFoundException: absent).
pub async fn read_repository(
    ctx: &ReadContext<'_>,
    name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    acquire(SERVICE, "DescribeRepositories").await;
    let out = match ctx
        .clients
        .ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error(SERVICE, "DescribeRepositories", name, e)),
    };
    let Some(repo) = out
        .repositories()
        .iter()
        .find(|r| r.repository_name() == Some(name))
    else {
        return Ok(None);
    };
    let properties = object([
        ("RepositoryName", Value::from(name)),
        (
            "ImageTagMutability",
            string(repo.image_tag_mutability().map(|m| m.as_str())),
        ),
    ]);
    Ok(Some(resource(
        ResourceKind::Repository,
        name,
        [
            ("Ref", name),
            ("Arn", repo.repository_arn().unwrap_or_default()),
            ("RepositoryUri", repo.repository_uri().unwrap_or_default()),
        ],
        properties,
    )))
}
