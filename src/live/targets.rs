//! What `live` must look up for each resource of a desired stage: its AWS name, and the keys its
//! reader needs (the function of an alias, the queue ARN of a mapping, the API of a route...),
//! taken from the resources it references rather than read back from display names.

use crate::model::{DesiredStage, LiveTarget, Resource, StackState};
use crate::template::intrinsics::referenced_id;
use serde_json::Value;
use std::collections::BTreeMap;

/// What `live` must look up for each resource: desired ones by name, and those only the stack
/// still holds by their physical id. A role whose name CloudFormation assigns (the stage's
/// `LambdaRole`) is looked up by the name the stack records, and only when it records one.
/// `account` completes ARNs used as lookup keys.
pub fn live_targets(
    desired: &DesiredStage,
    stack: Option<&StackState>,
    account: &str,
) -> Vec<LiveTarget> {
    let physical = |id: &str| {
        stack
            .and_then(|s| s.resources.get(id))
            .map(|r| r.physical_id.clone())
    };
    let mut targets = Vec::new();
    for r in desired.resources.values() {
        let mut keys = BTreeMap::new();
        let name = match r.resource_type.as_str() {
            // CloudFormation names the role: read it only once the stack records that name.
            "AWS::IAM::Role" => physical(&r.logical_id).filter(|p| !p.is_empty()),
            ty => lookup(desired, r, ty, account, &mut keys),
        };
        let physical_id = physical(&r.logical_id);
        if name.is_none() && physical_id.is_none() {
            continue;
        }
        targets.push(LiveTarget {
            logical_id: r.logical_id.clone(),
            resource_type: r.resource_type.clone(),
            name,
            physical_id,
            keys,
        });
    }
    if let Some(stack) = stack {
        for (id, sr) in &stack.resources {
            if !desired.resources.contains_key(id) && !sr.physical_id.is_empty() {
                targets.push(LiveTarget {
                    logical_id: id.clone(),
                    resource_type: sr.resource_type.clone(),
                    name: None,
                    physical_id: Some(sr.physical_id.clone()),
                    keys: BTreeMap::new(),
                });
            }
        }
    }
    targets.sort();
    targets
}

/// The name `r` (of type `ty`) is looked up by, with the keys its reader needs put in `keys`;
/// `None` for a resource only known through the stack.
fn lookup(
    desired: &DesiredStage,
    r: &Resource,
    ty: &str,
    account: &str,
    keys: &mut BTreeMap<String, String>,
) -> Option<String> {
    match ty {
        "AWS::Lambda::Function"
        | "AWS::Logs::LogGroup"
        | "AWS::Events::Rule"
        | "AWS::ECR::Repository"
        | "AWS::S3::Bucket"
        | "AWS::KMS::Key"
        | "AWS::SQS::Queue"
        | "AWS::ApiGatewayV2::Api"
        | "AWS::CloudFront::OriginAccessControl" => Some(r.name.clone()),
        "AWS::Lambda::Alias" => {
            let function = referenced(desired, r, "FunctionName")?;
            keys.insert("function".into(), function.name.clone());
            prop(r, "Name")
        }
        "AWS::Lambda::EventSourceMapping" => {
            let alias = referenced(desired, r, "FunctionName")?;
            let function = referenced(desired, alias, "FunctionName")?;
            let queue = referenced(desired, r, "EventSourceArn")?;
            keys.insert("function".into(), function.name.clone());
            keys.insert("qualifier".into(), prop(alias, "Name")?);
            keys.insert(
                "queue_arn".into(),
                format!(
                    "{}sqs:{}:{account}:{}",
                    desired.partition().arn_prefix(),
                    desired.region,
                    queue.name
                ),
            );
            Some(r.name.clone())
        }
        "AWS::ApiGatewayV2::Integration"
        | "AWS::ApiGatewayV2::Route"
        | "AWS::ApiGatewayV2::Stage" => {
            let api = referenced(desired, r, "ApiId")?;
            keys.insert("api_name".into(), api.name.clone());
            for (property, key) in [("RouteKey", "route_key"), ("StageName", "stage_name")] {
                if let Some(k) = prop(r, property) {
                    keys.insert(key.into(), k);
                }
            }
            Some(r.name.clone())
        }
        "AWS::CloudFront::Distribution" => {
            let comment = r.properties.get("DistributionConfig")?.get("Comment")?;
            keys.insert("comment".into(), comment.as_str()?.to_string());
            Some(r.name.clone())
        }
        "AWS::S3::BucketPolicy" => {
            keys.insert("bucket".into(), prop(r, "Bucket").unwrap_or_default());
            Some(r.name.clone())
        }
        // Only known through the stack.
        _ => None,
    }
}

/// The string property `key` of `r`.
fn prop(r: &Resource, key: &str) -> Option<String> {
    r.properties
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The resource of the stage that `r`'s property `key` references (`Ref` or `Fn::GetAtt`).
fn referenced<'a>(desired: &'a DesiredStage, r: &Resource, key: &str) -> Option<&'a Resource> {
    desired
        .resources
        .get(referenced_id(r.properties.get(key)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse;
    use crate::stage::{desired, desired_with, Scheme};

    fn stage(yaml: &str) -> DesiredStage {
        let m = parse(".hover/t.yml", yaml).unwrap_or_else(|e| panic!("{e}"));
        desired(&m, "v1")
    }

    fn keys(targets: &[LiveTarget], id: &str) -> Vec<(String, String)> {
        let t = targets.iter().find(|t| t.logical_id == id);
        let t = t.unwrap_or_else(|| panic!("no target {id}"));
        t.keys.clone().into_iter().collect()
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn keys_come_from_the_referenced_resources_in_the_regions_partition() {
        let yaml = |region: &str| {
            format!(
                "name: shop\nregion: {region}\nqueue:\n  mail-out:\n    queues: [emails.fifo]\n"
            )
        };
        // The manifest takes commercial regions only; the stage is moved to China by hand.
        let m = parse(".hover/t.yml", &yaml("eu-west-1")).unwrap_or_else(|e| panic!("{e}"));
        for (scheme, mapping, alias) in [
            (Scheme::Hover, "QueueEmailsMapping", "WorkerMailOutAlias"),
            (Scheme::Original, "QueueEmailsMapping", "WorkerMailOutAlias"),
        ] {
            let mut s = desired_with(&m, "v1", scheme);
            s.region = "cn-north-1".into();
            let targets = live_targets(&s, None, "123456789012");
            assert_eq!(
                keys(&targets, mapping),
                pairs(&[
                    ("function", "shop-mail-out-queue"),
                    ("qualifier", "live"),
                    (
                        "queue_arn",
                        "arn:aws-cn:sqs:cn-north-1:123456789012:emails-shop.fifo"
                    ),
                ]),
                "{scheme:?}"
            );
            assert_eq!(
                keys(&targets, alias),
                pairs(&[("function", "shop-mail-out-queue")])
            );
        }
        let s = stage(&yaml("eu-west-1"));
        let targets = live_targets(&s, None, "123456789012");
        assert_eq!(
            keys(&targets, "QueueEmailsMapping")[2].1,
            "arn:aws:sqs:eu-west-1:123456789012:emails-shop.fifo"
        );
        assert_eq!(
            keys(&targets, "HttpApiRoute"),
            pairs(&[("api_name", "shop-api"), ("route_key", "$default")])
        );
        assert_eq!(
            keys(&targets, "Distribution"),
            pairs(&[("comment", "shop")])
        );
    }

    #[test]
    fn the_role_is_looked_up_by_the_name_the_stack_records() {
        use crate::model::{StackResource, StackState};
        let s = stage("name: shop\nregion: us-east-1\n");
        let role = |stack: Option<&StackState>| {
            live_targets(&s, stack, "123456789012")
                .into_iter()
                .find(|t| t.logical_id == "LambdaRole")
        };
        // No stack: nothing to read.
        assert_eq!(role(None), None);
        let mut stack = StackState {
            name: "shop".into(),
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/shop/1".into(),
            status: "CREATE_COMPLETE".into(),
            status_reason: None,
            template: None,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        };
        stack.resources.insert(
            "LambdaRole".into(),
            StackResource {
                resource_type: "AWS::IAM::Role".into(),
                physical_id: "shop-LambdaRole-1AB".into(),
                status: "CREATE_COMPLETE".into(),
            },
        );
        let named = role(Some(&stack)).unwrap_or_else(|| panic!("role target"));
        assert_eq!(named.name.as_deref(), Some("shop-LambdaRole-1AB"));
        assert_eq!(named.physical_id.as_deref(), Some("shop-LambdaRole-1AB"));
        // Recorded without a physical id yet (creation in progress): not read.
        if let Some(r) = stack.resources.get_mut("LambdaRole") {
            r.physical_id.clear();
        }
        assert_eq!(role(Some(&stack)).and_then(|t| t.name), None);
    }
}
