//! What `live` must look up for each resource of a desired stage: its AWS name, and the keys its
//! reader needs (the function of an alias, the queue ARN of a mapping, the API of a route...),
//! taken from the resources it references rather than read back from display names.

use crate::model::{
    DesiredStage, LiveTarget, Lookup, MappingKeys, Resource, ResourceKind, StackState,
};
use crate::template::intrinsics::referenced_id;
use serde_json::Value;

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
        let physical_id = physical(&r.logical_id);
        let lookup = match r.kind {
            // CloudFormation names the role: read it only once the stack records that name.
            ResourceKind::Role => physical_id
                .clone()
                .filter(|p| !p.is_empty())
                .map(|name| Lookup::Role { name }),
            _ => lookup(desired, r, account),
        };
        if lookup.is_none() && physical_id.is_none() {
            continue;
        }
        targets.push(LiveTarget {
            logical_id: r.logical_id.clone(),
            resource_type: r.kind.into(),
            lookup,
            physical_id,
        });
    }
    if let Some(stack) = stack {
        for (id, sr) in &stack.resources {
            if !desired.resources.contains_key(id) && !sr.physical_id.is_empty() {
                targets.push(LiveTarget::recorded(
                    id,
                    sr.resource_type.clone(),
                    &sr.physical_id,
                ));
            }
        }
    }
    targets.sort();
    targets
}

/// How `r` is looked up, with the keys its reader needs taken from the resources it references;
/// `None` for a resource only known through the stack (or whose keys cannot be resolved).
fn lookup(desired: &DesiredStage, r: &Resource, account: &str) -> Option<Lookup> {
    let name = r.name.clone();
    let api_name = || referenced(desired, r, "ApiId").map(|api| api.name.clone());
    Some(match r.kind {
        ResourceKind::Function => Lookup::Function { name },
        ResourceKind::LogGroup => Lookup::LogGroup { name },
        ResourceKind::Rule => Lookup::Rule { name },
        ResourceKind::Repository => Lookup::Repository { name },
        ResourceKind::Bucket => Lookup::Bucket { name },
        ResourceKind::Key => Lookup::Key { name },
        ResourceKind::Queue => Lookup::Queue { name },
        ResourceKind::Api => Lookup::Api { name },
        ResourceKind::OriginAccessControl => Lookup::OriginAccessControl { name },
        ResourceKind::Alias => Lookup::Alias {
            function: referenced(desired, r, "FunctionName")?.name.clone(),
            name: prop(r, "Name")?,
        },
        ResourceKind::EventSourceMapping => {
            let alias = referenced(desired, r, "FunctionName")?;
            let function = referenced(desired, alias, "FunctionName")?;
            let queue = referenced(desired, r, "EventSourceArn")?;
            Lookup::EventSourceMapping(MappingKeys {
                function: function.name.clone(),
                qualifier: prop(alias, "Name")?,
                queue_arn: format!(
                    "{}sqs:{}:{account}:{}",
                    desired.partition().arn_prefix(),
                    desired.region,
                    queue.name
                ),
            })
        }
        ResourceKind::Integration => Lookup::Integration {
            api_name: api_name()?,
        },
        ResourceKind::Route => Lookup::Route {
            api_name: api_name()?,
            route_key: prop(r, "RouteKey")?,
        },
        ResourceKind::ApiStage => Lookup::ApiStage {
            api_name: api_name()?,
            stage_name: prop(r, "StageName")?,
        },
        ResourceKind::Distribution => {
            let comment = r.properties.get("DistributionConfig")?.get("Comment")?;
            Lookup::Distribution {
                comment: comment.as_str()?.to_string(),
            }
        }
        ResourceKind::BucketPolicy => Lookup::BucketPolicy {
            bucket: prop(r, "Bucket").unwrap_or(name),
        },
        // Only known through the stack: a permission has no reader, a role is looked up above.
        ResourceKind::Permission | ResourceKind::Role => return None,
    })
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
    use std::collections::BTreeMap;

    fn stage(yaml: &str) -> DesiredStage {
        let m = parse(".hover/t.yml", yaml).unwrap_or_else(|e| panic!("{e}"));
        desired(&m, "v1")
    }

    fn lookup_of(targets: &[LiveTarget], id: &str) -> Lookup {
        let t = targets.iter().find(|t| t.logical_id == id);
        let t = t.unwrap_or_else(|| panic!("no target {id}"));
        assert_eq!(t.lookup.as_ref().map(Lookup::kind), t.resource_type.kind());
        t.lookup
            .clone()
            .unwrap_or_else(|| panic!("{id} is not looked up"))
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
        let mapping = |queue_arn: &str| {
            Lookup::EventSourceMapping(MappingKeys {
                function: "shop-mail-out-queue".into(),
                qualifier: "live".into(),
                queue_arn: queue_arn.into(),
            })
        };
        for scheme in [Scheme::Hover, Scheme::Original] {
            let mut s = desired_with(&m, "v1", scheme);
            s.region = "cn-north-1".into();
            let targets = live_targets(&s, None, "123456789012");
            assert_eq!(
                lookup_of(&targets, "QueueEmailsMapping"),
                mapping("arn:aws-cn:sqs:cn-north-1:123456789012:emails-shop.fifo"),
                "{scheme:?}"
            );
            assert_eq!(
                lookup_of(&targets, "WorkerMailOutAlias"),
                Lookup::Alias {
                    function: "shop-mail-out-queue".into(),
                    name: "live".into()
                }
            );
        }
        let s = stage(&yaml("eu-west-1"));
        let targets = live_targets(&s, None, "123456789012");
        assert_eq!(
            lookup_of(&targets, "QueueEmailsMapping"),
            mapping("arn:aws:sqs:eu-west-1:123456789012:emails-shop.fifo")
        );
        assert_eq!(
            lookup_of(&targets, "HttpApiRoute"),
            Lookup::Route {
                api_name: "shop-api".into(),
                route_key: "$default".into()
            }
        );
        assert_eq!(
            lookup_of(&targets, "Distribution"),
            Lookup::Distribution {
                comment: "shop".into()
            }
        );
        assert_eq!(
            lookup_of(&targets, "AssetsBucketPolicy"),
            Lookup::BucketPolicy {
                bucket: "shop-assets".into()
            }
        );
        // Every desired resource but the role (no stack yet) and the permissions is looked up.
        let unread: Vec<_> = s
            .resources
            .values()
            .filter(|r| !targets.iter().any(|t| t.logical_id == r.logical_id))
            .map(|r| r.kind)
            .collect();
        assert!(!unread.is_empty());
        assert!(unread
            .iter()
            .all(|k| matches!(k, ResourceKind::Role | ResourceKind::Permission)));
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
            last_updated: None,
            template: None,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        };
        for (id, ty, physical) in [
            ("LambdaRole", "AWS::IAM::Role", "shop-LambdaRole-1AB"),
            ("OldTopic", "AWS::SNS::Topic", "arn:aws:sns:us-east-1:1:t"),
        ] {
            stack.resources.insert(
                id.into(),
                StackResource {
                    resource_type: ty.into(),
                    physical_id: physical.into(),
                    status: "CREATE_COMPLETE".into(),
                },
            );
        }
        let named = role(Some(&stack)).unwrap_or_else(|| panic!("role target"));
        assert_eq!(
            named.lookup,
            Some(Lookup::Role {
                name: "shop-LambdaRole-1AB".into()
            })
        );
        assert_eq!(named.physical_id.as_deref(), Some("shop-LambdaRole-1AB"));
        // A resource only the stack holds, of a type hover does not manage: from its record.
        let targets = live_targets(&s, Some(&stack), "123456789012");
        let topic = targets.iter().find(|t| t.logical_id == "OldTopic");
        assert_eq!(
            topic,
            Some(&LiveTarget::recorded(
                "OldTopic",
                "AWS::SNS::Topic".into(),
                "arn:aws:sns:us-east-1:1:t"
            ))
        );
        // Recorded without a physical id yet (creation in progress): not read.
        if let Some(r) = stack.resources.get_mut("LambdaRole") {
            r.physical_id.clear();
        }
        assert_eq!(role(Some(&stack)).and_then(|t| t.lookup), None);
    }
}
