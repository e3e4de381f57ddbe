//! The stage's resources made through their own APIs before the stack: the image repository,
//! the assets bucket and the secrets key.

use super::Builder;
use crate::model::ResourceKind;
use crate::naming;
use serde_json::{json, Value};

impl Builder {
    /// The repository, bucket and key, all provisioned directly.
    pub(super) fn prestack(&mut self) {
        let n = self.n.clone();
        self.direct(
            "EcrRepository",
            "image repository",
            ResourceKind::Repository,
            &n,
            json!({ "RepositoryName": n, "ImageTagMutability": "MUTABLE" }),
        );
        let bucket = naming::bucket(&n);
        self.direct(
            "AssetsBucket",
            "assets bucket",
            ResourceKind::Bucket,
            &bucket,
            json!({
                "BucketName": bucket,
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": true, "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true, "RestrictPublicBuckets": true
                }
            }),
        );
        let key_alias = naming::secrets_key_alias(&n);
        self.direct(
            "SecretsKey",
            "secrets key",
            ResourceKind::Key,
            &key_alias,
            Value::Object(secrets_key(&n)),
        );
    }
}

/// The properties of stage `name`'s secrets key (rotation on): what `hover apply` and
/// `hover secret encrypt` make it with.
pub fn secrets_key(name: &str) -> serde_json::Map<String, serde_json::Value> {
    let serde_json::Value::Object(props) = json!({
        "Description": format!("Secrets of the hover stage {name}"),
        "KeyUsage": "ENCRYPT_DECRYPT",
        "Enabled": true,
        "EnableKeyRotation": true
    }) else {
        return serde_json::Map::new();
    };
    props
}
