//! The desired stage: a validated manifest turned into typed resources with the original Hover
//! names, stable logical ids, dependencies and stack outputs. Pure; no AWS. Each part of the
//! stage is built by its own module over one `Builder`.

mod api;
mod cdn;
mod functions;
mod prestack;
pub use crate::naming::ids;
mod queues;
mod role;
mod rules;

pub use functions::set_image_tag;
pub use ids::{pascal, queue_key, Scheme};
pub use prestack::secrets_key;
pub use queues::set_mappings_enabled;

use crate::manifest::Manifest;
use crate::model::{DesiredStage, Partition, Provisioner, Resource, ResourceKind};
use crate::template::intrinsics::{collect_references, get_att, reference};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// CloudFront's managed cache policy `CachingDisabled` (the app origin is never cached).
pub const CACHE_POLICY_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
/// CloudFront's managed cache policy `CachingOptimized` (assets).
pub const CACHE_POLICY_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// CloudFront's managed origin request policy `AllViewerExceptHostHeader`.
pub const ORIGIN_REQUEST_ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
/// Name of the alias every function is invoked through.
pub const ALIAS: &str = "live";
/// Retention of messages in a work queue (SQS's own default, made explicit).
pub const QUEUE_RETENTION_SECONDS: u32 = 345_600;
/// Retention of messages in a dead-letter queue (the SQS maximum, 14 days).
pub const DLQ_RETENTION_SECONDS: u32 = 1_209_600;

/// Builds the desired stage for `manifest`, every function running `image_tag`, with hover's
/// logical ids.
pub fn desired(manifest: &Manifest, image_tag: &str) -> DesiredStage {
    desired_with(manifest, image_tag, Scheme::Hover)
}

/// Builds the desired stage with the logical ids of `scheme` (the original's for a stage the
/// original Hover deployed: see [`ids`]).
pub fn desired_with(manifest: &Manifest, image_tag: &str, scheme: Scheme) -> DesiredStage {
    let mut b = Builder {
        n: manifest.name.clone(),
        ids: scheme,
        partition: Partition::of(&manifest.region),
        resources: BTreeMap::new(),
    };
    // Outside the stack: created directly before it.
    b.prestack();
    // Queues first: the role's policy names them.
    let queue_ids = b.queues(manifest);
    let role = match &manifest.auth.lambda_role {
        Some(arn) => Value::String(arn.clone()),
        None => {
            b.lambda_role(manifest, &queue_ids);
            get_att("LambdaRole", "Arn")
        }
    };
    b.functions(manifest, &role, image_tag);
    b.mappings(manifest);
    b.rules(manifest);
    let api = b.api(manifest);
    let mut outputs = BTreeMap::from([("ApiEndpoint".to_string(), get_att(&api, "ApiEndpoint"))]);
    // Without CloudFront in the partition (GovCloud) the app is served at the API's endpoint.
    if b.partition.has_cloudfront() {
        let distribution = b.cdn(manifest, &api);
        outputs.insert(
            "CdnDomain".to_string(),
            get_att(&distribution, "DomainName"),
        );
    }
    DesiredStage {
        name: b.n,
        region: manifest.region.clone(),
        image_tag: image_tag.to_string(),
        stack_role: manifest.auth.stack_role.clone(),
        ids: scheme,
        resources: b.resources,
        outputs,
    }
}

/// The stage under construction: its name, its scheme of logical ids, its partition and the
/// resources so far.
struct Builder {
    n: String,
    ids: Scheme,
    partition: Partition,
    resources: BTreeMap<String, Resource>,
}

impl Builder {
    fn add(
        &mut self,
        id: &str,
        role: &str,
        kind: ResourceKind,
        name: &str,
        provisioner: Provisioner,
        props: Value,
    ) {
        let properties = match props {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let mut depends_on = BTreeSet::new();
        for value in properties.values() {
            collect_references(value, &mut depends_on);
        }
        self.resources.insert(
            id.to_string(),
            Resource {
                logical_id: id.to_string(),
                role: role.to_string(),
                kind,
                name: name.to_string(),
                provisioner,
                properties,
                depends_on,
            },
        );
    }

    fn stack(&mut self, id: &str, role: &str, kind: ResourceKind, name: &str, props: Value) {
        self.add(id, role, kind, name, Provisioner::Stack, props)
    }

    fn direct(&mut self, id: &str, role: &str, kind: ResourceKind, name: &str, props: Value) {
        self.add(id, role, kind, name, Provisioner::Direct, props)
    }

    /// What a permission names as its function: the `live` alias by `Ref` (its ARN) in hover's
    /// scheme; `<function>:live` in the original's, as it wrote it (a permission's function
    /// cannot change in place).
    fn permission_target(&self, part: ids::Part<'_>) -> Value {
        match self.ids {
            Scheme::Hover => reference(&self.ids.alias(part)),
            Scheme::Original => {
                json!({ "Fn::Join": [":", [reference(&self.ids.function(part)), ALIAS]] })
            }
        }
    }

    fn depend(&mut self, id: &str, on: &str) {
        if let Some(r) = self.resources.get_mut(id) {
            r.depends_on.insert(on.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse;

    fn stage(yaml: &str) -> DesiredStage {
        let m = parse(".hover/t.yml", yaml).unwrap_or_else(|e| panic!("{e}"));
        desired(&m, "v1")
    }

    #[test]
    fn keys_with_dashes_and_underscores_make_valid_ids_and_original_names() {
        let s = stage("name: shop\nregion: eu-west-1\nqueue:\n  mail-sender:\n    queues: [emails_high, emails-low]\n");
        for id in [
            "WorkerMailSenderFunction",
            "WorkerMailSenderAlias",
            "QueueEmailsHigh",
            "QueueEmailsLowMapping",
        ] {
            assert!(s.resources.contains_key(id), "{id}");
        }
        assert!(s
            .resources
            .keys()
            .all(|id| id.chars().all(|c| c.is_ascii_alphanumeric())));
        assert_eq!(
            s.resources["WorkerMailSenderFunction"].name,
            "shop-mail-sender-queue"
        );
        assert_eq!(s.resources["QueueEmailsHigh"].name, "emails_high-shop");
        assert_eq!(
            s.resources["QueueEmailsHighDeadLetter"].name,
            "emails_high-shop-dlq"
        );
        assert_eq!(
            s.resources["QueueEmailsHigh"].properties["RedrivePolicy"]["maxReceiveCount"],
            serde_json::json!(3)
        );
    }

    #[test]
    fn fifo_queues_keep_the_suffix_last() {
        let s =
            stage("name: shop\nregion: us-east-1\nqueue:\n  orders:\n    queues: [orders.fifo]\n");
        let q = &s.resources["QueueOrders"];
        assert_eq!(q.name, "orders-shop.fifo");
        assert_eq!(q.properties["FifoQueue"], serde_json::json!(true));
        assert_eq!(
            s.resources["QueueOrdersDeadLetter"].name,
            "orders-shop-dlq.fifo"
        );
    }

    #[test]
    fn optional_parts_follow_the_manifest() {
        let bare = stage("name: shop\nregion: us-east-1\nhttp:\n  warm: 0\nauth:\n  lambda-role: arn:aws:iam::123456789012:role/app\n");
        assert!(!bare.resources.contains_key("WarmerRule"));
        assert!(!bare.resources.contains_key("LambdaRole"));
        assert_eq!(
            bare.resources["HttpFunction"].properties["Role"],
            serde_json::json!("arn:aws:iam::123456789012:role/app")
        );
        let vpc = stage("name: shop\nregion: us-east-1\nvpc:\n  subnets: [subnet-0123456789abcdef0]\n  security-groups: [sg-0123456789abcdef0]\n");
        assert!(vpc.resources["LambdaRole"]
            .properties
            .contains_key("ManagedPolicyArns"));
        assert_eq!(
            vpc.resources["CliFunction"].properties["VpcConfig"]["SubnetIds"],
            serde_json::json!(["subnet-0123456789abcdef0"])
        );
    }

    #[test]
    fn every_dependency_names_a_resource_of_the_stage() {
        let s = stage("name: shop\nregion: us-east-1\nqueue:\n  a: {}\n  b:\n    queues: [x, y]\n");
        for r in s.resources.values() {
            for d in &r.depends_on {
                assert!(
                    s.resources.contains_key(d),
                    "{} depends on unknown {d}",
                    r.logical_id
                );
            }
        }
        let nodes = s.resources.keys().cloned().collect();
        assert!(crate::plan::graph::order(&nodes, &s.dependency_edges()).is_ok());
    }

    #[test]
    fn a_stage_taken_over_keeps_the_original_ids_and_finds_its_aliases() {
        let m = parse(
            ".hover/t.yml",
            "name: shop\nregion: us-east-1\nqueue:\n  default:\n    queues: [default, mail-out]\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let s = desired_with(&m, "v1", Scheme::Original);
        for id in [
            "HTTPLambda",
            "HTTPLambdaLiveAlias",
            "CliLambdaLogGroup",
            "defaultQueueLambda",
            "defaultLambdaLiveAlias",
            "defaultQueue",
            "defaultQueueQueueSourceMapping",
            "QueueDefaultDeadLetter",
            "QueueMailOut",
            "QueueMailOutMapping",
            "WarmerEventRule",
            "SchedulerEventRuleInvokePermission",
            "ApiGatewayLambdaIntegration",
            "CFDistribution",
            "AssetsOriginAccessControl",
        ] {
            assert!(s.resources.contains_key(id), "{id}");
        }
        assert_eq!(s.ids, Scheme::Original);
        assert_eq!(s.alias_of("HTTPLambda"), Some("HTTPLambdaLiveAlias"));
        assert_eq!(
            s.alias_of("defaultQueueLambda"),
            Some("defaultLambdaLiveAlias")
        );
        assert_eq!(
            stage("name: shop\nregion: us-east-1\n").alias_of("HttpFunction"),
            Some("HttpAlias")
        );
        // The permissions name the function as the original wrote it: they cannot change in place.
        assert_eq!(
            s.resources["ApiGatewayInvokePermission"].properties["FunctionName"],
            serde_json::json!({"Fn::Join": [":", [{"Ref": "HTTPLambda"}, "live"]]})
        );
        let nodes = s.resources.keys().cloned().collect();
        assert!(crate::plan::graph::order(&nodes, &s.dependency_edges()).is_ok());
    }

    #[test]
    fn inputs_are_json_not_concatenated_strings() {
        let s = stage("name: shop\nregion: us-east-1\nhttp:\n  warm: 3\n");
        let input = s.resources["WarmerRule"].properties["Targets"][0]["Input"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&input).ok(),
            Some(serde_json::json!({"warmer": true, "containers": 3}))
        );
    }

    #[test]
    fn setting_the_image_tag_gives_the_stage_built_with_it() {
        let yaml = "name: shop\nregion: us-east-1\nenvironment:\n  APP_NAME: shop\nqueue:\n  default:\n    queues: [jobs]\n";
        let m = parse(".hover/t.yml", yaml).unwrap_or_else(|e| panic!("{e}"));
        for scheme in [Scheme::Hover, Scheme::Original] {
            let mut s = desired_with(&m, "", scheme);
            set_image_tag(&mut s, "v7");
            let built = desired_with(&m, "v7", scheme);
            assert_eq!(
                serde_json::to_value(&s).ok(),
                serde_json::to_value(&built).ok(),
                "{scheme:?}"
            );
            assert_ne!(
                serde_json::to_value(&s).ok(),
                serde_json::to_value(desired_with(&m, "v6", scheme)).ok()
            );
        }
    }
}
