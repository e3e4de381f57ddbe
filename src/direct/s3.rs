//! S3 through its own API: the stage's assets bucket (made before the stack, public access
//! blocked) and the template uploads CloudFormation reads.

use super::{fail, DirectError};
use crate::live::quota::acquire;
use crate::live::Clients;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration,
};
use serde_json::{Map, Value};

/// Creates the bucket `name` unless it `exists`, then sets its public access block.
pub(super) async fn ensure_bucket(
    clients: &Clients,
    name: &str,
    props: &Map<String, Value>,
    exists: bool,
    region: &str,
) -> Result<(), DirectError> {
    if !exists {
        let mut create = clients.s3.create_bucket().bucket(name);
        // us-east-1 takes no location constraint (AWS rejects one).
        if region != "us-east-1" {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        acquire("s3", "CreateBucket").await;
        create
            .send()
            .await
            .map_err(fail("S3", "CreateBucket", name))?;
    }
    let block = props.get("PublicAccessBlockConfiguration");
    let flag = |k: &str| {
        block
            .and_then(|b| b.get(k))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    };
    acquire("s3", "PutPublicAccessBlock").await;
    clients
        .s3
        .put_public_access_block()
        .bucket(name)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(flag("BlockPublicAcls"))
                .block_public_policy(flag("BlockPublicPolicy"))
                .ignore_public_acls(flag("IgnorePublicAcls"))
                .restrict_public_buckets(flag("RestrictPublicBuckets"))
                .build(),
        )
        .send()
        .await
        .map_err(fail("S3", "PutPublicAccessBlock", name))?;
    Ok(())
}

/// Uploads a template to the stage's bucket and returns the URL CloudFormation reads it from.
pub async fn upload_template(
    clients: &Clients,
    bucket: &str,
    key: &str,
    body: &str,
    region: &str,
) -> Result<String, DirectError> {
    acquire("s3", "PutObject").await;
    clients
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .map_err(fail("S3", "PutObject", key))?;
    let suffix = crate::model::Partition::of(region).url_suffix();
    Ok(format!("https://{bucket}.s3.{region}.{suffix}/{key}"))
}

/// Deletes one object (an uploaded template once CloudFormation has read it).
pub async fn delete_object(clients: &Clients, bucket: &str, key: &str) -> Result<(), DirectError> {
    acquire("s3", "DeleteObject").await;
    clients
        .s3
        .delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map(|_| ())
        .map_err(fail("S3", "DeleteObject", key))
}
