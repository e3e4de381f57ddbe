//! Lambda drift put back through its own API: a function's configuration, reserved concurrency
//! and image, and an event source mapping's settings.

use super::{fail, num, text, DirectError, Put};
use crate::live::quota::acquire;
use aws_sdk_lambda::types::{Environment, FunctionResponseType, VpcConfig};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// UpdateFunctionConfiguration with the drifted settings among memory, timeout, role,
/// environment and VPC.
pub(super) async fn put_configuration(put: &Put<'_>) -> Result<&'static str, DirectError> {
    let desired = put.desired;
    let mut call = put
        .clients
        .lambda
        .update_function_configuration()
        .function_name(put.id);
    if put.has("MemorySize") {
        call = call.set_memory_size(num(desired, "MemorySize"));
    }
    if put.has("Timeout") {
        call = call.set_timeout(num(desired, "Timeout"));
    }
    if put.has("Role") {
        call = call.set_role(text(desired, "Role").map(str::to_string));
    }
    if put.has("Environment") {
        call = call.environment(
            Environment::builder()
                .set_variables(Some(variables(desired)))
                .build(),
        );
    }
    if put.has("VpcConfig") {
        let list = |k: &str| strings(desired.get("VpcConfig").and_then(|v| v.get(k)));
        call = call.vpc_config(
            VpcConfig::builder()
                .set_subnet_ids(Some(list("SubnetIds")))
                .set_security_group_ids(Some(list("SecurityGroupIds")))
                .build(),
        );
    }
    acquire("lambda", "UpdateFunctionConfiguration").await;
    call.send()
        .await
        .map_err(fail("Lambda", "UpdateFunctionConfiguration", put.id))?;
    Ok("Lambda UpdateFunctionConfiguration")
}

/// The desired environment variables, every value as text.
fn variables(desired: &Map<String, Value>) -> HashMap<String, String> {
    desired
        .get("Environment")
        .and_then(|e| e.get("Variables"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let text = v.as_str().map(str::to_string);
                    (k.clone(), text.unwrap_or_else(|| v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The strings of a JSON list (none when it is not one).
fn strings(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// PutFunctionConcurrency, or DeleteFunctionConcurrency when the manifest reserves none.
pub(super) async fn put_concurrency(put: &Put<'_>) -> Result<&'static str, DirectError> {
    let lambda = &put.clients.lambda;
    match num(put.desired, "ReservedConcurrentExecutions") {
        Some(n) => {
            acquire("lambda", "PutFunctionConcurrency").await;
            lambda
                .put_function_concurrency()
                .function_name(put.id)
                .reserved_concurrent_executions(n)
                .send()
                .await
                .map_err(fail("Lambda", "PutFunctionConcurrency", put.id))?;
            Ok("Lambda PutFunctionConcurrency")
        }
        None => {
            acquire("lambda", "DeleteFunctionConcurrency").await;
            lambda
                .delete_function_concurrency()
                .function_name(put.id)
                .send()
                .await
                .map_err(fail("Lambda", "DeleteFunctionConcurrency", put.id))?;
            Ok("Lambda DeleteFunctionConcurrency")
        }
    }
}

/// UpdateFunctionCode with the desired image.
pub(super) async fn put_code(put: &Put<'_>) -> Result<&'static str, DirectError> {
    let uri = put
        .desired
        .get("Code")
        .and_then(|c| c.get("ImageUri"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    acquire("lambda", "UpdateFunctionCode").await;
    put.clients
        .lambda
        .update_function_code()
        .function_name(put.id)
        .image_uri(uri)
        .send()
        .await
        .map_err(fail("Lambda", "UpdateFunctionCode", put.id))?;
    Ok("Lambda UpdateFunctionCode")
}

/// Turns the event source mapping `uuid` on or off (UpdateEventSourceMapping `Enabled`): a
/// disabled mapping leaves its queue's messages where they are.
pub async fn set_mapping_enabled(
    clients: &crate::live::Clients,
    uuid: &str,
    enabled: bool,
) -> Result<(), DirectError> {
    acquire("lambda", "UpdateEventSourceMapping").await;
    clients
        .lambda
        .update_event_source_mapping()
        .uuid(uuid)
        .enabled(enabled)
        .send()
        .await
        .map(|_| ())
        .map_err(fail("Lambda", "UpdateEventSourceMapping", uuid))
}

/// UpdateEventSourceMapping with the drifted settings among batch size, enabled and response
/// types.
pub(super) async fn put_event_source_mapping(put: &Put<'_>) -> Result<&'static str, DirectError> {
    let desired = put.desired;
    let mut call = put
        .clients
        .lambda
        .update_event_source_mapping()
        .uuid(put.id);
    if put.has("BatchSize") {
        call = call.set_batch_size(num(desired, "BatchSize"));
    }
    if put.has("Enabled") {
        call = call.set_enabled(desired.get("Enabled").and_then(Value::as_bool));
    }
    if put.has("FunctionResponseTypes") {
        let types = strings(desired.get("FunctionResponseTypes"))
            .iter()
            .map(|t| FunctionResponseType::from(t.as_str()))
            .collect();
        call = call.set_function_response_types(Some(types));
    }
    acquire("lambda", "UpdateEventSourceMapping").await;
    call.send()
        .await
        .map_err(fail("Lambda", "UpdateEventSourceMapping", put.id))?;
    Ok("Lambda UpdateEventSourceMapping")
}
