"""The full stage template (fixtures/stage.json): created by a change set with
every resource readable through its direct API, updated, then deleted."""
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cfn

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "stage.json"
N = "fixture-dev"
FUNCTIONS = {"Http": f"{N}-http", "Cli": f"{N}-cli", "DefaultQueue": f"{N}-default-queue"}


@pytest.fixture
def template() -> dict:
    return json.loads(FIXTURE.read_text())


def test_fixture_passes_cfn_lint():
    lint = Path(sys.executable).with_name("cfn-lint")
    if not lint.exists():
        pytest.skip("cfn-lint is not installed next to this python")
    result = subprocess.run([str(lint), str(FIXTURE)], capture_output=True, text=True, env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"})
    assert result.returncode == 0, result.stdout + result.stderr


def _check_stage(aws, stack_id, template):
    c = aws("cloudformation")
    lam, sqs, ev, logs, gw, cf, s3, iam = (aws(s) for s in ("lambda", "sqs", "events", "logs", "apigatewayv2", "cloudfront", "s3", "iam"))
    res = template["Resources"]
    ids = cfn.physical_ids(c, stack_id)
    assert set(ids) == set(res), set(res) ^ set(ids)
    assert all(ids.values()), ids

    role_arn = iam.get_role(RoleName=ids["LambdaRole"])["Role"]["Arn"]
    assert iam.list_role_policies(RoleName=ids["LambdaRole"])["PolicyNames"] == ["app"]
    for lid, fname in FUNCTIONS.items():
        want = res[f"{lid}Function"]["Properties"]
        got = lam.get_function(FunctionName=fname)
        conf = got["Configuration"]
        assert conf["PackageType"] == "Image"
        assert got["Code"]["ImageUri"] == want["Code"]["ImageUri"]
        assert conf["Role"] == role_arn
        assert (conf["MemorySize"], conf["Timeout"]) == (want["MemorySize"], want["Timeout"])
        assert conf["Environment"]["Variables"] == want["Environment"]["Variables"]
        assert sorted(conf["VpcConfig"]["SubnetIds"]) == sorted(want["VpcConfig"]["SubnetIds"])
        assert lam.get_function_concurrency(FunctionName=fname)["ReservedConcurrentExecutions"] == want["ReservedConcurrentExecutions"]
        alias = lam.get_alias(FunctionName=fname, Name="live")
        assert alias["FunctionVersion"] == "$LATEST" and ids[f"{lid}Alias"] == alias["AliasArn"]
        group = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{fname}")["logGroups"][0]
        assert group["retentionInDays"] == res[f"{lid}LogGroup"]["Properties"]["RetentionInDays"]

    qprops = res["DefaultQueue"]["Properties"]
    url = sqs.get_queue_url(QueueName=qprops["QueueName"])["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == str(qprops["VisibilityTimeout"])
    assert attrs["MessageRetentionPeriod"] == str(qprops["MessageRetentionPeriod"])
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(f":default-{N}-dlq")
    assert redrive["maxReceiveCount"] == qprops["RedrivePolicy"]["maxReceiveCount"]
    esms = lam.list_event_source_mappings(EventSourceArn=attrs["QueueArn"])["EventSourceMappings"]
    assert len(esms) == 1 and esms[0]["EventSourceArn"] == attrs["QueueArn"]
    assert esms[0]["BatchSize"] == 1 and esms[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]

    for lid, alias_lid in (("SchedulerRule", "CliAlias"), ("WarmerRule", "HttpAlias")):
        props = res[lid]["Properties"]
        rule = ev.describe_rule(Name=props["Name"])
        assert rule["ScheduleExpression"] == props["ScheduleExpression"] and rule["State"] == "ENABLED"
        targets = ev.list_targets_by_rule(Rule=props["Name"])["Targets"]
        assert [(t["Arn"], t["Input"]) for t in targets] == [(ids[alias_lid], props["Targets"][0]["Input"])]

    statements = []
    for fname in (FUNCTIONS["Http"], FUNCTIONS["Cli"]):
        statements += json.loads(lam.get_policy(FunctionName=fname)["Policy"])["Statement"]
    principals = sorted(s["Principal"]["Service"] for s in statements)
    assert principals == ["apigateway.amazonaws.com", "events.amazonaws.com", "events.amazonaws.com"], statements
    api_id = ids["HttpApi"]
    assert any(s["Condition"]["ArnLike"]["AWS:SourceArn"] == f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*" for s in statements)

    api = gw.get_api(ApiId=api_id)
    assert api["Name"] == f"{N}-api"
    integ = gw.get_integrations(ApiId=api_id)["Items"]
    assert [i["IntegrationUri"] for i in integ] == [ids["HttpAlias"]]
    assert [r["Target"] for r in gw.get_routes(ApiId=api_id)["Items"]] == [f"integrations/{ids['HttpIntegration']}"]
    assert [s["StageName"] for s in gw.get_stages(ApiId=api_id)["Items"]] == ["$default"]

    dist_id = ids["Distribution"]
    dc = cf.get_distribution_config(Id=dist_id)["DistributionConfig"]
    want_dc = res["Distribution"]["Properties"]["DistributionConfig"]
    assert dc["Comment"] == want_dc["Comment"]
    origins = {o["Id"]: o for o in dc["Origins"]["Items"]}
    assert origins["app"]["DomainName"] == f"{api_id}.execute-api.us-east-1.amazonaws.com"
    assert origins["assets"]["OriginAccessControlId"] == ids["AssetsOriginAccessControl"]
    cf.get_origin_access_control(Id=ids["AssetsOriginAccessControl"])

    policy = json.loads(s3.get_bucket_policy(Bucket=f"{N}-assets")["Policy"])
    cond = policy["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert cond == f"arn:aws:cloudfront::123456789012:distribution/{dist_id}"

    out = cfn.outputs(c.describe_stacks(StackName=stack_id)["Stacks"][0])
    assert out["ApiEndpoint"] == api["ApiEndpoint"]
    dist = cf.get_distribution(Id=dist_id)["Distribution"]
    assert out["CdnDomain"] == dist["DomainName"]
    return ids


def test_stage_stack_create_update_delete(aws, stack_name, template):
    s3 = aws("s3")
    s3.create_bucket(Bucket=f"{N}-assets")  # created outside the stack, as the deploy does
    c = aws("cloudformation")
    stack = cfn.create(c, stack_name, template)
    stack_id = stack["StackId"]
    try:
        ids = _check_stage(aws, stack_id, template)

        t2 = copy.deepcopy(template)
        r = t2["Resources"]
        for lid in FUNCTIONS:
            p = r[f"{lid}Function"]["Properties"]
            p["Code"]["ImageUri"] = p["Code"]["ImageUri"].replace("build-1", "build-2")
            p["Environment"] = {"Variables": {**p["Environment"]["Variables"], "ASSET_URL": "https://cdn.example.test/assets/build-2"}}
        r["HttpFunction"]["Properties"].update(MemorySize=1024, Timeout=20, ReservedConcurrentExecutions=50)
        r["HttpLogGroup"]["Properties"]["RetentionInDays"] = 30
        r["DefaultQueue"]["Properties"].update(VisibilityTimeout=310, MessageRetentionPeriod=86400)
        r["DefaultQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] = 5
        r["DefaultQueueFunction"]["Properties"]["Timeout"] = 300
        r["WarmerRule"]["Properties"]["Targets"][0]["Input"] = '{"warmer":true,"containers":5}'
        r["Distribution"]["Properties"]["DistributionConfig"]["Aliases"] = ["app.example.test", "www.example.test"]
        cfn.update(c, stack_name, t2)
        ids2 = _check_stage(aws, stack_id, t2)
        assert ids2 == ids, "update replaced resources"
        assert aws("cloudfront").get_distribution_config(Id=ids["Distribution"])["DistributionConfig"]["Aliases"]["Items"] == [
            "app.example.test", "www.example.test"]
    finally:
        cfn.delete(c, stack_id)

    lam, gw, cf = aws("lambda"), aws("apigatewayv2"), aws("cloudfront")
    assert not [f for f in lam.list_functions()["Functions"] if f["FunctionName"].startswith(N)]
    assert ids["HttpApi"] not in {a["ApiId"] for a in gw.get_apis()["Items"]}
    assert ids["Distribution"] not in {d["Id"] for d in cf.list_distributions()["DistributionList"].get("Items", [])}
    assert not aws("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{N}")["logGroups"]
    assert not [u for u in aws("sqs").list_queues(QueueNamePrefix="default-fixture-dev").get("QueueUrls", [])]
    assert not aws("events").list_rules(NamePrefix=N)["Rules"]
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_policy(Bucket=f"{N}-assets")
    s3.delete_bucket(Bucket=f"{N}-assets")
