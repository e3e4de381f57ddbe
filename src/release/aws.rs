//! The AWS half of releases, where the SDK types stop; every function takes the client and plain
//! data. Here the Lambda calls: list published versions, read and move `live`, publish a version,
//! invoke a function; the registry login (ECR) in [`registry`], the asset upload (S3) in
//! [`assets`].

pub mod assets;
pub mod registry;

pub use assets::upload_assets;
pub use registry::{registry_login, RegistryLogin};

use super::{PublishedVersion, ALIAS};
use crate::direct::DirectError;
use crate::live::quota::acquire;
use aws_config::retry::RetryConfig;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::Client;
use std::time::Duration;

const SERVICE: &str = "Lambda";

fn fail<'a, E: std::error::Error + 'static>(
    operation: &'static str,
    resource: &'a str,
) -> impl FnOnce(E) -> DirectError + 'a {
    crate::direct::fail(SERVICE, operation, resource)
}

/// Every published version of `function` (all pages; `$LATEST` left out). A missing function has none.
pub async fn versions(
    lambda: &Client,
    function: &str,
) -> Result<Vec<PublishedVersion>, DirectError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        acquire("lambda", "ListVersionsByFunction").await;
        let page = match lambda
            .list_versions_by_function()
            .function_name(function)
            .set_marker(marker.clone())
            .send()
            .await
        {
            Ok(page) => page,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(out)
            }
            Err(e) => return Err(fail("ListVersionsByFunction", function)(e)),
        };
        for v in page.versions() {
            let Some(version) = v.version().and_then(|n| n.parse::<u64>().ok()) else {
                continue;
            };
            out.push(PublishedVersion {
                version,
                description: v.description().unwrap_or_default().to_string(),
                last_modified: v.last_modified().unwrap_or_default().to_string(),
            });
        }
        match page.next_marker() {
            Some(next) if !next.is_empty() && marker.as_deref() != Some(next) => {
                marker = Some(next.to_string())
            }
            _ => break,
        }
    }
    Ok(out)
}

/// The version `live` points at: `Some(n)` for a published version, `None` for `$LATEST` or when
/// the function or its alias does not exist.
pub async fn live_version(lambda: &Client, function: &str) -> Result<Option<u64>, DirectError> {
    Ok(alias_target(lambda, function)
        .await?
        .and_then(|v| v.parse().ok()))
}

/// What `live` of `function` points at, as Lambda says now: a version number or `$LATEST`;
/// `None` when the function or its alias does not exist.
pub async fn alias_target(lambda: &Client, function: &str) -> Result<Option<String>, DirectError> {
    acquire("lambda", "GetAlias").await;
    match lambda
        .get_alias()
        .function_name(function)
        .name(ALIAS)
        .send()
        .await
    {
        Ok(out) => Ok(out.function_version().map(str::to_string)),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(fail("GetAlias", function)(e)),
    }
}

/// Publishes `$LATEST` of `function` as a new version described by `build_id`; returns its number.
/// Waits out an update still in progress (Lambda answers a conflict until it is done).
pub async fn publish(lambda: &Client, function: &str, build_id: &str) -> Result<u64, DirectError> {
    let mut delay = Duration::from_millis(250);
    let mut attempt = 0;
    loop {
        attempt += 1;
        acquire("lambda", "PublishVersion").await;
        match lambda
            .publish_version()
            .function_name(function)
            .description(build_id)
            .send()
            .await
        {
            Ok(out) => {
                return out
                    .version()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| DirectError {
                        service: SERVICE,
                        operation: "PublishVersion",
                        resource: function.to_string(),
                        message: "Lambda answered without a version number".into(),
                    })
            }
            Err(e)
                if attempt < 40
                    && e.as_service_error()
                        .is_some_and(|s| s.is_resource_conflict_exception()) =>
            {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(3));
            }
            Err(e) => return Err(fail("PublishVersion", function)(e)),
        }
    }
}

/// Points `live` of `function` at `version` (a number, or `$LATEST`).
pub async fn point_live(lambda: &Client, function: &str, version: &str) -> Result<(), DirectError> {
    acquire("lambda", "UpdateAlias").await;
    lambda
        .update_alias()
        .function_name(function)
        .name(ALIAS)
        .function_version(version)
        .send()
        .await
        .map(|_| ())
        .map_err(fail("UpdateAlias", function))
}

/// What an invocation answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// Lambda's `FunctionError` (`Unhandled`…) when the function failed.
    pub function_error: Option<String>,
    pub payload: Vec<u8>,
}

/// Why an invocation has no answer.
#[derive(Debug)]
pub enum InvokeFailure {
    /// Lambda answered with an error: the function did not run.
    Refused(DirectError),
    /// No answer came (the connection dropped, a timeout): the function may have run.
    Unanswered(DirectError),
}

impl InvokeFailure {
    pub fn into_error(self) -> DirectError {
        match self {
            InvokeFailure::Refused(e) | InvokeFailure::Unanswered(e) => e,
        }
    }
}

impl std::fmt::Display for InvokeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InvokeFailure::Refused(e) | InvokeFailure::Unanswered(e) => e.fmt(f),
        }
    }
}

/// Invokes `function:qualifier` synchronously with `payload`, once: a command is never sent twice
/// (no retry of a call that may have run).
pub async fn invoke(
    lambda: &Client,
    function: &str,
    qualifier: &str,
    payload: Vec<u8>,
) -> Result<Invocation, InvokeFailure> {
    let label = format!("{function}:{qualifier}");
    acquire("lambda", "Invoke").await;
    let out = lambda
        .invoke()
        .function_name(function)
        .qualifier(qualifier)
        .payload(Blob::new(payload))
        .customize()
        .config_override(
            aws_sdk_lambda::config::Builder::default().retry_config(RetryConfig::disabled()),
        )
        .send()
        .await
        .map_err(|e| {
            let answered = e.as_service_error().is_some();
            let error = fail("Invoke", &label)(e);
            if answered {
                InvokeFailure::Refused(error)
            } else {
                InvokeFailure::Unanswered(error)
            }
        })?;
    Ok(Invocation {
        function_error: out.function_error().map(str::to_string),
        payload: out
            .payload()
            .map(|b| b.as_ref().to_vec())
            .unwrap_or_default(),
    })
}

/// The version behind `live` and its description (the build it was published for): `None` when
/// `live` points at `$LATEST` or the function or alias does not exist.
pub async fn live_release(
    lambda: &Client,
    function: &str,
) -> Result<Option<(u64, String)>, DirectError> {
    acquire("lambda", "GetFunctionConfiguration").await;
    match lambda
        .get_function_configuration()
        .function_name(function)
        .qualifier(ALIAS)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .version()
            .and_then(|v| v.parse::<u64>().ok())
            .map(|v| (v, out.description().unwrap_or_default().to_string()))),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(fail("GetFunctionConfiguration", function)(e)),
    }
}

/// Deletes published version `version` of `function` (Lambda refuses while an alias points at it).
pub async fn delete_version(
    lambda: &Client,
    function: &str,
    version: u64,
) -> Result<(), DirectError> {
    let label = format!("{function}:{version}");
    acquire("lambda", "DeleteFunction").await;
    match lambda
        .delete_function()
        .function_name(function)
        .qualifier(version.to_string())
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(fail("DeleteFunction", &label)(e)),
    }
}
