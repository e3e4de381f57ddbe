//! API Gateway v2 readers: the HTTP API by name, and its integration, routes and stages. The API
//! listing is fetched once per read and shared by the four readers.

use super::error::{aws_error, is_not_found};
use super::json::{number, object, resource, string};
use super::quota::acquire;
use super::{LiveError, ReadContext};
use crate::model::{LiveResource, ResourceKind};
use serde_json::Value;
use tokio::sync::OnceCell;

const SERVICE: &str = "apigateway";

/// One API as listed by GetApis.
#[derive(Clone, Debug)]
pub struct ApiInfo {
    id: String,
    name: String,
    protocol_type: Option<String>,
    endpoint: Option<String>,
}

/// Every API of the account and region, listed once per read (GetApis, all pages).
#[derive(Debug, Default)]
pub struct ApiCache {
    apis: OnceCell<Vec<ApiInfo>>,
}

async fn list_apis(ctx: &ReadContext<'_>, label: &str) -> Result<Vec<ApiInfo>, LiveError> {
    let mut apis = Vec::new();
    let mut token: Option<String> = None;
    loop {
        acquire(SERVICE, "GetApis").await;
        let out = ctx
            .clients
            .apigatewayv2
            .get_apis()
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "GetApis", label, e))?;
        apis.extend(out.items().iter().filter_map(|a| {
            Some(ApiInfo {
                id: a.api_id()?.to_owned(),
                name: a.name()?.to_owned(),
                protocol_type: a.protocol_type().map(|p| p.as_str().to_owned()),
                endpoint: a.api_endpoint().map(str::to_owned),
            })
        }));
        match out.next_token() {
            Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                token = Some(next.to_owned())
            }
            _ => break,
        }
    }
    apis.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(apis)
}

/// The API named `name` (the first by id when several share it), or `None`.
async fn find_api(ctx: &ReadContext<'_>, name: &str) -> Result<Option<ApiInfo>, LiveError> {
    let apis = ctx
        .apis
        .apis
        .get_or_try_init(|| list_apis(ctx, name))
        .await?;
    Ok(apis.iter().find(|a| a.name == name).cloned())
}

/// `AWS::ApiGatewayV2::Api` by name.
pub async fn read_api(
    ctx: &ReadContext<'_>,
    name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let Some(api) = find_api(ctx, name).await? else {
        return Ok(None);
    };
    let properties = object([
        ("Name", Value::from(api.name.as_str())),
        ("ProtocolType", string(api.protocol_type.as_deref())),
    ]);
    let endpoint = api.endpoint.clone().unwrap_or_default();
    Ok(Some(resource(
        ResourceKind::Api,
        &api.id,
        [
            ("Ref", api.id.as_str()),
            ("ApiId", api.id.as_str()),
            ("ApiEndpoint", endpoint.as_str()),
        ],
        properties,
    )))
}

/// Collects every page of a `get_*` listing of one API.
macro_rules! all_pages {
    ($ctx:expr, $op:ident, $op_name:literal, $api_id:expr, $label:expr) => {{
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            acquire(SERVICE, $op_name).await;
            let result = $ctx
                .clients
                .apigatewayv2
                .$op()
                .api_id($api_id)
                .set_next_token(token.clone())
                .send()
                .await;
            let out = match result {
                Ok(out) => out,
                Err(e) if is_not_found(&e) => break None,
                Err(e) => return Err(aws_error(SERVICE, $op_name, $label, e)),
            };
            items.extend(out.items().iter().cloned());
            match out.next_token() {
                Some(next) if !next.is_empty() && token.as_deref() != Some(next) => {
                    token = Some(next.to_owned())
                }
                _ => break Some(items),
            }
        }
    }};
}

/// `AWS::ApiGatewayV2::Integration` of the API named `api_name`: the AWS_PROXY integration when
/// there are several (first by id). Absent when the API is.
pub async fn read_integration(
    ctx: &ReadContext<'_>,
    api_name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let Some(api) = find_api(ctx, api_name).await? else {
        return Ok(None);
    };
    let label = format!("integrations of API {api_name}");
    let Some(mut items) = all_pages!(ctx, get_integrations, "GetIntegrations", &api.id, label)
    else {
        return Ok(None);
    };
    items.sort_by(|a, b| a.integration_id().cmp(&b.integration_id()));
    let chosen = items
        .iter()
        .find(|i| i.integration_type().map(|t| t.as_str()) == Some("AWS_PROXY"))
        .or_else(|| items.first());
    let Some(integration) = chosen else {
        return Ok(None);
    };
    let id = integration.integration_id().unwrap_or_default();
    let properties = object([
        ("ApiId", Value::from(api.id.as_str())),
        (
            "IntegrationType",
            string(integration.integration_type().map(|t| t.as_str())),
        ),
        ("IntegrationUri", string(integration.integration_uri())),
        (
            "PayloadFormatVersion",
            string(integration.payload_format_version()),
        ),
        ("TimeoutInMillis", number(integration.timeout_in_millis())),
    ]);
    Ok(Some(resource(
        ResourceKind::Integration,
        id,
        [("Ref", id)],
        properties,
    )))
}

/// `AWS::ApiGatewayV2::Route` `route_key` of the API named `api_name`.
pub async fn read_route(
    ctx: &ReadContext<'_>,
    api_name: &str,
    route_key: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let Some(api) = find_api(ctx, api_name).await? else {
        return Ok(None);
    };
    let label = format!("route {route_key} of API {api_name}");
    let Some(items) = all_pages!(ctx, get_routes, "GetRoutes", &api.id, label) else {
        return Ok(None);
    };
    let mut matching: Vec<_> = items
        .iter()
        .filter(|r| r.route_key() == Some(route_key))
        .collect();
    matching.sort_by(|a, b| a.route_id().cmp(&b.route_id()));
    let Some(route) = matching.first() else {
        return Ok(None);
    };
    let id = route.route_id().unwrap_or_default();
    let properties = object([
        ("ApiId", Value::from(api.id.as_str())),
        ("RouteKey", Value::from(route_key)),
        ("Target", string(route.target())),
    ]);
    Ok(Some(resource(
        ResourceKind::Route,
        id,
        [("Ref", id)],
        properties,
    )))
}

/// `AWS::ApiGatewayV2::Stage` `stage_name` of the API named `api_name`.
pub async fn read_stage(
    ctx: &ReadContext<'_>,
    api_name: &str,
    stage_name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let Some(api) = find_api(ctx, api_name).await? else {
        return Ok(None);
    };
    let label = format!("stage {stage_name} of API {api_name}");
    let Some(items) = all_pages!(ctx, get_stages, "GetStages", &api.id, label) else {
        return Ok(None);
    };
    let Some(stage) = items.iter().find(|s| s.stage_name() == Some(stage_name)) else {
        return Ok(None);
    };
    let properties = object([
        ("ApiId", Value::from(api.id.as_str())),
        ("StageName", Value::from(stage_name)),
        (
            "AutoDeploy",
            Value::Bool(stage.auto_deploy().unwrap_or(false)),
        ),
    ]);
    Ok(Some(resource(
        ResourceKind::ApiStage,
        stage_name,
        [("Ref", stage_name)],
        properties,
    )))
}
