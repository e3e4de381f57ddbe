//! Puts a CloudFront distribution's config back: GetDistributionConfig for the config AWS holds
//! and its ETag, the fields hover manages set from the desired `DistributionConfig`
//! (CloudFormation's shape), everything else kept as AWS returned it, then UpdateDistribution
//! with `IfMatch`.

use super::{err, fail, num, text, DirectError};
use crate::live::quota::acquire;
use crate::live::Clients;
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomOriginConfig,
    DefaultCacheBehavior, DistributionConfig, HttpVersion, Method, MinimumProtocolVersion, Origin,
    OriginProtocolPolicy, OriginSslProtocols, Origins, PriceClass, S3OriginConfig, SslProtocol,
    SslSupportMethod, ViewerCertificate, ViewerProtocolPolicy,
};
use serde_json::{Map, Value};

const SERVICE: &str = "CloudFront";

/// Sets the fields hover manages on a `DefaultCacheBehavior` or a `CacheBehavior` (distinct SDK
/// types with the same fields) from its desired form; `?` returns a `String` error.
macro_rules! set_behavior {
    ($b:ident, $w:expr) => {{
        let w: &Map<String, Value> = $w;
        if let Some(origin) = text(w, "TargetOriginId") {
            $b.target_origin_id = origin.to_string();
        }
        if let Some(policy) = text(w, "ViewerProtocolPolicy") {
            $b.viewer_protocol_policy = ViewerProtocolPolicy::from(policy);
        }
        if let Some(allowed) = allowed_methods(w)? {
            $b.allowed_methods = Some(allowed);
        }
        let cache_policy = text(w, "CachePolicyId").map(str::to_string);
        if cache_policy.is_some() && $b.cache_policy_id.as_deref().is_none_or(str::is_empty) {
            // From legacy cache settings to a cache policy: AWS refuses both at once.
            $b.forwarded_values = None;
            $b.min_ttl = None;
            $b.default_ttl = None;
            $b.max_ttl = None;
        }
        $b.cache_policy_id = cache_policy;
        $b.origin_request_policy_id = text(w, "OriginRequestPolicyId").map(str::to_string);
        if let Some(compress) = w.get("Compress").and_then(Value::as_bool) {
            $b.compress = Some(compress);
        }
    }};
}

/// Writes the desired `DistributionConfig` to distribution `id`.
pub(super) async fn put_back(
    clients: &Clients,
    id: &str,
    desired: &Map<String, Value>,
) -> Result<(), DirectError> {
    let want = desired
        .get("DistributionConfig")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            err(
                SERVICE,
                "UpdateDistribution",
                id,
                "no desired DistributionConfig",
            )
        })?;
    acquire("cloudfront", "GetDistributionConfig").await;
    let out = clients
        .cloudfront
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .map_err(fail(SERVICE, "GetDistributionConfig", id))?;
    let etag = out.e_tag.filter(|e| !e.is_empty()).ok_or_else(|| {
        err(
            SERVICE,
            "GetDistributionConfig",
            id,
            "no ETag in the answer",
        )
    })?;
    let mut config = out.distribution_config.ok_or_else(|| {
        err(
            SERVICE,
            "GetDistributionConfig",
            id,
            "no distribution config in the answer",
        )
    })?;
    set_managed(&mut config, want).map_err(|m| err(SERVICE, "UpdateDistribution", id, m))?;
    acquire("cloudfront", "UpdateDistribution").await;
    clients
        .cloudfront
        .update_distribution()
        .id(id)
        .if_match(etag)
        .distribution_config(config)
        .send()
        .await
        .map_err(fail(SERVICE, "UpdateDistribution", id))?;
    Ok(())
}

fn object<'a>(props: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    props.get(key).and_then(Value::as_object)
}

fn array<'a>(props: &'a Map<String, Value>, key: &str) -> Option<&'a Vec<Value>> {
    props.get(key).and_then(Value::as_array)
}

fn strings(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn quantity(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn built(what: &str) -> impl FnOnce(aws_smithy_types::error::operation::BuildError) -> String {
    let what = what.to_string();
    move |e| format!("{what}: {e}")
}

/// Sets on `config` (as AWS returned it) the fields hover manages, from `want` (CloudFormation's
/// `DistributionConfig` shape). Origins and cache behaviours become the desired lists, in the
/// desired order; each one starts from the live one with the same id (path pattern), so the
/// settings hover leaves alone are kept.
pub(super) fn set_managed(
    config: &mut DistributionConfig,
    want: &Map<String, Value>,
) -> Result<(), String> {
    if let Some(comment) = text(want, "Comment") {
        config.comment = comment.to_string();
    }
    if let Some(enabled) = want.get("Enabled").and_then(Value::as_bool) {
        config.enabled = enabled;
    }
    if let Some(version) = text(want, "HttpVersion") {
        config.http_version = Some(HttpVersion::from(version));
    }
    if let Some(class) = text(want, "PriceClass") {
        config.price_class = Some(PriceClass::from(class));
    }
    // No aliases in the desired config: none at all.
    let aliases = array(want, "Aliases")
        .map(|a| strings(a))
        .unwrap_or_default();
    config.aliases = Some(
        Aliases::builder()
            .quantity(quantity(aliases.len()))
            .set_items((!aliases.is_empty()).then_some(aliases))
            .build()
            .map_err(built("Aliases"))?,
    );
    if let Some(cert) = object(want, "ViewerCertificate") {
        config.viewer_certificate = Some(viewer_certificate(cert));
    }
    if let Some(wanted) = array(want, "Origins") {
        set_origins(config, wanted)?;
    }
    if let Some(w) = object(want, "DefaultCacheBehavior") {
        set_default_behavior(config, w)?;
    }
    if let Some(wanted) = array(want, "CacheBehaviors") {
        set_cache_behaviors(config, wanted)?;
    }
    Ok(())
}

/// The origins become `wanted`, in order, each from the live origin with its id when there is one.
fn set_origins(config: &mut DistributionConfig, wanted: &[Value]) -> Result<(), String> {
    let mut live: Vec<Origin> = config.origins.take().map(|o| o.items).unwrap_or_default();
    let mut items = Vec::with_capacity(wanted.len());
    for w in wanted.iter().filter_map(Value::as_object) {
        let id = text(w, "Id").ok_or("an origin without an Id")?;
        let existing = live.iter().position(|o| o.id == id).map(|i| live.remove(i));
        items.push(origin(existing, w)?);
    }
    config.origins = Some(
        Origins::builder()
            .quantity(quantity(items.len()))
            .set_items(Some(items))
            .build()
            .map_err(built("Origins"))?,
    );
    Ok(())
}

/// The default cache behaviour gets the managed settings of `w`, starting from the live one.
// The legacy cache settings (deprecated in the SDK) are only ever cleared.
#[allow(deprecated)]
fn set_default_behavior(
    config: &mut DistributionConfig,
    w: &Map<String, Value>,
) -> Result<(), String> {
    let mut b = match config.default_cache_behavior.take() {
        Some(b) => b,
        None => DefaultCacheBehavior::builder()
            .target_origin_id(text(w, "TargetOriginId").unwrap_or_default())
            .viewer_protocol_policy(ViewerProtocolPolicy::from(
                text(w, "ViewerProtocolPolicy").unwrap_or("allow-all"),
            ))
            .build()
            .map_err(built("DefaultCacheBehavior"))?,
    };
    set_behavior!(b, w);
    config.default_cache_behavior = Some(b);
    Ok(())
}

/// The cache behaviours become `wanted`, in order, each from the live behaviour with its path
/// pattern when there is one.
// The legacy cache settings (deprecated in the SDK) are only ever cleared.
#[allow(deprecated)]
fn set_cache_behaviors(config: &mut DistributionConfig, wanted: &[Value]) -> Result<(), String> {
    let mut live: Vec<CacheBehavior> = config
        .cache_behaviors
        .take()
        .and_then(|b| b.items)
        .unwrap_or_default();
    let mut items = Vec::with_capacity(wanted.len());
    for w in wanted.iter().filter_map(Value::as_object) {
        let pattern = text(w, "PathPattern").ok_or("a cache behavior without a PathPattern")?;
        let existing = live
            .iter()
            .position(|b| b.path_pattern == pattern)
            .map(|i| live.remove(i));
        let mut b = match existing {
            Some(b) => b,
            None => CacheBehavior::builder()
                .path_pattern(pattern)
                .target_origin_id(text(w, "TargetOriginId").unwrap_or_default())
                .viewer_protocol_policy(ViewerProtocolPolicy::from(
                    text(w, "ViewerProtocolPolicy").unwrap_or("allow-all"),
                ))
                .build()
                .map_err(built("CacheBehavior"))?,
        };
        set_behavior!(b, w);
        items.push(b);
    }
    config.cache_behaviors = Some(
        CacheBehaviors::builder()
            .quantity(quantity(items.len()))
            .set_items((!items.is_empty()).then_some(items))
            .build()
            .map_err(built("CacheBehaviors"))?,
    );
    Ok(())
}

fn viewer_certificate(w: &Map<String, Value>) -> ViewerCertificate {
    if w.get("CloudFrontDefaultCertificate")
        .and_then(Value::as_bool)
        == Some(true)
    {
        return ViewerCertificate::builder()
            .cloud_front_default_certificate(true)
            .build();
    }
    ViewerCertificate::builder()
        .set_acm_certificate_arn(text(w, "AcmCertificateArn").map(str::to_string))
        .set_ssl_support_method(text(w, "SslSupportMethod").map(SslSupportMethod::from))
        .set_minimum_protocol_version(
            text(w, "MinimumProtocolVersion").map(MinimumProtocolVersion::from),
        )
        .build()
}

fn origin(existing: Option<Origin>, w: &Map<String, Value>) -> Result<Origin, String> {
    let domain = text(w, "DomainName").unwrap_or_default();
    let mut o = match existing {
        Some(o) => o,
        None => Origin::builder()
            .set_id(text(w, "Id").map(str::to_string))
            .domain_name(domain)
            .build()
            .map_err(built("Origin"))?,
    };
    o.domain_name = domain.to_string();
    o.custom_origin_config = match object(w, "CustomOriginConfig") {
        Some(c) => Some(custom_origin(o.custom_origin_config.take(), c)?),
        None => None,
    };
    o.s3_origin_config = object(w, "S3OriginConfig").map(|s| {
        let mut s3 = o
            .s3_origin_config
            .take()
            .unwrap_or_else(|| S3OriginConfig::builder().build());
        s3.origin_access_identity = text(s, "OriginAccessIdentity")
            .unwrap_or_default()
            .to_string();
        s3
    });
    o.origin_access_control_id = text(w, "OriginAccessControlId").map(str::to_string);
    Ok(o)
}

fn custom_origin(
    existing: Option<CustomOriginConfig>,
    w: &Map<String, Value>,
) -> Result<CustomOriginConfig, String> {
    let mut c = match existing {
        Some(c) => c,
        // CloudFormation's defaults for the ports.
        None => CustomOriginConfig::builder()
            .http_port(80)
            .https_port(443)
            .origin_protocol_policy(OriginProtocolPolicy::from(
                text(w, "OriginProtocolPolicy").unwrap_or("match-viewer"),
            ))
            .build()
            .map_err(built("CustomOriginConfig"))?,
    };
    if let Some(policy) = text(w, "OriginProtocolPolicy") {
        c.origin_protocol_policy = OriginProtocolPolicy::from(policy);
    }
    if let Some(port) = num(w, "HTTPPort") {
        c.http_port = port;
    }
    if let Some(port) = num(w, "HTTPSPort") {
        c.https_port = port;
    }
    if let Some(protocols) = array(w, "OriginSSLProtocols") {
        let items: Vec<SslProtocol> = protocols
            .iter()
            .filter_map(Value::as_str)
            .map(SslProtocol::from)
            .collect();
        c.origin_ssl_protocols = Some(
            OriginSslProtocols::builder()
                .quantity(quantity(items.len()))
                .set_items(Some(items))
                .build()
                .map_err(built("OriginSslProtocols"))?,
        );
    }
    Ok(c)
}

/// `AllowedMethods` (with its `CachedMethods`) from a behaviour's method lists, if it has them.
fn allowed_methods(w: &Map<String, Value>) -> Result<Option<AllowedMethods>, String> {
    let Some(allowed) = array(w, "AllowedMethods") else {
        return Ok(None);
    };
    let methods = |a: &[Value]| -> Vec<Method> {
        a.iter()
            .filter_map(Value::as_str)
            .map(Method::from)
            .collect()
    };
    let cached = match array(w, "CachedMethods") {
        Some(c) => {
            let items = methods(c);
            Some(
                CachedMethods::builder()
                    .quantity(quantity(items.len()))
                    .set_items(Some(items))
                    .build()
                    .map_err(built("CachedMethods"))?,
            )
        }
        None => None,
    };
    let items = methods(allowed);
    AllowedMethods::builder()
        .quantity(quantity(items.len()))
        .set_items(Some(items))
        .set_cached_methods(cached)
        .build()
        .map(Some)
        .map_err(built("AllowedMethods"))
}
