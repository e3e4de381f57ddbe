//! Writes through the services' own APIs: the resources made before the stack (ECR repository,
//! assets bucket, KMS key), the image check, template uploads, and repairs of drift that a
//! CloudFormation template diff cannot see. Which type is made here and which drift is put back
//! through which call is read from the type table ([`crate::model::kinds`]); one file per service
//! holds the calls. SDK types stop here.

mod cloudfront;
mod ecr;
mod events;
mod iam;
pub mod kms;
mod lambda;
mod lock;
mod logs;
pub mod purge;
mod s3;
pub mod sqs;
pub mod teardown;

pub use ecr::image_exists;
pub use lambda::set_mapping_enabled;
pub use lock::{delete_lock, read_lock, write_lock, LockWrite};
pub use s3::{delete_object, upload_template};

use crate::live::Clients;
use crate::model::kinds::{Call, Provision, ResourceType};
use crate::model::Resolved;
use aws_smithy_types::error::display::DisplayErrorContext;
use serde_json::{Map, Value};

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

/// A [`DirectError`] of `service` `operation` on `resource` saying `message`.
pub(crate) fn err(
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

/// Creates or updates a resource provisioned outside the stack, from its desired properties.
/// `exists` says whether it exists now.
pub async fn ensure(
    clients: &Clients,
    resource_type: &ResourceType,
    name: &str,
    props: &Map<String, Value>,
    exists: bool,
    region: &str,
) -> Result<(), DirectError> {
    match resource_type.kind().and_then(|k| k.info().provision) {
        Some(Provision::Repository) => ecr::ensure_repository(clients, name, props, exists).await,
        Some(Provision::Bucket) => s3::ensure_bucket(clients, name, props, exists, region).await,
        Some(Provision::Key) => kms::ensure_key(clients, name, props).await,
        None => Err(err(
            "hover",
            "Provision",
            name,
            format!("{resource_type} is not provisioned directly"),
        )),
    }
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
/// through the service's own API, one call per fix the type table lists. `physical_id` is the
/// live resource's id.
pub async fn repair(
    clients: &Clients,
    resource_type: &ResourceType,
    physical_id: &str,
    names: &[String],
    desired: &Resolved,
) -> Result<Vec<(String, Repair)>, DirectError> {
    let mut done: Vec<(String, Repair)> = Vec::new();
    let fixes = resource_type.kind().map_or(&[][..], |k| k.info().fixes);
    for fix in fixes {
        let wanted: Vec<&str> = fix
            .properties
            .iter()
            .copied()
            .filter(|p| names.iter().any(|n| n == p))
            .collect();
        // Without every desired value known, writing a whole document would break it.
        if wanted.is_empty() || (fix.needs_known && wanted.iter().any(|p| !desired.is_known(p))) {
            continue;
        }
        let put = Put {
            clients,
            id: physical_id,
            wanted: &wanted,
            desired: &desired.values,
        };
        if let Some(call) = put_back(fix.call, &put).await? {
            done.extend(wanted.iter().map(|p| (p.to_string(), Repair::Done(call))));
        }
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

/// One repair call's inputs: the resource, the drifted properties the call writes, and the
/// desired values.
pub(crate) struct Put<'a> {
    pub clients: &'a Clients,
    pub id: &'a str,
    pub wanted: &'a [&'a str],
    pub desired: &'a Map<String, Value>,
}

impl Put<'_> {
    /// Whether `property` is among those this call writes.
    pub fn has(&self, property: &str) -> bool {
        self.wanted.contains(&property)
    }
}

/// Makes one repair call; the name of the call made, `None` when nothing needed writing.
async fn put_back(call: Call, put: &Put<'_>) -> Result<Option<&'static str>, DirectError> {
    match call {
        Call::LambdaConfiguration => lambda::put_configuration(put).await.map(Some),
        Call::LambdaConcurrency => lambda::put_concurrency(put).await.map(Some),
        Call::LambdaCode => lambda::put_code(put).await.map(Some),
        Call::EventSourceMapping => lambda::put_event_source_mapping(put).await.map(Some),
        Call::LogRetention => logs::put_retention(put).await.map(Some),
        Call::QueueAttributes => sqs::put_attributes(put).await,
        Call::RulePut => events::put_rule(put).await.map(Some),
        Call::RuleTargets => events::put_targets(put).await.map(Some),
        Call::DistributionConfig => cloudfront::put_back(put.clients, put.id, put.desired)
            .await
            .map(|()| Some("CloudFront UpdateDistribution")),
        Call::RoleTrust => iam::put_back_trust(put.clients, put.id, put.desired)
            .await
            .map(|()| Some("IAM UpdateAssumeRolePolicy")),
        Call::RolePolicies => iam::put_back_policies(put.clients, put.id, put.desired)
            .await
            .map(|()| Some("IAM PutRolePolicy")),
        Call::RoleManagedPolicies => iam::put_back_managed(put.clients, put.id, put.desired)
            .await
            .map(|()| Some("IAM AttachRolePolicy")),
    }
}
