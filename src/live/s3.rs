//! S3 readers: buckets (existence and public access block) and bucket policies.

use super::error::{aws_error, is_not_found};
use super::json::{object, resource};
use super::quota::acquire;
use super::{LiveError, ReadContext};
use crate::model::{LiveResource, ResourceKind};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::Value;

const SERVICE: &str = "s3";

/// Whether bucket `name` exists (HeadBucket).
pub async fn bucket_exists(clients: &super::Clients, name: &str) -> Result<bool, LiveError> {
    acquire(SERVICE, "HeadBucket").await;
    match clients.s3.head_bucket().bucket(name).send().await {
        Ok(_) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(aws_error(SERVICE, "HeadBucket", name, e)),
    }
}

/// `AWS::S3::Bucket` by name: HeadBucket (404: absent) and GetPublicAccessBlock
/// (NoSuchPublicAccessBlockConfiguration: `null`).
pub async fn read_bucket(
    ctx: &ReadContext<'_>,
    name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let s3 = &ctx.clients.s3;
    acquire(SERVICE, "HeadBucket").await;
    let head = match s3.head_bucket().bucket(name).send().await {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error(SERVICE, "HeadBucket", name, e)),
    };
    acquire(SERVICE, "GetPublicAccessBlock").await;
    let block = match s3.get_public_access_block().bucket(name).send().await {
        Ok(out) => match out.public_access_block_configuration() {
            Some(c) => Value::Object(object([
                (
                    "BlockPublicAcls",
                    Value::Bool(c.block_public_acls().unwrap_or(false)),
                ),
                (
                    "BlockPublicPolicy",
                    Value::Bool(c.block_public_policy().unwrap_or(false)),
                ),
                (
                    "IgnorePublicAcls",
                    Value::Bool(c.ignore_public_acls().unwrap_or(false)),
                ),
                (
                    "RestrictPublicBuckets",
                    Value::Bool(c.restrict_public_buckets().unwrap_or(false)),
                ),
            ])),
            None => Value::Null,
        },
        Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => Value::Null,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error(SERVICE, "GetPublicAccessBlock", name, e)),
    };
    let region = head
        .bucket_region()
        .filter(|r| !r.is_empty())
        .unwrap_or(ctx.region.as_str());
    let properties = object([
        ("BucketName", Value::from(name)),
        ("PublicAccessBlockConfiguration", block),
    ]);
    let partition = crate::model::Partition::of(region);
    let arn = format!("{}s3:::{name}", partition.arn_prefix());
    let regional = format!("{name}.s3.{region}.{}", partition.url_suffix());
    Ok(Some(resource(
        ResourceKind::Bucket,
        name,
        [
            ("Ref", name),
            ("Arn", &arn),
            ("RegionalDomainName", &regional),
        ],
        properties,
    )))
}

/// `AWS::S3::BucketPolicy` of the bucket named `bucket`: GetBucketPolicy (NoSuchBucketPolicy /
/// NoSuchBucket: absent), the document parsed as JSON.
pub async fn read_bucket_policy(
    ctx: &ReadContext<'_>,
    bucket: &str,
) -> Result<Option<LiveResource>, LiveError> {
    acquire(SERVICE, "GetBucketPolicy").await;
    let out = match ctx
        .clients
        .s3
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error(SERVICE, "GetBucketPolicy", bucket, e)),
    };
    let Some(policy) = out.policy().filter(|p| !p.trim().is_empty()) else {
        return Ok(None);
    };
    let document = serde_json::from_str::<Value>(policy).unwrap_or_else(|_| Value::from(policy));
    let properties = object([
        ("Bucket", Value::from(bucket)),
        ("PolicyDocument", document),
    ]);
    Ok(Some(resource(
        ResourceKind::BucketPolicy,
        bucket,
        [("Ref", bucket)],
        properties,
    )))
}
