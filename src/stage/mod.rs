//! The desired stage: a validated manifest turned into typed resources with the original Hover
//! names, stable logical ids, dependencies and stack outputs. Pure; no AWS.

pub use crate::naming::ids;

pub use ids::{pascal, queue_key, Scheme};

use crate::manifest::Manifest;
use crate::model::{DesiredStage, LiveTarget, Provisioner, Resource, StackState};
use crate::naming;
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

/// `{"Ref": id}`.
pub fn reference(id: &str) -> Value {
    json!({ "Ref": id })
}

/// `{"Fn::GetAtt": [id, attribute]}`.
pub fn get_att(id: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attribute] })
}

/// `{"Fn::Sub": text}`.
pub fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

/// One Lambda function of the stage and the names derived from it.
struct Function<'a> {
    part: ids::Part<'a>,
    /// Human role prefix: `http`, `cli`, `worker default`.
    role: String,
    name: String,
    memory: u32,
    timeout: u32,
    concurrency: Option<u32>,
    extra_env: Vec<(&'a str, String)>,
}

/// Builds the desired stage for `manifest`, every function running `image_tag`, with hover's
/// logical ids.
pub fn desired(manifest: &Manifest, image_tag: &str) -> DesiredStage {
    desired_with(manifest, image_tag, Scheme::Hover)
}

/// Builds the desired stage with the logical ids of `scheme` (the original's for a stage the
/// original Hover deployed: see [`ids`]).
pub fn desired_with(manifest: &Manifest, image_tag: &str, scheme: Scheme) -> DesiredStage {
    use ids::{Part, Rule};
    let mut b = Builder {
        n: manifest.name.clone(),
        ids: scheme,
        resources: BTreeMap::new(),
    };
    let n = b.n.clone();

    // Outside the stack: created directly before it.
    b.direct(
        "EcrRepository",
        "image repository",
        "AWS::ECR::Repository",
        &n,
        json!({ "RepositoryName": n, "ImageTagMutability": "MUTABLE" }),
    );
    let bucket = naming::bucket(&n);
    b.direct(
        "AssetsBucket",
        "assets bucket",
        "AWS::S3::Bucket",
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
    b.direct(
        "SecretsKey",
        "secrets key",
        "AWS::KMS::Key",
        &key_alias,
        json!({
            "Description": format!("Secrets of the hover stage {n}"),
            "KeyUsage": "ENCRYPT_DECRYPT",
            "Enabled": true,
            "EnableKeyRotation": true
        }),
    );

    // Queues first: the role's policy names them.
    let mut queue_ids = Vec::new();
    for (worker, settings) in &manifest.queue {
        for queue in &settings.queues {
            let naming::QueueNames {
                queue: qname,
                dead_letter: dlq_name,
                fifo,
            } = naming::queue(&n, queue);
            let id = scheme.queue(queue);
            let dlq_id = scheme.dead_letter(queue);
            let mut dlq = json!({
                "QueueName": dlq_name,
                "MessageRetentionPeriod": DLQ_RETENTION_SECONDS,
            });
            let mut q = json!({
                "QueueName": qname,
                "VisibilityTimeout": settings.visibility_timeout,
                "MessageRetentionPeriod": QUEUE_RETENTION_SECONDS,
                "RedrivePolicy": {
                    "deadLetterTargetArn": get_att(&dlq_id, "Arn"),
                    "maxReceiveCount": settings.tries,
                },
            });
            if fifo {
                dlq["FifoQueue"] = json!(true);
                q["FifoQueue"] = json!(true);
            }
            b.stack(
                &dlq_id,
                &format!("dead-letter queue of {queue}"),
                "AWS::SQS::Queue",
                &dlq_name,
                dlq,
            );
            b.stack(
                &id,
                &format!("queue {queue} (worker {worker})"),
                "AWS::SQS::Queue",
                &qname,
                q,
            );
            queue_ids.push(id);
        }
    }

    let role = match &manifest.auth.lambda_role {
        Some(arn) => Value::String(arn.clone()),
        None => {
            b.lambda_role(manifest, &queue_ids);
            get_att("LambdaRole", "Arn")
        }
    };

    let mut functions = vec![
        Function {
            part: Part::Http,
            role: "http".into(),
            name: naming::function(&n, Part::Http),
            memory: manifest.http.memory,
            timeout: manifest.http.timeout,
            concurrency: manifest.http.concurrency,
            extra_env: vec![],
        },
        Function {
            part: Part::Cli,
            role: "cli".into(),
            name: naming::function(&n, Part::Cli),
            memory: manifest.cli.memory,
            timeout: manifest.cli.timeout,
            concurrency: manifest.cli.concurrency,
            extra_env: vec![],
        },
    ];
    for (worker, settings) in &manifest.queue {
        let backoff: Vec<String> = settings.backoff.iter().map(u32::to_string).collect();
        functions.push(Function {
            part: Part::Worker(worker),
            role: format!("worker {worker}"),
            name: naming::function(&n, Part::Worker(worker)),
            memory: settings.memory,
            timeout: settings.timeout,
            concurrency: settings.concurrency,
            extra_env: vec![
                ("QUEUE_TRIES", settings.tries.to_string()),
                ("QUEUE_BACKOFF", backoff.join(",")),
            ],
        });
    }
    for f in &functions {
        b.function(manifest, f, &role, image_tag);
    }

    // Queue → worker mappings.
    for (worker, settings) in &manifest.queue {
        let alias = scheme.alias(Part::Worker(worker));
        for queue in &settings.queues {
            let id = scheme.queue(queue);
            b.stack(
                &scheme.mapping(queue),
                &format!("mapping {queue} -> worker {worker}"),
                "AWS::Lambda::EventSourceMapping",
                &format!(
                    "{} -> {}:{ALIAS}",
                    naming::queue(&n, queue).queue,
                    naming::function(&n, Part::Worker(worker))
                ),
                json!({
                    "EventSourceArn": get_att(&id, "Arn"),
                    "FunctionName": reference(&alias),
                    "BatchSize": 1,
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                    "Enabled": true,
                }),
            );
        }
    }

    // Scheduler and warmer rules.
    let schedule_input = json!({ "command": "schedule:run" }).to_string();
    b.rule(
        Rule::Scheduler,
        "scheduler",
        &naming::rule(&n, Rule::Scheduler),
        "rate(1 minute)",
        Part::Cli,
        "cli",
        &schedule_input,
        &n,
    );
    if manifest.http.warm > 0 {
        let warm_input = json!({ "warmer": true, "containers": manifest.http.warm }).to_string();
        b.rule(
            Rule::Warmer,
            "warmer",
            &naming::rule(&n, Rule::Warmer),
            "rate(5 minutes)",
            Part::Http,
            "http",
            &warm_input,
            &n,
        );
    }

    // HTTP API.
    let api = scheme.api();
    let integration = scheme.api_integration();
    let http_alias = scheme.alias(Part::Http);
    let distribution = scheme.distribution();
    b.stack(
        &api,
        "http api",
        "AWS::ApiGatewayV2::Api",
        &naming::api(&n),
        json!({ "Name": naming::api(&n), "ProtocolType": "HTTP" }),
    );
    b.stack(
        &integration,
        "http api integration",
        "AWS::ApiGatewayV2::Integration",
        &format!(
            "{} -> {}:{ALIAS}",
            naming::api(&n),
            naming::function(&n, Part::Http)
        ),
        json!({
            "ApiId": reference(&api),
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": reference(&http_alias),
            "PayloadFormatVersion": "2.0",
            "TimeoutInMillis": (manifest.http.timeout * 1000).min(30_000),
        }),
    );
    b.stack(
        &scheme.api_route(),
        "http api route",
        "AWS::ApiGatewayV2::Route",
        "$default",
        json!({
            "ApiId": reference(&api),
            "RouteKey": "$default",
            "Target": sub(&format!("integrations/${{{integration}}}")),
        }),
    );
    b.stack(
        &scheme.api_stage(),
        "http api stage",
        "AWS::ApiGatewayV2::Stage",
        "$default",
        json!({ "ApiId": reference(&api), "StageName": "$default", "AutoDeploy": true }),
    );
    let permission = scheme.api_permission();
    b.stack(&permission, "http api permission", "AWS::Lambda::Permission",
        &format!("apigateway -> {}:{ALIAS}", naming::function(&n, Part::Http)),
        json!({
            "Action": "lambda:InvokeFunction",
            "FunctionName": b.permission_target(Part::Http),
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": match scheme {
                Scheme::Hover => sub(&format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{api}}}/*")),
                // As the original wrote it: a permission cannot change in place.
                Scheme::Original => json!({ "Fn::Join": ["", [
                    "arn:aws:execute-api:", reference("AWS::Region"), ":", reference("AWS::AccountId"), ":",
                    reference(&api), "/*",
                ]] }),
            },
        }));
    b.depend(&permission, &http_alias);

    // CDN: the app through the API, /assets/* from the private bucket through an origin access control.
    b.stack(
        "AssetsOriginAccessControl",
        "assets origin access control",
        "AWS::CloudFront::OriginAccessControl",
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
    let mut config = json!({
        "Comment": n,
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
                "DomainName": format!("{bucket}.s3.{}.amazonaws.com", manifest.region),
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
    b.stack(
        &distribution,
        "cdn distribution",
        "AWS::CloudFront::Distribution",
        &n,
        json!({ "DistributionConfig": config }),
    );
    b.stack("AssetsBucketPolicy", "assets bucket policy", "AWS::S3::BucketPolicy", &bucket,
        json!({
            "Bucket": bucket,
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "CloudFrontReadsAssets",
                    "Effect": "Allow",
                    "Principal": { "Service": "cloudfront.amazonaws.com" },
                    "Action": "s3:GetObject",
                    "Resource": format!("arn:aws:s3:::{bucket}/assets/*"),
                    "Condition": {
                        "StringEquals": {
                            "AWS:SourceArn": sub(&format!("arn:${{AWS::Partition}}:cloudfront::${{AWS::AccountId}}:distribution/${{{distribution}}}")),
                        }
                    },
                }],
            },
        }));
    b.depend("AssetsBucketPolicy", "AssetsBucket");

    let outputs = BTreeMap::from([
        ("ApiEndpoint".to_string(), get_att(&api, "ApiEndpoint")),
        (
            "CdnDomain".to_string(),
            get_att(&distribution, "DomainName"),
        ),
    ]);
    DesiredStage {
        name: n,
        region: manifest.region.clone(),
        image_tag: image_tag.to_string(),
        stack_role: manifest.auth.stack_role.clone(),
        ids: scheme,
        resources: b.resources,
        outputs,
    }
}

struct Builder {
    n: String,
    ids: Scheme,
    resources: BTreeMap<String, Resource>,
}

impl Builder {
    fn add(
        &mut self,
        id: &str,
        role: &str,
        ty: &str,
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
                resource_type: ty.to_string(),
                name: name.to_string(),
                provisioner,
                properties,
                depends_on,
            },
        );
    }

    fn stack(&mut self, id: &str, role: &str, ty: &str, name: &str, props: Value) {
        self.add(id, role, ty, name, Provisioner::Stack, props)
    }

    fn direct(&mut self, id: &str, role: &str, ty: &str, name: &str, props: Value) {
        self.add(id, role, ty, name, Provisioner::Direct, props)
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

    fn lambda_role(&mut self, manifest: &Manifest, queue_ids: &[String]) {
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
        self.stack(
            "LambdaRole",
            "lambda role",
            "AWS::IAM::Role",
            &format!("{n} functions' role"),
            props,
        );
        self.depend("LambdaRole", "SecretsKey");
    }

    fn function(&mut self, manifest: &Manifest, f: &Function<'_>, role: &Value, image_tag: &str) {
        let n = self.n.clone();
        let log_id = self.ids.log_group(f.part);
        let fn_id = self.ids.function(f.part);
        let log_name = format!("/aws/lambda/{}", f.name);
        // The original named the log group after its function's `Ref`; the same expression
        // keeps CloudFormation from seeing a change of a name that cannot change in place.
        let log_value = match self.ids {
            Scheme::Hover => json!(log_name),
            Scheme::Original => json!({ "Fn::Join": ["/", ["/aws/lambda", reference(&fn_id)]] }),
        };
        self.stack(
            &log_id,
            &format!("{} log group", f.role),
            "AWS::Logs::LogGroup",
            &log_name,
            json!({ "LogGroupName": log_value, "RetentionInDays": manifest.log_retention_days }),
        );

        let mut env: BTreeMap<String, Value> = manifest
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let hover_env = [
            (
                "SQS_PREFIX",
                sub("https://sqs.${AWS::Region}.${AWS::URLSuffix}/${AWS::AccountId}"),
            ),
            ("SQS_SUFFIX", json!(format!("-{n}"))),
            ("ASSET_URL", json!(format!("/assets/{image_tag}"))),
            ("CACHE_PREFIX", json!(n)),
            (
                "APP_CONFIG_CACHE",
                json!("/tmp/storage/bootstrap/cache/config.php"),
            ),
        ];
        for (k, v) in hover_env {
            env.insert(k.to_string(), v);
        }
        for (k, v) in &f.extra_env {
            env.insert(k.to_string(), json!(v));
        }
        let mut props = json!({
            "FunctionName": f.name,
            "PackageType": "Image",
            "Code": { "ImageUri": sub(&format!("${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{n}:{image_tag}")) },
            "Role": role,
            "MemorySize": f.memory,
            "Timeout": f.timeout,
            "Environment": { "Variables": env },
        });
        if let Some(c) = f.concurrency {
            props["ReservedConcurrentExecutions"] = json!(c);
        }
        if let Some(vpc) = &manifest.vpc {
            let mut subnets = vpc.subnets.clone();
            subnets.sort();
            let mut groups = vpc.security_groups.clone();
            groups.sort();
            props["VpcConfig"] = json!({ "SubnetIds": subnets, "SecurityGroupIds": groups });
        }
        self.stack(
            &fn_id,
            &format!("{} function", f.role),
            "AWS::Lambda::Function",
            &f.name,
            props,
        );
        if self.ids == Scheme::Hover {
            self.depend(&fn_id, &log_id);
        }
        self.depend(&fn_id, "EcrRepository");
        self.stack(&self.ids.alias(f.part), &format!("{} alias", f.role), "AWS::Lambda::Alias",
            &format!("{}:{ALIAS}", f.name),
            json!({ "FunctionName": reference(&fn_id), "Name": ALIAS, "FunctionVersion": "$LATEST" }));
    }

    #[allow(clippy::too_many_arguments)]
    fn rule(
        &mut self,
        rule: ids::Rule,
        role: &str,
        name: &str,
        schedule: &str,
        part: ids::Part<'_>,
        target: &str,
        input: &str,
        n: &str,
    ) {
        let rule_id = self.ids.rule(rule);
        let alias = self.ids.alias(part);
        let permission = self.ids.rule_permission(rule);
        self.stack(
            &rule_id,
            &format!("{role} rule"),
            "AWS::Events::Rule",
            name,
            json!({
                "Name": name,
                "ScheduleExpression": schedule,
                "State": "ENABLED",
                "Targets": [{ "Id": target, "Arn": reference(&alias), "Input": input }],
            }),
        );
        let function = self.permission_target(part);
        self.stack(
            &permission,
            &format!("{role} permission"),
            "AWS::Lambda::Permission",
            &format!("events -> {}:{ALIAS}", naming::function(n, part)),
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": function,
                "Principal": "events.amazonaws.com",
                "SourceArn": get_att(&rule_id, "Arn"),
            }),
        );
        // The original made its warmer permission (not its scheduler's) wait for the alias; the
        // same dependencies leave the permission unchanged.
        if self.ids == Scheme::Hover || rule == ids::Rule::Warmer {
            self.depend(&permission, &alias);
        }
    }
}

/// Pseudo parameters (`AWS::Region`…) are not resources.
pub fn is_pseudo(name: &str) -> bool {
    name.starts_with("AWS::")
}

/// Logical ids referenced by `Ref`, `Fn::GetAtt` and `Fn::Sub` anywhere inside `value`.
pub fn collect_references(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let Some((k, v)) = map.iter().next() else {
                return;
            };
            match (k.as_str(), v) {
                ("Ref", Value::String(id)) if !is_pseudo(id) => {
                    out.insert(id.clone());
                }
                ("Fn::GetAtt", Value::Array(parts)) => {
                    if let Some(Value::String(id)) = parts.first() {
                        out.insert(id.clone());
                    }
                }
                ("Fn::Sub", Value::String(text)) => {
                    for var in sub_variables(text) {
                        let id = var.split('.').next().unwrap_or(var);
                        if !is_pseudo(id) {
                            out.insert(id.to_string());
                        }
                    }
                }
                _ => collect_references(v, out),
            }
        }
        Value::Object(map) => map.values().for_each(|v| collect_references(v, out)),
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}

/// The `${...}` variables of an `Fn::Sub` string (`${!Literal}` excluded).
pub fn sub_variables(text: &str) -> Vec<&str> {
    let mut vars = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let var = &after[..end];
                if !var.starts_with('!') {
                    vars.push(var);
                }
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    vars
}

/// What `live` must look up for each resource: desired ones by name, and those only the stack
/// still holds by their physical id. A role whose name CloudFormation assigns (the stage's
/// `LambdaRole`) is looked up by the name the stack records, and only when it records one.
/// `account` completes ARNs used as lookup keys.
pub fn live_targets(
    desired: &DesiredStage,
    stack: Option<&StackState>,
    account: &str,
) -> Vec<LiveTarget> {
    let n = &desired.name;
    let region = &desired.region;
    let physical = |id: &str| {
        stack
            .and_then(|s| s.resources.get(id))
            .map(|r| r.physical_id.clone())
    };
    let prop = |r: &Resource, key: &str| {
        r.properties
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut targets = Vec::new();
    for r in desired.resources.values() {
        let mut keys = BTreeMap::new();
        let name = match r.resource_type.as_str() {
            "AWS::Lambda::Function"
            | "AWS::Logs::LogGroup"
            | "AWS::Events::Rule"
            | "AWS::ECR::Repository"
            | "AWS::S3::Bucket"
            | "AWS::KMS::Key"
            | "AWS::SQS::Queue"
            | "AWS::ApiGatewayV2::Api" => Some(r.name.clone()),
            "AWS::Lambda::Alias" => {
                let function = r.name.trim_end_matches(&format!(":{ALIAS}")).to_string();
                keys.insert("function".into(), function);
                Some(ALIAS.to_string())
            }
            "AWS::Lambda::EventSourceMapping" => {
                let (queue, function) = r.name.split_once(" -> ").unwrap_or(("", ""));
                let (function, qualifier) = function.split_once(':').unwrap_or((function, ALIAS));
                keys.insert("function".into(), function.to_string());
                keys.insert("qualifier".into(), qualifier.to_string());
                keys.insert(
                    "queue_arn".into(),
                    format!("arn:aws:sqs:{region}:{account}:{queue}"),
                );
                Some(r.name.clone())
            }
            "AWS::ApiGatewayV2::Integration"
            | "AWS::ApiGatewayV2::Route"
            | "AWS::ApiGatewayV2::Stage" => {
                keys.insert("api_name".into(), naming::api(n));
                if let Some(k) = prop(r, "RouteKey") {
                    keys.insert("route_key".into(), k);
                }
                if let Some(k) = prop(r, "StageName") {
                    keys.insert("stage_name".into(), k);
                }
                Some(r.name.clone())
            }
            "AWS::CloudFront::Distribution" => {
                keys.insert("comment".into(), n.clone());
                Some(r.name.clone())
            }
            "AWS::CloudFront::OriginAccessControl" => Some(r.name.clone()),
            "AWS::S3::BucketPolicy" => {
                keys.insert("bucket".into(), prop(r, "Bucket").unwrap_or_default());
                Some(r.name.clone())
            }
            // CloudFormation names the role: read it only once the stack records that name.
            "AWS::IAM::Role" => physical(&r.logical_id).filter(|p| !p.is_empty()),
            // Only known through the stack.
            _ => None,
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
        let edges: Vec<(String, String)> = s
            .resources
            .values()
            .flat_map(|r| {
                r.depends_on
                    .iter()
                    .map(move |d| (d.clone(), r.logical_id.clone()))
            })
            .collect();
        assert!(crate::plan::graph::order(&nodes, &edges).is_ok());
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
        let edges: Vec<(String, String)> = s
            .resources
            .values()
            .flat_map(|r| {
                r.depends_on
                    .iter()
                    .map(move |d| (d.clone(), r.logical_id.clone()))
            })
            .collect();
        assert!(crate::plan::graph::order(&nodes, &edges).is_ok());
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
}
