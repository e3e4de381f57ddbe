//! The stage's CDN: a CloudFront distribution serving the app through the HTTP API and
//! `/assets/*` from the private assets bucket through an origin access control, with the bucket
//! policy that lets it read them.

use super::{
    Builder, CACHE_POLICY_DISABLED, CACHE_POLICY_OPTIMIZED, ORIGIN_REQUEST_ALL_VIEWER_EXCEPT_HOST,
};
use crate::manifest::Manifest;
use crate::model::{Partition, ResourceKind};
use crate::naming;
use crate::template::intrinsics::{get_att, sub};
use serde_json::{json, Value};

impl Builder {
    /// The origin access control, the distribution in front of `api` and the bucket policy;
    /// returns the distribution's logical id.
    pub(super) fn cdn(&mut self, manifest: &Manifest, api: &str) -> String {
        let n = self.n.clone();
        let bucket = naming::bucket(&n);
        let arn = self.partition.arn_prefix();
        let distribution = self.ids.distribution();
        self.stack(
            "AssetsOriginAccessControl",
            "assets origin access control",
            ResourceKind::OriginAccessControl,
            &bucket,
            json!({
                "OriginAccessControlConfig": {
                    "Name": bucket,
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            }),
        );
        self.stack(
            &distribution,
            "cdn distribution",
            ResourceKind::Distribution,
            &n,
            json!({ "DistributionConfig": distribution_config(manifest, &bucket, api, self.partition) }),
        );
        self.stack("AssetsBucketPolicy", "assets bucket policy", ResourceKind::BucketPolicy, &bucket,
            json!({
                "Bucket": bucket,
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "CloudFrontReadsAssets",
                        "Effect": "Allow",
                        "Principal": { "Service": "cloudfront.amazonaws.com" },
                        "Action": "s3:GetObject",
                        "Resource": format!("{arn}s3:::{bucket}/assets/*"),
                        "Condition": {
                            "StringEquals": {
                                "AWS:SourceArn": sub(&format!("arn:${{AWS::Partition}}:cloudfront::${{AWS::AccountId}}:distribution/${{{distribution}}}")),
                            }
                        },
                    }],
                },
            }));
        self.depend("AssetsBucketPolicy", "AssetsBucket");
        distribution
    }
}

/// The distribution's config: two origins (the API, the bucket), the app uncached, assets cached,
/// and the manifest's domains with their certificate when it names both.
fn distribution_config(
    manifest: &Manifest,
    bucket: &str,
    api: &str,
    partition: Partition,
) -> Value {
    let mut config = json!({
        "Comment": manifest.name,
        "Enabled": true,
        "HttpVersion": "http2and3",
        "Origins": [
            {
                "Id": "app",
                "DomainName": sub(&format!("${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}")),
                "CustomOriginConfig": {
                    "OriginProtocolPolicy": "https-only",
                    "HTTPSPort": 443,
                    "OriginSSLProtocols": ["TLSv1.2"],
                },
            },
            {
                "Id": "assets",
                "DomainName": format!(
                    "{bucket}.s3.{}.{}",
                    manifest.region,
                    partition.url_suffix()
                ),
                "S3OriginConfig": { "OriginAccessIdentity": "" },
                "OriginAccessControlId": get_att("AssetsOriginAccessControl", "Id"),
            },
        ],
        "DefaultCacheBehavior": {
            "TargetOriginId": "app",
            "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
            "CachedMethods": ["GET", "HEAD"],
            "CachePolicyId": CACHE_POLICY_DISABLED,
            "OriginRequestPolicyId": ORIGIN_REQUEST_ALL_VIEWER_EXCEPT_HOST,
            "Compress": true,
        },
        "CacheBehaviors": [
            {
                "PathPattern": "/assets/*",
                "TargetOriginId": "assets",
                "ViewerProtocolPolicy": "redirect-to-https",
                "AllowedMethods": ["GET", "HEAD"],
                "CachedMethods": ["GET", "HEAD"],
                "CachePolicyId": CACHE_POLICY_OPTIMIZED,
                "Compress": true,
            }
        ],
    });
    if let (false, Some(certificate)) =
        (manifest.http.domains.is_empty(), &manifest.http.certificate)
    {
        // A set to CloudFront, which returns it in its own order: sorted, so plans settle.
        let mut aliases = manifest.http.domains.clone();
        aliases.sort();
        config["Aliases"] = json!(aliases);
        config["ViewerCertificate"] = json!({
            "AcmCertificateArn": certificate,
            "SslSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        });
    } else {
        config["ViewerCertificate"] = json!({ "CloudFrontDefaultCertificate": true });
    }
    config
}
