//! Writes through the services' own APIs: the resources made before the stack (ECR repository,
//! assets bucket, KMS key), the image check, template uploads, and repairs of drift that a
//! CloudFormation template diff cannot see (`cloudfront` and `iam` hold the longer ones). SDK
//! types stop here.

mod cloudfront;
mod iam;
pub mod kms;
mod lock;
pub mod purge;
mod release;
pub mod teardown;

pub use lock::{read_lock, write_lock, LockWrite};
pub use release::{
    asset_files, content_type, registry_login, upload_assets, AssetUpload, RegistryLogin,
    ASSET_CACHE_CONTROL, UPLOAD_CONCURRENCY,
};

use crate::live::Clients;
use aws_sdk_ecr::types::{ImageIdentifier, ImageTagMutability};
use aws_sdk_eventbridge::types::{RuleState, Target};
use aws_sdk_kms::types::KeyUsageType;
use aws_sdk_lambda::types::{Environment, FunctionResponseType, VpcConfig};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration,
};
use aws_sdk_sqs::types::QueueAttributeName;
use aws_smithy_types::error::display::DisplayErrorContext;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A failed write through a service API: which call, on what, and AWS's answer.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{service} {operation} on `{resource}` failed: {message}")]
#[diagnostic(code(hover::aws_write))]
pub struct DirectError {
    pub service: &'static str,
    pub operation: &'static str,
    pub resource: String,
    pub message: String,
}

/// Turns an SDK error of `service` `operation` on `resource` into a [`DirectError`].
pub(crate) fn fail<'a, E: std::error::Error + 'static>(
    service: &'static str,
    operation: &'static str,
    resource: &'a str,
) -> impl FnOnce(E) -> DirectError + 'a {
    move |e| DirectError {
        service,
        operation,
        resource: resource.to_string(),
        message: DisplayErrorContext(&e).to_string(),
    }
}

fn err(
    service: &'static str,
    operation: &'static str,
    resource: &str,
    message: impl Into<String>,
) -> DirectError {
    DirectError {
        service,
        operation,
        resource: resource.to_string(),
        message: message.into(),
    }
}

fn num(props: &Map<String, Value>, key: &str) -> Option<i32> {
    props
        .get(key)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

fn text<'a>(props: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    props.get(key).and_then(Value::as_str)
}

/// Whether `repository:tag` exists. A missing repository means no.
pub async fn image_exists(
    clients: &Clients,
    repository: &str,
    tag: &str,
) -> Result<bool, DirectError> {
    let resource = format!("{repository}:{tag}");
    match clients
        .ecr
        .describe_images()
        .repository_name(repository)
        .image_ids(ImageIdentifier::builder().image_tag(tag).build())
        .send()
        .await
    {
        Ok(out) => Ok(!out.image_details().is_empty()),
        Err(e) => {
            let not_found = e.as_service_error().is_some_and(|s| {
                s.is_image_not_found_exception() || s.is_repository_not_found_exception()
            });
            if not_found {
                Ok(false)
            } else {
                Err(fail("ECR", "DescribeImages", &resource)(e))
            }
        }
    }
}

/// Creates or updates a resource provisioned outside the stack, from its desired properties.
/// `exists` says whether it exists now.
pub async fn ensure(
    clients: &Clients,
    resource_type: &str,
    name: &str,
    props: &Map<String, Value>,
    exists: bool,
    region: &str,
) -> Result<(), DirectError> {
    match resource_type {
        "AWS::ECR::Repository" => {
            let mutability =
                ImageTagMutability::from(text(props, "ImageTagMutability").unwrap_or("MUTABLE"));
            if exists {
                clients
                    .ecr
                    .put_image_tag_mutability()
                    .repository_name(name)
                    .image_tag_mutability(mutability)
                    .send()
                    .await
                    .map_err(fail("ECR", "PutImageTagMutability", name))?;
            } else {
                clients
                    .ecr
                    .create_repository()
                    .repository_name(name)
                    .image_tag_mutability(mutability)
                    .send()
                    .await
                    .map_err(fail("ECR", "CreateRepository", name))?;
            }
        }
        "AWS::S3::Bucket" => {
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
        }
        "AWS::KMS::Key" => {
            let description = text(props, "Description").unwrap_or_default();
            let key_id = if exists {
                let meta = clients
                    .kms
                    .describe_key()
                    .key_id(name)
                    .send()
                    .await
                    .map_err(fail("KMS", "DescribeKey", name))?;
                let id = meta
                    .key_metadata()
                    .map(|m| m.key_id().to_string())
                    .unwrap_or_default();
                clients
                    .kms
                    .update_key_description()
                    .key_id(&id)
                    .description(description)
                    .send()
                    .await
                    .map_err(fail("KMS", "UpdateKeyDescription", name))?;
                if props
                    .get("Enabled")
                    .and_then(Value::as_bool)
                    .unwrap_or(true)
                {
                    clients
                        .kms
                        .enable_key()
                        .key_id(&id)
                        .send()
                        .await
                        .map_err(fail("KMS", "EnableKey", name))?;
                }
                id
            } else {
                // A run stopped between CreateKey and CreateAlias left a key without its alias:
                // the key carries its alias name as a tag, and is adopted instead of made twice.
                let id = match kms::orphan_key(clients, name).await? {
                    Some(id) => id,
                    None => {
                        let created = clients
                            .kms
                            .create_key()
                            .description(description)
                            .key_usage(KeyUsageType::EncryptDecrypt)
                            .tags(
                                aws_sdk_kms::types::Tag::builder()
                                    .tag_key(kms::ALIAS_TAG)
                                    .tag_value(name)
                                    .build()
                                    .map_err(|e| err("KMS", "CreateKey", name, e.to_string()))?,
                            )
                            .send()
                            .await
                            .map_err(fail("KMS", "CreateKey", name))?;
                        created
                            .key_metadata()
                            .map(|m| m.key_id().to_string())
                            .ok_or_else(|| {
                                err("KMS", "CreateKey", name, "no key id in the answer")
                            })?
                    }
                };
                clients
                    .kms
                    .create_alias()
                    .alias_name(name)
                    .target_key_id(&id)
                    .send()
                    .await
                    .map_err(fail("KMS", "CreateAlias", name))?;
                id
            };
            if props
                .get("EnableKeyRotation")
                .and_then(Value::as_bool)
                .unwrap_or(false)
            {
                clients
                    .kms
                    .enable_key_rotation()
                    .key_id(&key_id)
                    .send()
                    .await
                    .map_err(fail("KMS", "EnableKeyRotation", name))?;
            }
        }
        other => {
            return Err(err(
                "hover",
                "Provision",
                name,
                format!("{other} is not provisioned directly"),
            ))
        }
    }
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
    Ok(format!("https://{bucket}.s3.{region}.amazonaws.com/{key}"))
}

/// Deletes one object (an uploaded template once CloudFormation has read it).
pub async fn delete_object(clients: &Clients, bucket: &str, key: &str) -> Result<(), DirectError> {
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

/// How a drifted property was put back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repair {
    /// Put back through the named API call.
    Done(&'static str),
    /// No API repair exists for it; the reason says what to do.
    NotPossible(String),
}

/// Puts the drifted properties `names` of a resource back to `desired` (resolved, unmasked),
/// through the service's own API. `physical_id` is the live resource's id.
pub async fn repair(
    clients: &Clients,
    resource_type: &str,
    physical_id: &str,
    names: &[String],
    desired: &Map<String, Value>,
) -> Result<Vec<(String, Repair)>, DirectError> {
    let mut done = Vec::new();
    let has = |k: &str| names.iter().any(|n| n == k);
    match resource_type {
        "AWS::Lambda::Function" => {
            let config_keys = ["MemorySize", "Timeout", "Role", "Environment", "VpcConfig"];
            if config_keys.iter().any(|k| has(k)) {
                let mut call = clients
                    .lambda
                    .update_function_configuration()
                    .function_name(physical_id);
                if has("MemorySize") {
                    call = call.set_memory_size(num(desired, "MemorySize"));
                }
                if has("Timeout") {
                    call = call.set_timeout(num(desired, "Timeout"));
                }
                if has("Role") {
                    call = call.set_role(text(desired, "Role").map(str::to_string));
                }
                if has("Environment") {
                    let vars: HashMap<String, String> = desired
                        .get("Environment")
                        .and_then(|e| e.get("Variables"))
                        .and_then(Value::as_object)
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| {
                                    (
                                        k.clone(),
                                        v.as_str()
                                            .map(str::to_string)
                                            .unwrap_or_else(|| v.to_string()),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    call =
                        call.environment(Environment::builder().set_variables(Some(vars)).build());
                }
                if has("VpcConfig") {
                    let list = |k: &str| -> Vec<String> {
                        desired
                            .get("VpcConfig")
                            .and_then(|v| v.get(k))
                            .and_then(Value::as_array)
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default()
                    };
                    call = call.vpc_config(
                        VpcConfig::builder()
                            .set_subnet_ids(Some(list("SubnetIds")))
                            .set_security_group_ids(Some(list("SecurityGroupIds")))
                            .build(),
                    );
                }
                call.send().await.map_err(fail(
                    "Lambda",
                    "UpdateFunctionConfiguration",
                    physical_id,
                ))?;
                for k in config_keys.iter().filter(|k| has(k)) {
                    done.push((
                        k.to_string(),
                        Repair::Done("Lambda UpdateFunctionConfiguration"),
                    ));
                }
            }
            if has("ReservedConcurrentExecutions") {
                match num(desired, "ReservedConcurrentExecutions") {
                    Some(n) => {
                        clients
                            .lambda
                            .put_function_concurrency()
                            .function_name(physical_id)
                            .reserved_concurrent_executions(n)
                            .send()
                            .await
                            .map_err(fail("Lambda", "PutFunctionConcurrency", physical_id))?;
                        done.push((
                            "ReservedConcurrentExecutions".into(),
                            Repair::Done("Lambda PutFunctionConcurrency"),
                        ));
                    }
                    None => {
                        clients
                            .lambda
                            .delete_function_concurrency()
                            .function_name(physical_id)
                            .send()
                            .await
                            .map_err(fail("Lambda", "DeleteFunctionConcurrency", physical_id))?;
                        done.push((
                            "ReservedConcurrentExecutions".into(),
                            Repair::Done("Lambda DeleteFunctionConcurrency"),
                        ));
                    }
                }
            }
            if has("Code") {
                let uri = desired
                    .get("Code")
                    .and_then(|c| c.get("ImageUri"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                clients
                    .lambda
                    .update_function_code()
                    .function_name(physical_id)
                    .image_uri(uri)
                    .send()
                    .await
                    .map_err(fail("Lambda", "UpdateFunctionCode", physical_id))?;
                done.push(("Code".into(), Repair::Done("Lambda UpdateFunctionCode")));
            }
        }
        "AWS::Logs::LogGroup" if has("RetentionInDays") => {
            match num(desired, "RetentionInDays") {
                Some(days) => {
                    clients
                        .logs
                        .put_retention_policy()
                        .log_group_name(physical_id)
                        .retention_in_days(days)
                        .send()
                        .await
                        .map_err(fail("CloudWatch Logs", "PutRetentionPolicy", physical_id))?;
                }
                None => {
                    clients
                        .logs
                        .delete_retention_policy()
                        .log_group_name(physical_id)
                        .send()
                        .await
                        .map_err(fail(
                            "CloudWatch Logs",
                            "DeleteRetentionPolicy",
                            physical_id,
                        ))?;
                }
            }
            done.push((
                "RetentionInDays".into(),
                Repair::Done("CloudWatch Logs PutRetentionPolicy"),
            ));
        }
        "AWS::SQS::Queue" => {
            let mut attrs = HashMap::new();
            for (key, attr) in [
                ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
                (
                    "MessageRetentionPeriod",
                    QueueAttributeName::MessageRetentionPeriod,
                ),
            ] {
                if has(key) {
                    if let Some(v) = desired.get(key) {
                        attrs.insert(
                            attr,
                            v.as_i64()
                                .map(|n| n.to_string())
                                .unwrap_or_else(|| v.to_string()),
                        );
                    }
                }
            }
            if has("RedrivePolicy") {
                let policy = desired
                    .get("RedrivePolicy")
                    .map(Value::to_string)
                    .unwrap_or_default();
                attrs.insert(QueueAttributeName::RedrivePolicy, policy);
            }
            if !attrs.is_empty() {
                // The physical id of a queue is its URL.
                clients
                    .sqs
                    .set_queue_attributes()
                    .queue_url(physical_id)
                    .set_attributes(Some(attrs.clone()))
                    .send()
                    .await
                    .map_err(fail("SQS", "SetQueueAttributes", physical_id))?;
                for k in [
                    "VisibilityTimeout",
                    "MessageRetentionPeriod",
                    "RedrivePolicy",
                ] {
                    if has(k) {
                        done.push((k.to_string(), Repair::Done("SQS SetQueueAttributes")));
                    }
                }
            }
        }
        "AWS::Events::Rule" => {
            if has("ScheduleExpression") || has("State") {
                let state = RuleState::from(text(desired, "State").unwrap_or("ENABLED"));
                clients
                    .eventbridge
                    .put_rule()
                    .name(physical_id)
                    .set_schedule_expression(
                        text(desired, "ScheduleExpression").map(str::to_string),
                    )
                    .state(state)
                    .send()
                    .await
                    .map_err(fail("EventBridge", "PutRule", physical_id))?;
                for k in ["ScheduleExpression", "State"] {
                    if has(k) {
                        done.push((k.to_string(), Repair::Done("EventBridge PutRule")));
                    }
                }
            }
            if has("Targets") {
                let mut targets = Vec::new();
                for t in desired
                    .get("Targets")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let target = Target::builder()
                        .id(t.get("Id").and_then(Value::as_str).unwrap_or_default())
                        .arn(t.get("Arn").and_then(Value::as_str).unwrap_or_default())
                        .set_input(t.get("Input").and_then(Value::as_str).map(str::to_string))
                        .build()
                        .map_err(|e| {
                            err("EventBridge", "PutTargets", physical_id, e.to_string())
                        })?;
                    targets.push(target);
                }
                clients
                    .eventbridge
                    .put_targets()
                    .rule(physical_id)
                    .set_targets(Some(targets))
                    .send()
                    .await
                    .map_err(fail("EventBridge", "PutTargets", physical_id))?;
                done.push(("Targets".into(), Repair::Done("EventBridge PutTargets")));
            }
        }
        "AWS::Lambda::EventSourceMapping" => {
            let mut call = clients
                .lambda
                .update_event_source_mapping()
                .uuid(physical_id);
            if has("BatchSize") {
                call = call.set_batch_size(num(desired, "BatchSize"));
            }
            if has("Enabled") {
                call = call.set_enabled(desired.get("Enabled").and_then(Value::as_bool));
            }
            if has("FunctionResponseTypes") {
                let types: Vec<FunctionResponseType> = desired
                    .get("FunctionResponseTypes")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(FunctionResponseType::from)
                            .collect()
                    })
                    .unwrap_or_default();
                call = call.set_function_response_types(Some(types));
            }
            call.send()
                .await
                .map_err(fail("Lambda", "UpdateEventSourceMapping", physical_id))?;
            for k in ["BatchSize", "Enabled", "FunctionResponseTypes"] {
                if has(k) {
                    done.push((
                        k.to_string(),
                        Repair::Done("Lambda UpdateEventSourceMapping"),
                    ));
                }
            }
        }
        "AWS::CloudFront::Distribution" if has("DistributionConfig") => {
            let unknown = desired
                .get("DistributionConfig")
                .is_some_and(cloudfront::has_unknown);
            // Without every desired value known, writing the config would break it.
            if !unknown {
                cloudfront::put_back(clients, physical_id, desired).await?;
                done.push((
                    "DistributionConfig".into(),
                    Repair::Done("CloudFront UpdateDistribution"),
                ));
            }
        }
        "AWS::IAM::Role" => {
            // Without every desired value known, writing a document would break it.
            let known = |k: &str| desired.get(k).is_none_or(|v| !cloudfront::has_unknown(v));
            if has("AssumeRolePolicyDocument") && known("AssumeRolePolicyDocument") {
                iam::put_back_trust(clients, physical_id, desired).await?;
                done.push((
                    "AssumeRolePolicyDocument".into(),
                    Repair::Done("IAM UpdateAssumeRolePolicy"),
                ));
            }
            if has("Policies") && known("Policies") {
                iam::put_back_policies(clients, physical_id, desired).await?;
                done.push(("Policies".into(), Repair::Done("IAM PutRolePolicy")));
            }
            if has("ManagedPolicyArns") && known("ManagedPolicyArns") {
                iam::put_back_managed(clients, physical_id, desired).await?;
                done.push((
                    "ManagedPolicyArns".into(),
                    Repair::Done("IAM AttachRolePolicy"),
                ));
            }
        }
        _ => {}
    }
    for n in names {
        if !done.iter().any(|(k, _)| k == n) {
            done.push((
                n.clone(),
                Repair::NotPossible(format!(
                    "{resource_type} {n} cannot be put back through its API by hover; change it back in the AWS console or recreate the resource"
                )),
            ));
        }
    }
    Ok(done)
}
