"""The CloudFormation template the original Hover wrote for a stage, from the reference table
("The original's template, by logical ID" in HOVER-REFERENCE.md): its logical ids, names and
property shapes (Fn::Join, Fn::Select/Fn::Split, Fn::Sub with variables), so the tests can create a
stage exactly as the original left it and have hover take it over.

`stage_template(manifest, image_uri, build_id)` takes the manifest as a dict (the stage file as
YAML-loaded) and returns the template as a dict.
"""
import hashlib
import json

ALIAS = "live"


def _join(sep, *parts):
    return {"Fn::Join": [sep, list(parts)]}


def _function(resource, function_name, image_uri, m, build_id, timeout, memory, concurrency):
    vpc = m.get("vpc") or {}
    props = {
        "FunctionName": f"{m['name']}-{function_name}",
        "Role": (m.get("auth") or {}).get("lambda-role", ""),
        "Environment": {
            "Variables": {
                "SQS_PREFIX": _join(
                    "", "https://", "sqs.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}, "/",
                    {"Ref": "AWS::AccountId"},
                ),
                "ASSET_URL": _join("/", "assets", build_id),
                "SQS_SUFFIX": "-" + m["name"],
                "CACHE_PREFIX": m["name"],
                "CF_DOMAIN": {"Fn::GetAtt": ["CFDistribution", "DomainName"]},
                "APP_CONFIG_CACHE": "/tmp/storage/bootstrap/cache/config.php",
                "APP_EVENTS_CACHE": "/tmp/storage/bootstrap/cache/events.php",
                "APP_ROUTES_CACHE": "/tmp/storage/bootstrap/cache/routes-v7.php",
            }
        },
        "PackageType": "Image",
        "Code": {"ImageUri": image_uri},
        # Always present in the original, possibly with empty lists.
        "VpcConfig": {
            "SecurityGroupIds": vpc.get("security-groups", []),
            "SubnetIds": vpc.get("subnets", []),
        },
    }
    # Only when non-zero: 0 meant "unset".
    if concurrency:
        props["ReservedConcurrentExecutions"] = concurrency
    if timeout:
        props["Timeout"] = timeout
    if memory:
        props["MemorySize"] = memory
    return {
        resource: {"Type": "AWS::Lambda::Function", "Properties": props},
        resource + "LogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": _join("/", "/aws/lambda", {"Ref": resource}),
                "RetentionInDays": 14,
            },
        },
    }


def _alias(function_resource, resource):
    return {
        resource: {
            "Type": "AWS::Lambda::Alias",
            "Properties": {"FunctionName": {"Ref": function_resource}, "FunctionVersion": "$LATEST", "Name": ALIAS},
        }
    }


def _qualified(function_resource):
    return _join(":", {"Ref": function_resource}, ALIAS)


def _rule(prefix, rule_name, permission, function_resource, schedule, target_id, payload, depends=None):
    rule = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "Name": rule_name,
            "ScheduleExpression": schedule,
            "State": "ENABLED",
            "Targets": [
                {
                    "Arn": _join(":", {"Fn::GetAtt": [function_resource, "Arn"]}, ALIAS),
                    "Id": target_id,
                    "Input": payload,
                }
            ],
        },
    }
    perm = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": _qualified(function_resource),
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": [prefix, "Arn"]},
        },
    }
    if depends:
        rule["DependsOn"] = [depends]
        perm["DependsOn"] = [depends]
    return {prefix: rule, permission: perm}


def _queue(worker_resource, resource, queue_name, name, visibility):
    return {
        resource: {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": f"{queue_name}-{name}", "VisibilityTimeout": visibility or 3},
        },
        resource + "QueueSourceMapping": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "BatchSize": 1,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "EventSourceArn": {"Fn::GetAtt": [resource, "Arn"]},
                "FunctionName": _qualified(worker_resource),
            },
        },
    }


def _api(name):
    return {
        "ApiGateway": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": f"{name}-api", "ProtocolType": "HTTP"}},
        "ApiGatewayLambdaIntegration": {
            "Type": "AWS::ApiGatewayV2::Integration",
            "DependsOn": ["HTTPLambdaLiveAlias"],
            "Properties": {
                "ApiId": {"Ref": "ApiGateway"},
                "IntegrationType": "AWS_PROXY",
                "IntegrationMethod": "POST",
                "PayloadFormatVersion": "2.0",
                "IntegrationUri": {
                    "Fn::Sub": [
                        "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${functionArn}:live/invocations",
                        {"functionArn": {"Fn::GetAtt": ["HTTPLambda", "Arn"]}},
                    ]
                },
            },
        },
        "ApiGatewayRoute": {
            "Type": "AWS::ApiGatewayV2::Route",
            "DependsOn": ["ApiGatewayLambdaIntegration"],
            "Properties": {
                "ApiId": {"Ref": "ApiGateway"},
                "RouteKey": "$default",
                "AuthorizationType": "NONE",
                "Target": _join("/", "integrations", {"Ref": "ApiGatewayLambdaIntegration"}),
            },
        },
        "ApiGatewayStage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"ApiId": {"Ref": "ApiGateway"}, "StageName": "$default", "AutoDeploy": True},
        },
        "ApiGatewayInvokePermission": {
            "Type": "AWS::Lambda::Permission",
            "DependsOn": ["HTTPLambdaLiveAlias"],
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": _qualified("HTTPLambda"),
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": _join(
                    "", "arn:aws:execute-api:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":",
                    {"Ref": "ApiGateway"}, "/*",
                ),
            },
        },
    }


def _domains(m):
    domains = (m.get("http") or {}).get("domains") or []
    if isinstance(domains, str):
        domains = [d.strip() for d in domains.split(",") if d.strip()]
    return domains


def _distribution(m):
    name, region = m["name"], m["region"]
    config = {
        "HttpVersion": "http2",
        "Origins": [
            {
                "Id": "assets-bucket",
                "DomainName": f"{name}-assets.s3.{region}.amazonaws.com",
                "S3OriginConfig": {"OriginAccessIdentity": ""},
            },
            {
                "Id": "gateway",
                "DomainName": {
                    "Fn::Select": ["1", {"Fn::Split": ["//", {"Fn::GetAtt": ["ApiGateway", "ApiEndpoint"]}]}]
                },
                "CustomOriginConfig": {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]},
            },
        ],
        "Enabled": "true",
        "Comment": name,
        "DefaultCacheBehavior": {
            "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
            "TargetOriginId": "gateway",
            "CachePolicyId": "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
            "ViewerProtocolPolicy": "redirect-to-https",
        },
        "CacheBehaviors": [
            {
                "AllowedMethods": ["GET", "HEAD", "OPTIONS"],
                "TargetOriginId": "assets-bucket",
                "PathPattern": "/assets/*",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                "OriginRequestPolicyId": "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
                "ViewerProtocolPolicy": "redirect-to-https",
            }
        ],
    }
    domains = _domains(m)
    if domains:
        config["Aliases"] = domains
        config["ViewerCertificate"] = {
            "AcmCertificateArn": (m.get("http") or {}).get("certificate"),
            "SslSupportMethod": "sni-only",
        }
    return {
        "CFDistribution": {
            "Type": "AWS::CloudFront::Distribution",
            "DependsOn": ["ApiGateway"],
            "Properties": {"DistributionConfig": config},
        }
    }


def stage_template(m, image_uri, build_id):
    """The original's template for manifest `m` (a dict), every function running `image_uri`."""
    name = m["name"]
    http = m.get("http") or {}
    cli = m.get("cli") or {}
    resources = {}
    resources.update(_function("HTTPLambda", "http", image_uri, m, build_id,
                               http.get("timeout", 0), http.get("memory", 0), http.get("concurrency", 0)))
    resources.update(_alias("HTTPLambda", "HTTPLambdaLiveAlias"))
    warm = http.get("warm") or 1
    resources.update(_rule("WarmerEventRule", f"{name}-warmer", "WarmerEventInvokePermission", "HTTPLambda",
                           "rate(5 minutes)", "hover-warmer", '{"warmer": true, "containers": %d}' % warm,
                           depends="HTTPLambdaLiveAlias"))
    resources.update(_api(name))
    resources.update(_function("CliLambda", "cli", image_uri, m, build_id,
                               cli.get("timeout", 0), cli.get("memory", 0), cli.get("concurrency", 0)))
    resources.update(_alias("CliLambda", "CliLambdaLiveAlias"))
    resources.update(_rule("SchedulerEventRule", f"{name}-scheduler", "SchedulerEventRuleInvokePermission",
                           "CliLambda", "rate(1 minute)", "hover-scheduler", '{"command": "schedule:run"}'))
    resources.update(_distribution(m))
    for key, worker in (m.get("queue") or {}).items():
        worker = worker or {}
        fn = key + "QueueLambda"
        resources.update(_function(fn, key + "-queue", image_uri, m, build_id,
                                   worker.get("timeout", 0), worker.get("memory", 0), worker.get("concurrency", 0)))
        resources.update(_alias(fn, key + "LambdaLiveAlias"))
        for q in worker.get("queues") or [key]:
            resources.update(_queue(fn, q + "Queue", q, name, worker.get("timeout", 0) + 10))
    signature = hashlib.md5(json.dumps(m, sort_keys=True).encode()).hexdigest()
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": resources,
        "Outputs": {
            "Signature": {"Value": signature},
            "StageName": {"Value": name},
            "BuildId": {"Value": build_id},
            "CDNDomain": {"Value": {"Fn::GetAtt": ["CFDistribution", "DomainName"]}},
        },
    }


def deploy(aws, m, build_id, lambda_role=True):
    """Deploys stage `m` as the original did: repository, bucket, image, then the stack (created
    directly, not through a change set) with its template. Returns the stack's resources by id."""
    name = m["name"]
    account = aws.sts.get_caller_identity()["Account"]
    image_uri = f"{account}.dkr.ecr.{aws.region}.amazonaws.com/{name}:{build_id}"
    if aws.region == "us-east-1":
        aws.s3.create_bucket(Bucket=f"{name}-assets")
    else:
        aws.s3.create_bucket(Bucket=f"{name}-assets", CreateBucketConfiguration={"LocationConstraint": aws.region})
    body = json.dumps(stage_template(m, image_uri, build_id))
    aws.cloudformation.create_stack(StackName=name, TemplateBody=body)
    aws.cloudformation.get_waiter("stack_create_complete").wait(
        StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    listed = aws.cloudformation.describe_stack_resources(StackName=name)["StackResources"]
    return {r["LogicalResourceId"]: r for r in listed}


def lambda_role(aws, name):
    """The execution role an original stage names in `auth.lambda-role`."""
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    role = aws.iam.create_role(RoleName=f"{name}-lambda", AssumeRolePolicyDocument=json.dumps(doc))
    return role["Role"]["Arn"]
