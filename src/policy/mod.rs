//! The least-privilege IAM policies hover needs, generated from the operations it calls (the quota
//! table, `live::quota::OPERATIONS`, lists every one: a call added to the code without its entry
//! fails the quota table's test, and an entry without its IAM action here fails this module's):
//!
//! - **plan**: the read operations (`hover plan`, `doctor`, `releases`, `template`);
//! - **deploy**: those and the writes of `apply`, `deploy`, `rollback` and `command run`, the
//!   registry push the container tool makes with hover's token, and passing the stack's role;
//! - **stack**: what CloudFormation needs for the stack's resources, from the resource schemas'
//!   handler permissions (`stack_permissions.json`, written by `tools/stack_permissions.py`): the
//!   policy of the stack's service role (`auth.stack-role`), or added to the deploy policy when
//!   the stack has none.
//!
//! The documents are written to `examples/ci/policy-*.json`; a test keeps them current.

use crate::live::quota::{Operation, OPERATIONS};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Which commands need an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// A read: every command that looks at the stage.
    Read,
    /// A write of `apply`, `deploy`, `rollback` or `command run` (and `secret encrypt`, which makes
    /// the stage's key as apply does).
    Deploy,
    /// A write of `destroy` or `stage purge` only.
    Teardown,
    /// `hover secret encrypt|decrypt` only (the functions decrypt with their own role).
    Secrets,
}

/// The IAM actions of the operation `service:operation`, and which commands need it; `None` for
/// an operation this table does not know (a test fails on any in the quota table).
pub fn actions_of(service: &str, operation: &str) -> Option<(Need, &'static [&'static str])> {
    match service {
        "cloudformation" => cloudformation_actions(operation),
        "kms" => kms_actions(operation),
        "lambda" => lambda_actions(operation),
        "s3" => s3_actions(operation),
        _ => other_actions(service, operation),
    }
}

/// The IAM actions of a cloudformation operation.
fn cloudformation_actions(operation: &str) -> Option<(Need, &'static [&'static str])> {
    use Need::*;
    Some(match operation {
        "CreateChangeSet" => (Deploy, &["cloudformation:CreateChangeSet"]),
        "DeleteChangeSet" => (Deploy, &["cloudformation:DeleteChangeSet"]),
        "DeleteStack" => (Teardown, &["cloudformation:DeleteStack"]),
        "DescribeChangeSet" => (Read, &["cloudformation:DescribeChangeSet"]),
        "DescribeStackEvents" => (Read, &["cloudformation:DescribeStackEvents"]),
        "DescribeStacks" => (Read, &["cloudformation:DescribeStacks"]),
        "ExecuteChangeSet" => (Deploy, &["cloudformation:ExecuteChangeSet"]),
        "GetTemplate" => (Read, &["cloudformation:GetTemplate"]),
        "ListChangeSets" => (Read, &["cloudformation:ListChangeSets"]),
        "ListStackResources" => (Read, &["cloudformation:ListStackResources"]),
        _ => return None,
    })
}

/// The IAM actions of a kms operation.
fn kms_actions(operation: &str) -> Option<(Need, &'static [&'static str])> {
    use Need::*;
    Some(match operation {
        "CreateAlias" => (Deploy, &["kms:CreateAlias"]),
        "CreateKey" => (Deploy, &["kms:CreateKey", "kms:TagResource"]),
        "Decrypt" => (Secrets, &["kms:Decrypt"]),
        "DeleteAlias" => (Teardown, &["kms:DeleteAlias"]),
        "DescribeKey" => (Read, &["kms:DescribeKey"]),
        "EnableKey" => (Deploy, &["kms:EnableKey"]),
        "EnableKeyRotation" => (Deploy, &["kms:EnableKeyRotation"]),
        "GenerateDataKey" => (Secrets, &["kms:GenerateDataKey"]),
        "GetKeyRotationStatus" => (Read, &["kms:GetKeyRotationStatus"]),
        "ListAliases" => (Read, &["kms:ListAliases"]),
        "ListKeys" => (Read, &["kms:ListKeys"]),
        "ListResourceTags" => (Read, &["kms:ListResourceTags"]),
        "ScheduleKeyDeletion" => (Teardown, &["kms:ScheduleKeyDeletion"]),
        "UpdateKeyDescription" => (Deploy, &["kms:UpdateKeyDescription"]),
        _ => return None,
    })
}

/// The IAM actions of a lambda operation.
fn lambda_actions(operation: &str) -> Option<(Need, &'static [&'static str])> {
    use Need::*;
    Some(match operation {
        "DeleteFunction" => (Teardown, &["lambda:DeleteFunction"]),
        "DeleteFunctionConcurrency" => (Deploy, &["lambda:DeleteFunctionConcurrency"]),
        "GetAccountSettings" => (Read, &["lambda:GetAccountSettings"]),
        "GetAlias" => (Read, &["lambda:GetAlias"]),
        "GetFunction" => (Read, &["lambda:GetFunction"]),
        "GetFunctionConfiguration" => (Read, &["lambda:GetFunctionConfiguration"]),
        // The IAM action of Invoke is InvokeFunction.
        "Invoke" => (Deploy, &["lambda:InvokeFunction"]),
        "ListEventSourceMappings" => (Read, &["lambda:ListEventSourceMappings"]),
        "ListVersionsByFunction" => (Read, &["lambda:ListVersionsByFunction"]),
        "PublishVersion" => (Deploy, &["lambda:PublishVersion"]),
        "PutFunctionConcurrency" => (Deploy, &["lambda:PutFunctionConcurrency"]),
        "UpdateAlias" => (Deploy, &["lambda:UpdateAlias"]),
        "UpdateEventSourceMapping" => (Deploy, &["lambda:UpdateEventSourceMapping"]),
        "UpdateFunctionCode" => (Deploy, &["lambda:UpdateFunctionCode"]),
        "UpdateFunctionConfiguration" => (Deploy, &["lambda:UpdateFunctionConfiguration"]),
        _ => return None,
    })
}

/// The IAM actions of a s3 operation.
fn s3_actions(operation: &str) -> Option<(Need, &'static [&'static str])> {
    use Need::*;
    Some(match operation {
        // S3's IAM actions differ from its operations' names in places.
        "CreateBucket" => (Deploy, &["s3:CreateBucket"]),
        "DeleteBucket" => (Teardown, &["s3:DeleteBucket"]),
        "DeleteObject" => (Deploy, &["s3:DeleteObject"]),
        "DeleteObjects" => (Teardown, &["s3:DeleteObject", "s3:DeleteObjectVersion"]),
        "GetBucketPolicy" => (Read, &["s3:GetBucketPolicy"]),
        "GetObject" => (Read, &["s3:GetObject"]),
        "GetPublicAccessBlock" => (Read, &["s3:GetBucketPublicAccessBlock"]),
        "HeadBucket" => (Read, &["s3:ListBucket"]),
        "ListObjectVersions" => (Teardown, &["s3:ListBucketVersions"]),
        "ListObjectsV2" => (Read, &["s3:ListBucket"]),
        "PutObject" => (Deploy, &["s3:PutObject"]),
        "PutPublicAccessBlock" => (Deploy, &["s3:PutBucketPublicAccessBlock"]),
        _ => return None,
    })
}

/// The IAM actions of an operation of the other services (API Gateway, CloudFront, ECR,
/// EventBridge, IAM, CloudWatch Logs, SQS, STS).
fn other_actions(service: &str, operation: &str) -> Option<(Need, &'static [&'static str])> {
    use Need::*;
    Some(match (service, operation) {
        // API Gateway's IAM actions are its HTTP verbs.
        ("apigateway", "GetApis" | "GetIntegrations" | "GetRoutes" | "GetStages") => {
            (Read, &["apigateway:GET"])
        }
        ("cloudfront", "GetDistributionConfig") => (Read, &["cloudfront:GetDistributionConfig"]),
        ("cloudfront", "ListDistributions") => (Read, &["cloudfront:ListDistributions"]),
        ("cloudfront", "ListOriginAccessControls") => {
            (Read, &["cloudfront:ListOriginAccessControls"])
        }
        ("cloudfront", "UpdateDistribution") => (Deploy, &["cloudfront:UpdateDistribution"]),
        ("ecr", "BatchDeleteImage") => (Teardown, &["ecr:BatchDeleteImage"]),
        ("ecr", "CreateRepository") => (Deploy, &["ecr:CreateRepository"]),
        ("ecr", "DeleteRepository") => (Teardown, &["ecr:DeleteRepository"]),
        ("ecr", "DescribeImages") => (Read, &["ecr:DescribeImages"]),
        ("ecr", "DescribeRepositories") => (Read, &["ecr:DescribeRepositories"]),
        ("ecr", "GetAuthorizationToken") => (Deploy, &["ecr:GetAuthorizationToken"]),
        ("ecr", "ListImages") => (Read, &["ecr:ListImages"]),
        ("ecr", "PutImageTagMutability") => (Deploy, &["ecr:PutImageTagMutability"]),
        ("events", "DescribeRule") => (Read, &["events:DescribeRule"]),
        ("events", "ListTargetsByRule") => (Read, &["events:ListTargetsByRule"]),
        ("events", "PutRule") => (Deploy, &["events:PutRule"]),
        ("events", "PutTargets") => (Deploy, &["events:PutTargets"]),
        ("iam", "AttachRolePolicy") => (Deploy, &["iam:AttachRolePolicy"]),
        ("iam", "DeleteRolePolicy") => (Deploy, &["iam:DeleteRolePolicy"]),
        ("iam", "DetachRolePolicy") => (Deploy, &["iam:DetachRolePolicy"]),
        ("iam", "GetRole") => (Read, &["iam:GetRole"]),
        ("iam", "GetRolePolicy") => (Read, &["iam:GetRolePolicy"]),
        ("iam", "ListAttachedRolePolicies") => (Read, &["iam:ListAttachedRolePolicies"]),
        ("iam", "ListRolePolicies") => (Read, &["iam:ListRolePolicies"]),
        ("iam", "PutRolePolicy") => (Deploy, &["iam:PutRolePolicy"]),
        ("iam", "UpdateAssumeRolePolicy") => (Deploy, &["iam:UpdateAssumeRolePolicy"]),
        ("logs", "DeleteRetentionPolicy") => (Deploy, &["logs:DeleteRetentionPolicy"]),
        ("logs", "DescribeLogGroups") => (Read, &["logs:DescribeLogGroups"]),
        ("logs", "FilterLogEvents") => (Read, &["logs:FilterLogEvents"]),
        ("logs", "PutRetentionPolicy") => (Deploy, &["logs:PutRetentionPolicy"]),
        // `hover queue`: peeking hides messages for seconds, so it needs the deploy policy too.
        ("sqs", "ChangeMessageVisibilityBatch") => (Deploy, &["sqs:ChangeMessageVisibility"]),
        ("sqs", "DeleteMessage") => (Deploy, &["sqs:DeleteMessage"]),
        ("sqs", "GetQueueAttributes") => (Read, &["sqs:GetQueueAttributes"]),
        ("sqs", "GetQueueUrl") => (Read, &["sqs:GetQueueUrl"]),
        ("sqs", "ListMessageMoveTasks") => (Read, &["sqs:ListMessageMoveTasks"]),
        ("sqs", "PurgeQueue") => (Deploy, &["sqs:PurgeQueue"]),
        ("sqs", "ReceiveMessage") => (Deploy, &["sqs:ReceiveMessage"]),
        ("sqs", "SendMessage") => (Deploy, &["sqs:SendMessage"]),
        ("sqs", "SetQueueAttributes") => (Deploy, &["sqs:SetQueueAttributes"]),
        ("sqs", "StartMessageMoveTask") => (Deploy, &["sqs:StartMessageMoveTask"]),
        ("sts", "GetCallerIdentity") => (Read, &["sts:GetCallerIdentity"]),
        _ => return None,
    })
}

/// The container tool pushes the image with the token hover asks ECR for: these are the calls it
/// makes with it (ECR's "push an image" permissions).
pub const PUSH_ACTIONS: &[&str] = &[
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
];

/// CloudFormation's permissions per stack resource type (from the resource schemas).
fn stack_permissions() -> BTreeMap<String, Vec<String>> {
    serde_json::from_str(include_str!("stack_permissions.json")).unwrap_or_default()
}

/// Whether `action` has the shape of an IAM action: `service:Action`, letters and digits.
pub fn is_action(action: &str) -> bool {
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The actions of every operation with one of `needs`, sorted, without repeats.
fn operation_actions(needs: &[Need]) -> BTreeSet<&'static str> {
    OPERATIONS
        .iter()
        .filter_map(
            |Operation {
                 service, operation, ..
             }| actions_of(service, operation),
        )
        .filter(|(need, _)| needs.contains(need))
        .flat_map(|(_, actions)| actions.iter().copied())
        .collect()
}

/// The stack's actions: every schema permission with the shape of an IAM action, one spelling
/// each (IAM actions are case-insensitive; the schemas spell a few twice).
fn stack_actions() -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut out = BTreeSet::new();
    for action in stack_permissions().into_values().flatten() {
        if is_action(&action) && seen.insert(action.to_ascii_lowercase()) {
            out.insert(action);
        }
    }
    out
}

/// One statement per service, in service order, each allowing its actions on every resource.
fn statements(prefix: &str, actions: &BTreeSet<String>) -> Vec<Value> {
    let mut by_service: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for action in actions {
        if let Some((service, _)) = action.split_once(':') {
            by_service.entry(service).or_default().push(action);
        }
    }
    by_service
        .into_iter()
        .map(|(service, actions)| {
            let sid: String = service
                .split('-')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect();
            json!({"Sid": format!("{prefix}{sid}"), "Effect": "Allow", "Action": actions, "Resource": "*"})
        })
        .collect()
}

fn document(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The policy `hover plan` needs (reads only).
pub fn plan_policy() -> Value {
    let actions = operation_actions(&[Need::Read])
        .into_iter()
        .map(str::to_owned)
        .collect();
    document(statements("HoverRead", &actions))
}

/// The policy `hover deploy` needs: reads, deploy writes, the push, and passing the stack's role
/// (and the functions' role, which a repair of a function's configuration passes) to their
/// services only.
pub fn deploy_policy() -> Value {
    let mut actions: BTreeSet<String> = operation_actions(&[Need::Read, Need::Deploy])
        .into_iter()
        .map(str::to_owned)
        .collect();
    actions.extend(PUSH_ACTIONS.iter().map(|a| a.to_string()));
    let mut all = statements("HoverDeploy", &actions);
    all.push(json!({
        "Sid": "HoverPassRoles",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": "*",
        "Condition": {"StringEquals": {"iam:PassedToService": ["cloudformation.amazonaws.com", "lambda.amazonaws.com"]}}
    }));
    document(all)
}

/// The policy CloudFormation needs for the stack's resources: the stack's service role
/// (`auth.stack-role`), or, without one, added to the deploy policy.
pub fn stack_policy() -> Value {
    document(statements("HoverStack", &stack_actions()))
}

/// Each document with its file name under `examples/ci/`.
pub fn documents() -> Vec<(&'static str, Value)> {
    vec![
        ("policy-plan.json", plan_policy()),
        ("policy-deploy.json", deploy_policy()),
        ("policy-stack.json", stack_policy()),
    ]
}

/// A document as written: pretty JSON and a newline.
pub fn to_text(document: &Value) -> String {
    serde_json::to_string_pretty(document).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_hover_calls_has_its_iam_action() {
        // The quota table's test fails when the code calls an operation the table lacks; this one
        // when the table has an operation the policies lack.
        let missing: Vec<String> = OPERATIONS
            .iter()
            .filter(|o| actions_of(o.service, o.operation).is_none())
            .map(|o| format!("{}:{}", o.service, o.operation))
            .collect();
        assert!(
            missing.is_empty(),
            "no IAM action for {missing:?}: add each to `policy::actions_of`"
        );
        assert!(OPERATIONS.len() > 80);
    }

    #[test]
    fn a_new_operation_without_its_action_is_caught() {
        assert!(actions_of("lambda", "CreateFunctionUrlConfig").is_none());
        assert!(actions_of("lambda", "Invoke").is_some());
    }

    /// What IAM checks of a policy document: the version, statements with unique alphanumeric
    /// Sids, Allow, actions of the `service:Action` shape, a resource, and the size of a managed
    /// policy (6,144 characters without white space).
    fn assert_valid_iam(name: &str, doc: &Value) {
        assert_eq!(doc["Version"], "2012-10-17", "{name}");
        let statements = doc["Statement"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}"));
        assert!(!statements.is_empty(), "{name}");
        let mut sids = BTreeSet::new();
        for s in statements {
            let keys: BTreeSet<&str> = s
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let allowed: BTreeSet<&str> = ["Sid", "Effect", "Action", "Resource", "Condition"]
                .into_iter()
                .collect();
            assert!(keys.is_subset(&allowed), "{name}: {keys:?}");
            let sid = s["Sid"].as_str().unwrap_or_default();
            assert!(
                !sid.is_empty() && sid.chars().all(|c| c.is_ascii_alphanumeric()),
                "{name}: Sid {sid:?}"
            );
            assert!(sids.insert(sid), "{name}: Sid {sid} twice");
            assert_eq!(s["Effect"], "Allow", "{name}");
            let actions: Vec<&str> = match &s["Action"] {
                Value::String(a) => vec![a.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                other => panic!("{name}: Action {other}"),
            };
            assert!(!actions.is_empty(), "{name}: {sid}");
            for a in &actions {
                assert!(is_action(a), "{name}: {a} is not an IAM action");
            }
            let mut sorted = actions.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted, actions, "{name}: {sid}: sorted, no repeats");
            assert!(
                s["Resource"].is_string() || s["Resource"].is_array(),
                "{name}"
            );
        }
        let compact: String = serde_json::to_string(doc)
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert!(
            compact.len() <= 6144,
            "{name}: {} characters, over IAM's 6,144 for a managed policy",
            compact.len()
        );
    }

    fn actions(doc: &Value) -> BTreeSet<String> {
        doc["Statement"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| match &s["Action"] {
                Value::String(a) => vec![a.clone()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => vec![],
            })
            .collect()
    }

    #[test]
    fn the_policies_are_valid_iam_and_list_only_what_hover_calls() {
        for (name, doc) in documents() {
            assert_valid_iam(name, &doc);
        }
        let plan = actions(&plan_policy());
        let deploy = actions(&deploy_policy());
        // Plan reads only; deploy holds every read too, and the writes.
        assert!(plan.is_subset(&deploy));
        for write in [
            "cloudformation:ExecuteChangeSet",
            "lambda:UpdateAlias",
            "s3:PutObject",
        ] {
            assert!(deploy.contains(write) && !plan.contains(write), "{write}");
        }
        assert!(
            plan.iter().all(|a| {
                let name = a.split_once(':').map(|(_, n)| n).unwrap_or_default();
                ["Get", "List", "Describe", "Filter", "GET"]
                    .iter()
                    .any(|p| name.starts_with(p))
            }),
            "{plan:?}"
        );
        // Nothing hover never calls: teardown, secrets, and anything beyond the table.
        for absent in [
            "cloudformation:DeleteStack",
            "ecr:DeleteRepository",
            "kms:Decrypt",
            "s3:DeleteBucket",
            "lambda:CreateFunction",
        ] {
            assert!(!deploy.contains(absent), "{absent}");
        }
        let known: BTreeSet<String> = OPERATIONS
            .iter()
            .filter_map(|o| actions_of(o.service, o.operation))
            .flat_map(|(_, a)| a.iter().map(|s| s.to_string()))
            .chain(PUSH_ACTIONS.iter().map(|s| s.to_string()))
            .chain(["iam:PassRole".to_string()])
            .collect();
        assert!(deploy.is_subset(&known));
        // The stack's role may create what the stack holds.
        let stack = actions(&stack_policy());
        for create in [
            "lambda:CreateFunction",
            "sqs:CreateQueue",
            "cloudfront:CreateDistribution",
            "iam:CreateRole",
            "apigateway:POST",
        ] {
            assert!(stack.contains(create), "{create}");
        }
        assert!(!stack.iter().any(|a| a.contains('.')), "{stack:?}");
    }

    #[test]
    fn the_stack_permissions_cover_every_type_the_stack_holds() {
        let covered = stack_permissions();
        for kind in crate::model::kinds::KINDS
            .iter()
            .filter(|k| k.provision.is_none())
        {
            assert!(
                covered.contains_key(kind.kind.as_str()),
                "{}: add it to tools/stack_permissions.py and rerun it",
                kind.kind
            );
        }
    }

    #[test]
    fn the_example_policies_are_current() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ci");
        for (name, doc) in documents() {
            let path = format!("{dir}/{name}");
            let expected = to_text(&doc);
            if std::env::var("HOVER_WRITE_POLICIES").is_ok() {
                std::fs::write(&path, &expected).unwrap_or_else(|e| panic!("{path}: {e}"));
            }
            let found = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                found == expected,
                "{path} differs from the operations hover calls: rerun with HOVER_WRITE_POLICIES=1"
            );
        }
    }
}
