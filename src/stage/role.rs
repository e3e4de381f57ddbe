//! The functions' role, made by the stack unless the manifest names one: logs, invoking the
//! stage's functions, decrypting its secrets, using its queues.

use super::Builder;
use crate::manifest::Manifest;
use crate::model::ResourceKind;
use crate::naming;
use crate::template::intrinsics::{get_att, sub};
use serde_json::json;

impl Builder {
    /// The `LambdaRole` with its inline policy; `queue_ids` are the queues it may use.
    pub(super) fn lambda_role(&mut self, manifest: &Manifest, queue_ids: &[String]) {
        let n = &self.n;
        let mut statements = vec![
            json!({
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": sub(&format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/{n}-*:*")),
            }),
            json!({
                "Sid": "InvokeStageFunctions",
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": sub(&format!("arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{n}-*")),
            }),
            json!({
                "Sid": "ReadMaintenanceState",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": sub(&format!("arn:${{AWS::Partition}}:s3:::{}/{}", naming::bucket(n), naming::MAINTENANCE_KEY)),
            }),
            json!({
                "Sid": "DecryptStageSecrets",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": { "ForAnyValue:StringEquals": { "kms:ResourceAliases": naming::secrets_key_alias(n) } },
            }),
        ];
        if !queue_ids.is_empty() {
            statements.push(json!({
                "Sid": "UseStageQueues",
                "Effect": "Allow",
                "Action": [
                    "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"
                ],
                "Resource": queue_ids.iter().map(|id| get_att(id, "Arn")).collect::<Vec<_>>(),
            }));
        }
        let mut props = json!({
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "lambda.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                }],
            },
            "Policies": [{
                "PolicyName": "hover-stage",
                "PolicyDocument": { "Version": "2012-10-17", "Statement": statements },
            }],
        });
        if manifest.vpc.is_some() {
            props["ManagedPolicyArns"] = json!([sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
            )]);
        }
        let name = format!("{n} functions' role");
        self.stack(
            "LambdaRole",
            "lambda role",
            ResourceKind::Role,
            &name,
            props,
        );
        self.depend("LambdaRole", "SecretsKey");
    }
}
