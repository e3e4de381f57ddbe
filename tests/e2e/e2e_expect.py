"""What a stage must look like, computed from its manifest (independently of hover's code), and
the checks that read it back through boto3 field by field."""
import ast
import json
import re

ACCOUNT = "123456789012"
ALIAS = "live"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
QUEUE_RETENTION = 345_600
DLQ_RETENTION = 1_209_600

# Documented defaults (src/manifest/mod.rs `defaults`).
HTTP_DEFAULTS = {"memory": 512, "timeout": 28, "concurrency": None, "warm": 1}
CLI_DEFAULTS = {"memory": 512, "timeout": 900, "concurrency": None}
WORKER_DEFAULTS = {"memory": 512, "timeout": 60, "concurrency": None, "tries": 3, "backoff": ""}
LOG_RETENTION = 14


# -- the manifest, resolved ------------------------------------------------------------------


def pascal(key):
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", key) if p)


def domains_of(manifest):
    d = (manifest.get("http") or {}).get("domains") or []
    if isinstance(d, str):
        d = [x.strip() for x in d.split(",") if x.strip()]
    return d


def resolved(manifest):
    """The manifest with every default made explicit."""
    http = {**HTTP_DEFAULTS, **(manifest.get("http") or {})}
    cli = {**CLI_DEFAULTS, **(manifest.get("cli") or {})}
    workers = {}
    for key, w in (manifest.get("queue") or {}).items():
        w = {**WORKER_DEFAULTS, **w}
        w.setdefault("visibility-timeout", w["timeout"] + 10)
        backoff = str(w["backoff"]) if w["backoff"] is not None else ""
        w["backoff_env"] = ",".join(x.strip() for x in backoff.split(",") if x.strip())
        workers[key] = w
    return {
        "name": manifest["name"],
        "region": manifest.get("region", "us-east-1"),
        "environment": {k: str(v) for k, v in (manifest.get("environment") or {}).items()},
        "log_retention": manifest.get("log-retention", LOG_RETENTION),
        "vpc": manifest.get("vpc"),
        "http": http,
        "cli": cli,
        "workers": workers,
        "domains": domains_of(manifest),
        "certificate": http.get("certificate"),
        "lambda_role": (manifest.get("auth") or {}).get("lambda-role"),
    }


def functions(m):
    """(logical-id prefix, function name, settings, worker key or None) of every function."""
    n = m["name"]
    out = [("Http", f"{n}-http", m["http"], None), ("Cli", f"{n}-cli", m["cli"], None)]
    for key, w in sorted(m["workers"].items()):
        out.append((f"Worker{pascal(key)}", f"{n}-{key}-queue", w, key))
    return out


def queues(m):
    """(logical id, queue name, dlq name, worker key, worker settings) of every queue."""
    n = m["name"]
    out = []
    for key, w in sorted(m["workers"].items()):
        for q in w["queues"]:
            out.append((f"Queue{pascal(q)}", f"{q}-{n}", f"{q}-{n}-dlq", key, w))
    return out


def expected_resources(manifest):
    """{logical id: resource type} of every resource hover manages for `manifest` (src/stage.rs)."""
    m = resolved(manifest)
    r = {
        "EcrRepository": "AWS::ECR::Repository",
        "AssetsBucket": "AWS::S3::Bucket",
        "SecretsKey": "AWS::KMS::Key",
        "SchedulerRule": "AWS::Events::Rule",
        "SchedulerPermission": "AWS::Lambda::Permission",
        "HttpApi": "AWS::ApiGatewayV2::Api",
        "HttpApiIntegration": "AWS::ApiGatewayV2::Integration",
        "HttpApiRoute": "AWS::ApiGatewayV2::Route",
        "HttpApiStage": "AWS::ApiGatewayV2::Stage",
        "HttpApiPermission": "AWS::Lambda::Permission",
        "AssetsOriginAccessControl": "AWS::CloudFront::OriginAccessControl",
        "Distribution": "AWS::CloudFront::Distribution",
        "AssetsBucketPolicy": "AWS::S3::BucketPolicy",
    }
    if not m["lambda_role"]:
        r["LambdaRole"] = "AWS::IAM::Role"
    if m["http"]["warm"] > 0:
        r["WarmerRule"] = "AWS::Events::Rule"
        r["WarmerPermission"] = "AWS::Lambda::Permission"
    for prefix, _, _, _ in functions(m):
        r[f"{prefix}Function"] = "AWS::Lambda::Function"
        r[f"{prefix}Alias"] = "AWS::Lambda::Alias"
        r[f"{prefix}LogGroup"] = "AWS::Logs::LogGroup"
    for qid, _, _, _, _ in queues(m):
        r[qid] = "AWS::SQS::Queue"
        r[f"{qid}DeadLetter"] = "AWS::SQS::Queue"
        r[f"{qid}Mapping"] = "AWS::Lambda::EventSourceMapping"
    return r


DIRECT = {"EcrRepository", "AssetsBucket", "SecretsKey"}


def expected_names(manifest):
    """{logical id: hover's display name} for the resources whose name is an AWS name."""
    m = resolved(manifest)
    n = m["name"]
    names = {
        "EcrRepository": n,
        "AssetsBucket": f"{n}-assets",
        "SecretsKey": f"alias/{n}-secrets-key",
        "SchedulerRule": f"{n}-scheduler",
        "HttpApi": f"{n}-api",
        "Distribution": n,
    }
    if m["http"]["warm"] > 0:
        names["WarmerRule"] = f"{n}-warmer"
    for prefix, fname, _, _ in functions(m):
        names[f"{prefix}Function"] = fname
        names[f"{prefix}LogGroup"] = f"/aws/lambda/{fname}"
    for qid, qname, dlq, _, _ in queues(m):
        names[qid] = qname
        names[f"{qid}DeadLetter"] = dlq
    return names


# -- plans --------------------------------------------------------------------------------------


def by_address(plan):
    out = {}
    for rc in plan["resource_changes"]:
        assert rc["address"] not in out, f"address {rc['address']} listed twice in the plan"
        out[rc["address"]] = rc
    return out


def assert_plan(plan, expected, summary=None):
    """Every resource in `plan` has the actions `expected[address]`, or ["no-op"] when absent
    from `expected`; every address in `expected` is in the plan."""
    got = by_address(plan)
    missing = sorted(set(expected) - set(got))
    assert not missing, f"addresses missing from the plan: {missing}"
    wrong = {
        a: (rc["change"]["actions"], expected.get(a, ["no-op"]))
        for a, rc in got.items()
        if rc["change"]["actions"] != expected.get(a, ["no-op"])
    }
    assert not wrong, "unexpected actions (got, expected):\n" + "\n".join(
        f"  {a}: {g} expected {e}" for a, (g, e) in sorted(wrong.items())
    )
    if summary is not None:
        assert plan["summary"] == summary, plan["summary"]


def assert_creation_plan(plan, manifest, image_registered):
    """On an empty account every resource is a create (the ECR repository is a no-op when the
    image was registered first, which creates it) with the expected type and name."""
    expected = expected_resources(manifest)
    got = by_address(plan)
    assert set(got) == set(expected), (
        f"plan addresses differ: missing {sorted(set(expected) - set(got))}, "
        f"unexpected {sorted(set(got) - set(expected))}"
    )
    for address, rc in got.items():
        assert rc["type"] == expected[address], (address, rc["type"], expected[address])
        want = ["no-op"] if (address == "EcrRepository" and image_registered) else ["create"]
        assert rc["change"]["actions"] == want, (address, rc["change"]["actions"])
        assert rc["provisioner"] == ("direct" if address in DIRECT else "stack"), (address, rc["provisioner"])
    for address, name in expected_names(manifest).items():
        assert got[address]["name"] == name, (address, got[address]["name"], name)
    creates = len(expected) - (1 if image_registered else 0)
    assert plan["summary"] == {"add": creates, "change": 0, "destroy": 0}, plan["summary"]
    assert plan["resource_drift"] == [], plan["resource_drift"]


def changed(plan, address):
    """{attribute name: cause} of one resource's change."""
    rc = by_address(plan)[address]
    return {a["name"]: a["cause"] for a in rc.get("changed_attributes", [])}


# -- reading the stage back ---------------------------------------------------------------------


def _policy_document(text):
    """An IAM policy document as returned (JSON; some emulators return a Python repr)."""
    if isinstance(text, dict):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return ast.literal_eval(text)


def stack_resources(aws, name):
    out = {}
    paginator = aws.cloudformation.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=name):
        for r in page["StackResourceSummaries"]:
            out[r["LogicalResourceId"]] = r
    return out


def find_api(aws, name):
    apis = [a for a in aws.apigatewayv2.get_apis()["Items"] if a["Name"] == f"{name}-api"]
    assert len(apis) == 1, f"expected one HTTP API named {name}-api, found {len(apis)}"
    return apis[0]


def find_distribution(aws, name):
    items = aws.cloudfront.list_distributions()["DistributionList"].get("Items", [])
    found = [d for d in items if d["Comment"] == name]
    assert len(found) == 1, f"expected one distribution with Comment {name}, found {len(found)}"
    return found[0]


def queue_url(aws, qname):
    return aws.sqs.get_queue_url(QueueName=qname)["QueueUrl"]


def queue_attributes(aws, qname):
    return aws.sqs.get_queue_attributes(QueueUrl=queue_url(aws, qname), AttributeNames=["All"])["Attributes"]


def check_stage(stage):
    """Reads every resource of `stage` through the services' APIs and compares it with its
    manifest, field by field."""
    aws = stage.aws
    m = resolved(stage.manifest)
    n, region, tag = m["name"], m["region"], stage.image_tag
    arn_fn = f"arn:aws:lambda:{region}:{ACCOUNT}:function"
    expected = expected_resources(stage.manifest)

    # The stack holds exactly the stack resources.
    stack = aws.cloudformation.describe_stacks(StackName=n)["Stacks"][0]
    assert stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack["StackStatus"]
    resources = stack_resources(aws, n)
    assert set(resources) == set(expected) - DIRECT, (
        f"stack resources differ: missing {sorted(set(expected) - DIRECT - set(resources))}, "
        f"unexpected {sorted(set(resources) - set(expected))}"
    )
    for lid, r in resources.items():
        assert r["ResourceType"] == expected[lid], (lid, r["ResourceType"])
        assert r["ResourceStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), (lid, r["ResourceStatus"])

    # Role of the functions.
    if m["lambda_role"]:
        role_arn = m["lambda_role"]
    else:
        role_name = resources["LambdaRole"]["PhysicalResourceId"]
        role_arn = aws.iam.get_role(RoleName=role_name)["Role"]["Arn"]
        doc = _policy_document(aws.iam.get_role_policy(RoleName=role_name, PolicyName="hover-stage")["PolicyDocument"])
        statements = {s["Sid"]: s for s in doc["Statement"]}
        queue_arns = sorted(f"arn:aws:sqs:{region}:{ACCOUNT}:{q}" for _, q, _, _, _ in queues(m))
        if queue_arns:
            granted = statements["UseStageQueues"]["Resource"]
            granted = [granted] if isinstance(granted, str) else granted
            assert sorted(granted) == queue_arns, ("role grants the queues", granted, queue_arns)
        else:
            assert "UseStageQueues" not in statements
        # Functions in a VPC need the managed VPC access policy, and nothing else is attached.
        attached = aws.iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
        managed = sorted(p["PolicyArn"] for p in attached)
        vpc_policy = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
        assert managed == ([vpc_policy] if m["vpc"] else []), ("VPC access policy", managed)

    # Functions, aliases, log groups.
    base_env = {
        "SQS_PREFIX": f"https://sqs.{region}.amazonaws.com/{ACCOUNT}",
        "SQS_SUFFIX": f"-{n}",
        "ASSET_URL": f"/assets/{tag}",
        "CACHE_PREFIX": n,
        "APP_CONFIG_CACHE": "/tmp/storage/bootstrap/cache/config.php",
        "HOVER_MAINTENANCE_BUCKET": f"{n}-assets",
    }
    image_uri = f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{n}:{tag}"
    for prefix, fname, settings, worker in functions(m):
        fn = aws.lambda_.get_function(FunctionName=fname)
        c = fn["Configuration"]
        where = f"function {fname}"
        assert c["PackageType"] == "Image", (where, c["PackageType"])
        assert fn["Code"]["ImageUri"] == image_uri, (where, fn["Code"]["ImageUri"], image_uri)
        assert c["MemorySize"] == settings["memory"], (where, "MemorySize", c["MemorySize"], settings["memory"])
        assert c["Timeout"] == settings["timeout"], (where, "Timeout", c["Timeout"], settings["timeout"])
        assert c["Role"] == role_arn, (where, "Role", c["Role"], role_arn)
        concurrency = aws.lambda_.get_function_concurrency(FunctionName=fname).get("ReservedConcurrentExecutions")
        assert concurrency == settings["concurrency"], (where, "reserved concurrency", concurrency, settings["concurrency"])
        env = {**m["environment"], **base_env}
        if worker is not None:
            env["QUEUE_TRIES"] = str(settings["tries"])
            env["QUEUE_BACKOFF"] = settings["backoff_env"]
        got_env = c.get("Environment", {}).get("Variables", {})
        assert got_env == env, (where, "environment", got_env, env)
        vpc = c.get("VpcConfig") or {}
        if m["vpc"]:
            assert sorted(vpc.get("SubnetIds", [])) == sorted(m["vpc"]["subnets"]), (where, vpc)
            assert sorted(vpc.get("SecurityGroupIds", [])) == sorted(m["vpc"]["security-groups"]), (where, vpc)
        else:
            assert not vpc.get("SubnetIds") and not vpc.get("SecurityGroupIds"), (where, "unexpected VpcConfig", vpc)
        alias = aws.lambda_.get_alias(FunctionName=fname, Name=ALIAS)
        assert alias["AliasArn"] == f"{arn_fn}:{fname}:{ALIAS}", (where, alias["AliasArn"])
        assert resources[f"{prefix}Alias"]["PhysicalResourceId"] == alias["AliasArn"]
        groups = aws.logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{fname}")["logGroups"]
        group = [g for g in groups if g["logGroupName"] == f"/aws/lambda/{fname}"]
        assert len(group) == 1, (where, "log group", groups)
        assert group[0].get("retentionInDays") == m["log_retention"], (where, "retention", group[0].get("retentionInDays"))

    # Queues, dead-letter queues, mappings.
    for qid, qname, dlq, worker, w in queues(m):
        attrs = queue_attributes(aws, qname)
        dlq_attrs = queue_attributes(aws, dlq)
        assert int(attrs["VisibilityTimeout"]) == w["visibility-timeout"], (qname, attrs["VisibilityTimeout"])
        assert int(attrs["MessageRetentionPeriod"]) == QUEUE_RETENTION, (qname, attrs["MessageRetentionPeriod"])
        assert int(dlq_attrs["MessageRetentionPeriod"]) == DLQ_RETENTION, (dlq, dlq_attrs["MessageRetentionPeriod"])
        assert "RedrivePolicy" not in dlq_attrs, (dlq, dlq_attrs.get("RedrivePolicy"))
        redrive = json.loads(attrs["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == dlq_attrs["QueueArn"] == f"arn:aws:sqs:{region}:{ACCOUNT}:{dlq}", (qname, redrive)
        assert int(redrive["maxReceiveCount"]) == w["tries"], (qname, redrive)
        mappings = aws.lambda_.list_event_source_mappings(EventSourceArn=attrs["QueueArn"])["EventSourceMappings"]
        assert len(mappings) == 1, (qname, "mappings", mappings)
        esm = mappings[0]
        assert esm["UUID"] == resources[f"{qid}Mapping"]["PhysicalResourceId"], (qname, esm["UUID"])
        assert esm["EventSourceArn"] == attrs["QueueArn"]
        assert esm["BatchSize"] == 1, (qname, esm["BatchSize"])
        assert esm["FunctionResponseTypes"] == ["ReportBatchItemFailures"], (qname, esm.get("FunctionResponseTypes"))
        assert esm["State"] in ("Enabled", "Enabling"), (qname, esm["State"])
        worker_fn = f"{n}-{worker}-queue"
        assert esm["FunctionArn"] == f"{arn_fn}:{worker_fn}:{ALIAS}", (
            qname,
            "mapping must invoke the worker's live alias",
            esm["FunctionArn"],
        )

    # Rules and their permissions.
    rules = [("SchedulerRule", f"{n}-scheduler", "rate(1 minute)", "cli", {"command": "schedule:run"})]
    if m["http"]["warm"] > 0:
        rules.append(("WarmerRule", f"{n}-warmer", "rate(5 minutes)", "http", {"warmer": True, "containers": m["http"]["warm"]}))
    else:
        assert not aws.events.list_rules(NamePrefix=f"{n}-warmer")["Rules"], "warm 0 must not create a warmer"
    for lid, rname, schedule, target, payload in rules:
        rule = aws.events.describe_rule(Name=rname)
        assert rule["ScheduleExpression"] == schedule, (rname, rule["ScheduleExpression"])
        assert rule["State"] == "ENABLED", (rname, rule["State"])
        targets = aws.events.list_targets_by_rule(Rule=rname)["Targets"]
        assert len(targets) == 1, (rname, targets)
        assert targets[0]["Arn"] == f"{arn_fn}:{n}-{target}:{ALIAS}", (rname, targets[0]["Arn"])
        assert json.loads(targets[0]["Input"]) == payload, (rname, targets[0]["Input"])
        assert_invoke_permission(aws, f"{n}-{target}", "events.amazonaws.com", rule["Arn"])

    # HTTP API.
    api = find_api(aws, n)
    assert api["ProtocolType"] == "HTTP"
    assert resources["HttpApi"]["PhysicalResourceId"] == api["ApiId"]
    api_id = api["ApiId"]
    integrations = aws.apigatewayv2.get_integrations(ApiId=api_id)["Items"]
    assert len(integrations) == 1, integrations
    integ = integrations[0]
    assert integ["IntegrationType"] == "AWS_PROXY"
    assert integ["IntegrationUri"] == f"{arn_fn}:{n}-http:{ALIAS}", integ["IntegrationUri"]
    assert integ["PayloadFormatVersion"] == "2.0"
    assert integ["TimeoutInMillis"] == min(m["http"]["timeout"] * 1000, 30000), integ["TimeoutInMillis"]
    routes = aws.apigatewayv2.get_routes(ApiId=api_id)["Items"]
    assert [(r["RouteKey"], r["Target"]) for r in routes] == [("$default", f"integrations/{integ['IntegrationId']}")], routes
    stages = aws.apigatewayv2.get_stages(ApiId=api_id)["Items"]
    assert [(s["StageName"], s["AutoDeploy"]) for s in stages] == [("$default", True)], stages
    assert_invoke_permission(aws, f"{n}-http", "apigateway.amazonaws.com", f"arn:aws:execute-api:{region}:{ACCOUNT}:{api_id}/*")

    # CDN.
    summary = find_distribution(aws, n)
    assert resources["Distribution"]["PhysicalResourceId"] == summary["Id"]
    dist = aws.cloudfront.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
    assert dist["Comment"] == n and dist["Enabled"] is True
    origins = {o["Id"]: o for o in dist["Origins"]["Items"]}
    assert set(origins) == {"app", "assets"}, origins
    assert origins["app"]["DomainName"] == f"{api_id}.execute-api.{region}.amazonaws.com", origins["app"]["DomainName"]
    assert origins["app"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origins["assets"]["DomainName"] == f"{n}-assets.s3.{region}.amazonaws.com", origins["assets"]["DomainName"]
    oacs = [o for o in aws.cloudfront.list_origin_access_controls()["OriginAccessControlList"].get("Items", []) if o["Name"] == f"{n}-assets"]
    assert len(oacs) == 1, oacs
    oac = oacs[0]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == ("s3", "always", "sigv4"), oac
    assert origins["assets"]["OriginAccessControlId"] == oac["Id"], (origins["assets"].get("OriginAccessControlId"), oac["Id"])
    assert "S3OriginConfig" in origins["assets"], ("the assets origin must be an S3 origin (S3OriginConfig)", origins["assets"])
    assert origins["assets"]["S3OriginConfig"].get("OriginAccessIdentity", "") == "", origins["assets"]["S3OriginConfig"]
    default = dist["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "app"
    assert default["CachePolicyId"] == CACHING_DISABLED, default["CachePolicyId"]
    assert default["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST, default["OriginRequestPolicyId"]
    assert sorted(default["AllowedMethods"]["Items"]) == ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    behaviours = dist["CacheBehaviors"].get("Items", [])
    assert [(b["PathPattern"], b["TargetOriginId"]) for b in behaviours] == [("/assets/*", "assets")], behaviours
    assert behaviours[0]["CachePolicyId"] == CACHING_OPTIMIZED
    cert = dist["ViewerCertificate"]
    if m["domains"]:
        # CloudFront aliases are a set: the order it answers in carries no meaning.
        assert sorted(dist["Aliases"].get("Items", [])) == sorted(m["domains"]), dist["Aliases"]
        assert cert.get("ACMCertificateArn") == m["certificate"], cert
        assert cert.get("SSLSupportMethod") == "sni-only", cert
        assert cert.get("MinimumProtocolVersion") == "TLSv1.2_2021", cert
        assert not cert.get("CloudFrontDefaultCertificate"), cert
    else:
        assert dist["Aliases"]["Quantity"] == 0, dist["Aliases"]
        assert cert.get("CloudFrontDefaultCertificate") is True, cert
        assert not cert.get("ACMCertificateArn"), cert

    # Outputs.
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    assert outputs.get("ApiEndpoint") == api["ApiEndpoint"], outputs
    assert outputs.get("CdnDomain") == summary["DomainName"], outputs

    # Outside the stack: repository, bucket, key.
    repo = aws.ecr.describe_repositories(repositoryNames=[n])["repositories"][0]
    assert repo["imageTagMutability"] == "MUTABLE"
    bucket = f"{n}-assets"
    block = aws.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}, block
    location = aws.s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    assert (location or "us-east-1") == region, ("bucket region", location, region)
    policy = json.loads(aws.s3.get_bucket_policy(Bucket=bucket)["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}, statement
    assert statement["Action"] == "s3:GetObject" and statement["Resource"] == f"arn:aws:s3:::{bucket}/assets/*", statement
    assert statement["Condition"]["StringEquals"]["AWS:SourceArn"] == f"arn:aws:cloudfront::{ACCOUNT}:distribution/{summary['Id']}"
    key = aws.kms.describe_key(KeyId=f"alias/{n}-secrets-key")["KeyMetadata"]
    assert key["Enabled"] is True and key["KeyUsage"] == "ENCRYPT_DECRYPT", key
    assert aws.kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True


def assert_invoke_permission(aws, function, principal, source_arn):
    """A resource-policy statement lets `principal` invoke `function` (its alias) from `source_arn`."""
    found = []
    for qualifier in (ALIAS, None):
        try:
            kwargs = {"FunctionName": function, **({"Qualifier": qualifier} if qualifier else {})}
            found += json.loads(aws.lambda_.get_policy(**kwargs)["Policy"])["Statement"]
        except aws.lambda_.exceptions.ResourceNotFoundException:
            pass
    matching = [
        s
        for s in found
        if s.get("Principal", {}).get("Service") == principal
        and s.get("Action") == "lambda:InvokeFunction"
        and s.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn") == source_arn
    ]
    assert matching, (f"no permission for {principal} to invoke {function} from {source_arn}", found)


def assert_gone(aws, manifest_before, manifest_after):
    """Resources present for `manifest_before` and not for `manifest_after` no longer exist."""
    before, after = resolved(manifest_before), resolved(manifest_after)
    after_fns = {f for _, f, _, _ in functions(after)}
    for _, fname, _, _ in functions(before):
        if fname in after_fns:
            continue
        try:
            aws.lambda_.get_function(FunctionName=fname)
            raise AssertionError(f"function {fname} still exists")
        except aws.lambda_.exceptions.ResourceNotFoundException:
            pass
        groups = aws.logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{fname}")["logGroups"]
        assert not [g for g in groups if g["logGroupName"] == f"/aws/lambda/{fname}"], f"log group of {fname} still exists"
    after_queues = {q for _, q, _, _, _ in queues(after)}
    for _, qname, dlq, _, _ in queues(before):
        if qname in after_queues:
            continue
        for name in (qname, dlq):
            try:
                aws.sqs.get_queue_url(QueueName=name)
                raise AssertionError(f"queue {name} still exists")
            except aws.sqs.exceptions.QueueDoesNotExist:
                pass
        arn = f"arn:aws:sqs:{before['region']}:{ACCOUNT}:{qname}"
        left = aws.lambda_.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
        assert not left, f"mapping of {qname} still exists: {left}"
