//! CloudFront readers: the stage's distribution (found by its comment) in CloudFormation's
//! `DistributionConfig` shape, and origin access controls by name.

use super::error::{aws_error, is_not_found};
use super::json::{object, resource, sorted_strings, sorted_strings_or_null, string};
use super::quota::acquire;
use super::{LiveError, ReadContext};
use crate::model::{LiveResource, ResourceKind};
use aws_sdk_cloudfront::types::{
    AllowedMethods, CacheBehavior, DefaultCacheBehavior, DistributionConfig, Origin,
    ViewerCertificate,
};
use serde_json::{Map, Value};

const SERVICE: &str = "cloudfront";

/// Inserts `key` only when `value` is a non-empty string.
fn insert_id(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        map.insert(key.to_owned(), Value::from(v));
    }
}

fn methods(allowed: Option<&AllowedMethods>) -> (Value, Value) {
    let Some(allowed) = allowed else {
        return (Value::Null, Value::Null);
    };
    let cached = allowed.cached_methods().map_or(Value::Null, |c| {
        sorted_strings(c.items().iter().map(|m| m.as_str()))
    });
    (
        sorted_strings(allowed.items().iter().map(|m| m.as_str())),
        cached,
    )
}

fn origin(o: &Origin) -> Value {
    let mut m = Map::new();
    m.insert("Id".to_owned(), Value::from(o.id()));
    m.insert("DomainName".to_owned(), Value::from(o.domain_name()));
    if let Some(c) = o.custom_origin_config() {
        let protocols = c.origin_ssl_protocols().map_or(Value::Null, |p| {
            sorted_strings(p.items().iter().map(|s| s.as_str()))
        });
        m.insert(
            "CustomOriginConfig".to_owned(),
            Value::Object(object([
                (
                    "OriginProtocolPolicy",
                    Value::from(c.origin_protocol_policy().as_str()),
                ),
                ("HTTPSPort", Value::from(c.https_port())),
                ("HTTPPort", Value::from(c.http_port())),
                ("OriginSSLProtocols", protocols),
            ])),
        );
    }
    if let Some(s3) = o.s3_origin_config() {
        m.insert(
            "S3OriginConfig".to_owned(),
            Value::Object(object([(
                "OriginAccessIdentity",
                Value::from(s3.origin_access_identity()),
            )])),
        );
    }
    insert_id(
        &mut m,
        "OriginAccessControlId",
        o.origin_access_control_id(),
    );
    Value::Object(m)
}

fn default_behavior(b: &DefaultCacheBehavior) -> Value {
    Value::Object(behavior_fields(
        None,
        b.target_origin_id(),
        b.viewer_protocol_policy().as_str(),
        b.allowed_methods(),
        b.cache_policy_id(),
        b.origin_request_policy_id(),
        b.compress(),
    ))
}

fn behavior(b: &CacheBehavior) -> Value {
    Value::Object(behavior_fields(
        Some(b.path_pattern()),
        b.target_origin_id(),
        b.viewer_protocol_policy().as_str(),
        b.allowed_methods(),
        b.cache_policy_id(),
        b.origin_request_policy_id(),
        b.compress(),
    ))
}

/// The fields a default and a path behaviour share, in CloudFormation's shape (the two SDK types
/// carry the same fields but are distinct types).
fn behavior_fields(
    path_pattern: Option<&str>,
    target_origin_id: &str,
    viewer_protocol_policy: &str,
    allowed_methods: Option<&AllowedMethods>,
    cache_policy_id: Option<&str>,
    origin_request_policy_id: Option<&str>,
    compress: Option<bool>,
) -> Map<String, Value> {
    let (allowed, cached) = methods(allowed_methods);
    let mut m = Map::new();
    if let Some(path) = path_pattern {
        m.insert("PathPattern".to_owned(), Value::from(path));
    }
    m.extend(object([
        ("TargetOriginId", Value::from(target_origin_id)),
        ("ViewerProtocolPolicy", Value::from(viewer_protocol_policy)),
        ("AllowedMethods", allowed),
        ("CachedMethods", cached),
        (
            "CachePolicyId",
            string(cache_policy_id.filter(|v| !v.is_empty())),
        ),
    ]));
    insert_id(&mut m, "OriginRequestPolicyId", origin_request_policy_id);
    m.insert(
        "Compress".to_owned(),
        Value::Bool(compress.unwrap_or(false)),
    );
    m
}

fn viewer_certificate(v: Option<&ViewerCertificate>) -> Value {
    match v {
        None => Value::Null,
        Some(v) if v.cloud_front_default_certificate() == Some(true) => Value::Object(object([(
            "CloudFrontDefaultCertificate",
            Value::Bool(true),
        )])),
        Some(v) => Value::Object(object([
            ("AcmCertificateArn", string(v.acm_certificate_arn())),
            (
                "SslSupportMethod",
                string(v.ssl_support_method().map(|s| s.as_str())),
            ),
            (
                "MinimumProtocolVersion",
                string(v.minimum_protocol_version().map(|s| s.as_str())),
            ),
        ])),
    }
}

/// A distribution config in CloudFormation's `DistributionConfig` shape (the subset hover
/// manages). Origins and cache behaviors keep AWS's order (it is significant); method and alias
/// sets are sorted.
pub fn distribution_config(c: &DistributionConfig) -> Value {
    let origins: Vec<Value> = c
        .origins()
        .map(|o| o.items().iter().map(origin).collect())
        .unwrap_or_default();
    let behaviors: Vec<Value> = c
        .cache_behaviors()
        .map(|b| b.items().iter().map(behavior).collect())
        .unwrap_or_default();
    Value::Object(object([
        ("Comment", Value::from(c.comment())),
        ("Enabled", Value::Bool(c.enabled())),
        ("HttpVersion", string(c.http_version().map(|h| h.as_str()))),
        ("PriceClass", string(c.price_class().map(|p| p.as_str()))),
        (
            "Aliases",
            c.aliases()
                .map_or(Value::Null, |a| sorted_strings_or_null(a.items().iter())),
        ),
        (
            "ViewerCertificate",
            viewer_certificate(c.viewer_certificate()),
        ),
        ("Origins", Value::Array(origins)),
        (
            "DefaultCacheBehavior",
            c.default_cache_behavior()
                .map_or(Value::Null, default_behavior),
        ),
        ("CacheBehaviors", Value::Array(behaviors)),
    ]))
}

/// `AWS::CloudFront::Distribution` whose comment is `comment`: ListDistributions (all pages; the
/// first match by id) and GetDistributionConfig.
pub async fn read_distribution(
    ctx: &ReadContext<'_>,
    comment: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let cloudfront = &ctx.clients.cloudfront;
    let label = format!("distribution with comment {comment:?}");
    let mut found: Option<(String, String)> = None;
    let mut marker: Option<String> = None;
    loop {
        acquire(SERVICE, "ListDistributions").await;
        let out = cloudfront
            .list_distributions()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "ListDistributions", &label, e))?;
        let Some(list) = out.distribution_list() else {
            break;
        };
        for d in list.items().iter().filter(|d| d.comment() == comment) {
            if found.as_ref().is_none_or(|(id, _)| d.id() < id.as_str()) {
                found = Some((d.id().to_owned(), d.domain_name().to_owned()));
            }
        }
        match list.next_marker() {
            Some(next)
                if list.is_truncated() && !next.is_empty() && marker.as_deref() != Some(next) =>
            {
                marker = Some(next.to_owned())
            }
            _ => break,
        }
    }
    let Some((id, domain)) = found else {
        return Ok(None);
    };
    acquire(SERVICE, "GetDistributionConfig").await;
    let out = match cloudfront.get_distribution_config().id(&id).send().await {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error(SERVICE, "GetDistributionConfig", &id, e)),
    };
    let Some(config) = out.distribution_config() else {
        return Err(LiveError::Incomplete {
            service: SERVICE,
            operation: "GetDistributionConfig",
            resource: id,
            missing: "a distribution config",
        });
    };
    let properties = object([("DistributionConfig", distribution_config(config))]);
    Ok(Some(resource(
        ResourceKind::Distribution,
        &id,
        [
            ("Ref", id.as_str()),
            ("Id", id.as_str()),
            ("DomainName", &domain),
        ],
        properties,
    )))
}

/// `AWS::CloudFront::OriginAccessControl` by name: ListOriginAccessControls (all pages).
pub async fn read_origin_access_control(
    ctx: &ReadContext<'_>,
    name: &str,
) -> Result<Option<LiveResource>, LiveError> {
    let mut marker: Option<String> = None;
    loop {
        acquire(SERVICE, "ListOriginAccessControls").await;
        let out = ctx
            .clients
            .cloudfront
            .list_origin_access_controls()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| aws_error(SERVICE, "ListOriginAccessControls", name, e))?;
        let Some(list) = out.origin_access_control_list() else {
            return Ok(None);
        };
        let mut matching: Vec<_> = list.items().iter().filter(|o| o.name() == name).collect();
        matching.sort_by(|a, b| a.id().cmp(b.id()));
        if let Some(oac) = matching.first() {
            let config = object([
                ("Name", Value::from(oac.name())),
                (
                    "OriginAccessControlOriginType",
                    Value::from(oac.origin_access_control_origin_type().as_str()),
                ),
                (
                    "SigningBehavior",
                    Value::from(oac.signing_behavior().as_str()),
                ),
                (
                    "SigningProtocol",
                    Value::from(oac.signing_protocol().as_str()),
                ),
            ]);
            let properties = object([("OriginAccessControlConfig", Value::Object(config))]);
            return Ok(Some(resource(
                ResourceKind::OriginAccessControl,
                oac.id(),
                [("Ref", oac.id()), ("Id", oac.id())],
                properties,
            )));
        }
        match list.next_marker() {
            Some(next)
                if list.is_truncated() && !next.is_empty() && marker.as_deref() != Some(next) =>
            {
                marker = Some(next.to_owned())
            }
            _ => return Ok(None),
        }
    }
}
