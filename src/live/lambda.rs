//! Lambda readers: functions (configuration, image, reserved concurrency), aliases and SQS event
//! source mappings, in CloudFormation's property shapes.
//!
//! Two calls per function, both under Lambda's `GetFunction` quota (100 a second) rather than its
//! control-plane one (15 a second): `GetFunction` (its answer carries the reserved concurrency)
//! and `GetFunction` qualified by the alias (its answer is the version the alias points to).
//! Event source mappings come from one listing of the region's mappings, shared by every mapping
//! of the read.

use super::error::{aws_error, is_not_found};
use super::json::{number, object, resource, sorted_strings_or_null, string};
use super::quota::acquire;
use super::{LiveError, ReadContext};
use crate::model::{LiveResource, MappingKeys, ResourceKind};
use aws_sdk_lambda::types::{EventSourceMappingConfiguration, FunctionConfiguration};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const SERVICE: &str = "lambda";

/// `AWS::Lambda::Function` by function name: GetFunction (configuration, image and reserved
/// concurrency in one answer).
pub async fn read_function(
    ctx: &ReadContext<'_>,
    name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let lambda = &ctx.clients.lambda;
    acquire(SERVICE, "GetFunction").await;
    let out = match lambda.get_function().function_name(name).send().await {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error(SERVICE, "GetFunction", name, e)),
    };
    let Some(config) = out.configuration() else {
        return Err(LiveError::Incomplete {
            service: SERVICE,
            operation: "GetFunction",
            resource: name.to_owned(),
            missing: "a function configuration",
        });
    };
    let concurrency = out
        .concurrency()
        .and_then(|c| c.reserved_concurrent_executions());

    let code = match out.code().and_then(|c| c.image_uri()) {
        Some(uri) => Value::Object(object([("ImageUri", Value::from(uri))])),
        None => Value::Null,
    };
    let function_name = config.function_name().unwrap_or(name);
    let properties = object([
        ("FunctionName", Value::from(function_name)),
        (
            "PackageType",
            string(config.package_type().map(|p| p.as_str())),
        ),
        ("Code", code),
        ("Role", string(config.role())),
        ("MemorySize", number(config.memory_size())),
        ("Timeout", number(config.timeout())),
        ("ReservedConcurrentExecutions", number(concurrency)),
        ("Environment", environment(config)),
        ("VpcConfig", vpc_config(config)),
    ]);
    let arn = config.function_arn().unwrap_or_default();
    let mut function = resource(
        ResourceKind::Function,
        function_name,
        [("Ref", function_name), ("Arn", arn)],
        properties,
    );
    if let Some(state) = config.state() {
        function.attributes.insert(
            crate::model::FUNCTION_STATE.to_owned(),
            state.as_str().to_owned(),
        );
    }
    Ok(Some(function))
}

/// A function's `Environment` in CloudFormation's shape, variables sorted; `null` when it has none.
fn environment(config: &FunctionConfiguration) -> Value {
    match config.environment().and_then(|e| e.variables()) {
        Some(vars) if !vars.is_empty() => {
            let sorted: BTreeMap<&String, &String> = vars.iter().collect();
            let variables: Map<String, Value> = sorted
                .into_iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect();
            Value::Object(object([("Variables", Value::Object(variables))]))
        }
        _ => Value::Null,
    }
}

/// A function's `VpcConfig` in CloudFormation's shape, ids sorted; `null` outside a VPC.
fn vpc_config(config: &FunctionConfiguration) -> Value {
    match config.vpc_config() {
        Some(vpc) if !vpc.subnet_ids().is_empty() || !vpc.security_group_ids().is_empty() => {
            Value::Object(object([
                (
                    "SubnetIds",
                    super::json::sorted_strings(vpc.subnet_ids().iter()),
                ),
                (
                    "SecurityGroupIds",
                    super::json::sorted_strings(vpc.security_group_ids().iter()),
                ),
            ]))
        }
        _ => Value::Null,
    }
}

/// `AWS::Lambda::Alias` `name` of the function named `function`: GetFunction qualified by the
/// alias, whose configuration is that of the version the alias points to (`$LATEST` or a
/// published version). The alias ARN is the function's ARN qualified by the alias.
pub async fn read_alias(
    ctx: &ReadContext<'_>,
    function: &str,
    name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let resource_label = format!("{function}:{name}");
    acquire(SERVICE, "GetFunction").await;
    let out = match ctx
        .clients
        .lambda
        .get_function()
        .function_name(function)
        .qualifier(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error(SERVICE, "GetFunction", resource_label, e)),
    };
    let Some(config) = out.configuration() else {
        return Err(LiveError::Incomplete {
            service: SERVICE,
            operation: "GetFunction",
            resource: resource_label,
            missing: "a function configuration",
        });
    };
    let alias_arn = qualified_arn(config.function_arn().unwrap_or_default(), name);
    let build = if config.version() == Some("$LATEST") {
        ""
    } else {
        config.description().unwrap_or_default()
    };
    let properties = object([
        ("FunctionName", Value::from(function)),
        ("Name", Value::from(name)),
        ("FunctionVersion", string(config.version())),
    ]);
    let mut alias = resource(
        ResourceKind::Alias,
        &alias_arn,
        [
            ("Ref", alias_arn.as_str()),
            ("AliasArn", alias_arn.as_str()),
        ],
        properties,
    );
    if !build.is_empty() {
        alias
            .attributes
            .insert(crate::model::RELEASE_BUILD.to_string(), build.to_string());
    }
    Ok(Some(alias))
}

/// A function ARN (qualified or not) qualified by `qualifier`; empty when there is no ARN.
fn qualified_arn(function_arn: &str, qualifier: &str) -> String {
    if function_arn.is_empty() {
        return String::new();
    }
    let parts: Vec<&str> = function_arn.split(':').collect();
    let unqualified = if parts.len() > 7 {
        parts[..7].join(":")
    } else {
        function_arn.to_owned()
    };
    format!("{unqualified}:{qualifier}")
}

/// How well a mapping's function ARN matches the wanted function and qualifier: 2 exact,
/// 1 same function with another qualifier, 0 another function.
fn function_match(function_arn: &str, function: &str, qualifier: Option<&str>) -> u8 {
    let (name, found_qualifier) = if function_arn.starts_with("arn:") {
        let parts: Vec<&str> = function_arn.split(':').collect();
        match parts.get(6) {
            Some(name) => (*name, parts.get(7).copied()),
            None => return 0,
        }
    } else {
        match function_arn.split_once(':') {
            Some((name, q)) => (name, Some(q)),
            None => (function_arn, None),
        }
    };
    if name != function {
        0
    } else if found_qualifier == qualifier {
        2
    } else {
        1
    }
}

/// The mapping from `queue_arn` to `function`: with the wanted qualifier if there is one, else
/// with another; the first by UUID among equals.
fn best_mapping<'m>(
    mappings: &'m [EventSourceMappingConfiguration],
    queue_arn: &str,
    function: &str,
    qualifier: Option<&str>,
) -> Option<&'m EventSourceMappingConfiguration> {
    mappings
        .iter()
        .filter(|m| m.event_source_arn() == Some(queue_arn))
        .filter_map(|m| {
            let score = function_match(m.function_arn().unwrap_or_default(), function, qualifier);
            (score > 0).then_some((score, m))
        })
        .min_by(|(sa, a), (sb, b)| sb.cmp(sa).then_with(|| a.uuid().cmp(&b.uuid())))
        .map(|(_, m)| m)
}

/// Every event source mapping of the region (ListEventSourceMappings, all pages), sorted by UUID.
pub(crate) async fn list_mappings(
    ctx: &ReadContext<'_>,
) -> Result<Vec<EventSourceMappingConfiguration>, LiveError> {
    let mut all = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        acquire(SERVICE, "ListEventSourceMappings").await;
        let result = ctx
            .clients
            .lambda
            .list_event_source_mappings()
            .set_marker(marker.clone())
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => break,
            Err(e) => {
                return Err(aws_error(
                    SERVICE,
                    "ListEventSourceMappings",
                    "the event source mappings of the region",
                    e,
                ))
            }
        };
        all.extend(out.event_source_mappings().iter().cloned());
        match out.next_marker() {
            Some(next) if !next.is_empty() && marker.as_deref() != Some(next) => {
                marker = Some(next.to_owned())
            }
            _ => break,
        }
    }
    all.sort_by(|a, b| a.uuid().cmp(&b.uuid()));
    Ok(all)
}

/// `AWS::Lambda::EventSourceMapping` of `keys`: the mapping the stack records (`recorded`, its
/// UUID) when it still exists, else the mapping from that queue to that function (and qualifier,
/// preferably; the first by UUID among equals), found in the region's listing (read once per
/// stage read).
pub async fn read_event_source_mapping(
    ctx: &ReadContext<'_>,
    keys: &MappingKeys,
    recorded: Option<&str>,
) -> Result<Option<LiveResource>, LiveError> {
    let qualifier = Some(keys.qualifier.as_str()).filter(|q| !q.is_empty());
    let mappings = ctx.mappings.get_or_try_init(|| list_mappings(ctx)).await?;
    // The mapping the stack records, when it still exists (its queue may have been renamed, so
    // that it is replaced); else the one from this queue to this function.
    let recorded = recorded.and_then(|id| mappings.iter().find(|m| m.uuid() == Some(id)));
    let best = || best_mapping(mappings, &keys.queue_arn, &keys.function, qualifier);
    let Some(mapping) = recorded.or_else(best) else {
        return Ok(None);
    };

    let uuid = mapping.uuid().unwrap_or_default();
    let enabled = matches!(
        mapping.state(),
        Some("Enabled" | "Enabling" | "Updating" | "Creating")
    );
    let properties = object([
        ("EventSourceArn", string(mapping.event_source_arn())),
        ("FunctionName", string(mapping.function_arn())),
        ("BatchSize", number(mapping.batch_size())),
        (
            "FunctionResponseTypes",
            sorted_strings_or_null(mapping.function_response_types().iter().map(|t| t.as_str())),
        ),
        ("Enabled", Value::Bool(enabled)),
    ]);
    Ok(Some(resource(
        ResourceKind::EventSourceMapping,
        uuid,
        [("Ref", uuid), ("Id", uuid)],
        properties,
    )))
}

#[cfg(test)]
mod tests {
    use super::{function_match, qualified_arn};

    #[test]
    fn alias_arns_qualify_the_function_arn() {
        let arn = "arn:aws:lambda:eu-west-1:123456789012:function:app-dev-http";
        assert_eq!(qualified_arn(arn, "live"), format!("{arn}:live"));
        assert_eq!(
            qualified_arn(&format!("{arn}:7"), "live"),
            format!("{arn}:live")
        );
        assert_eq!(qualified_arn("", "live"), "");
    }

    #[test]
    fn function_arns_match_by_name_and_qualifier() {
        let arn = "arn:aws:lambda:eu-west-1:123456789012:function:app-dev-queue:live";
        assert_eq!(function_match(arn, "app-dev-queue", Some("live")), 2);
        assert_eq!(function_match(arn, "app-dev-queue", None), 1);
        assert_eq!(function_match(arn, "app-dev-http", Some("live")), 0);
        let bare = "arn:aws:lambda:eu-west-1:123456789012:function:app-dev-queue";
        assert_eq!(function_match(bare, "app-dev-queue", None), 2);
        assert_eq!(function_match(bare, "app-dev-queue", Some("live")), 1);
        assert_eq!(
            function_match("app-dev-queue:live", "app-dev-queue", Some("live")),
            2
        );
    }
}
