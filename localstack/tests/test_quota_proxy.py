"""The quota simulator (quota_proxy.py): names every request hover makes, lets a quota family's
burst through, then answers each protocol's own throttling error."""
import json
import subprocess
import sys
import urllib.request
import uuid

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import LOCALSTACK, REGION

sys.path.insert(0, str(LOCALSTACK))
import quota_proxy  # noqa: E402

TABLE = json.loads((LOCALSTACK / "quota_table.json").read_text())


@pytest.fixture
def start_proxy(endpoint):
    procs = []

    def start(scale):
        proc = subprocess.Popen(
            [sys.executable, str(LOCALSTACK / "quota_proxy.py"), "--upstream", endpoint, "--scale", str(scale)],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        url = proc.stdout.readline().strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://"), url
        return url

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def stats(url, reset=False):
    req = urllib.request.Request(
        f"{url}/quota-proxy/{'reset' if reset else 'stats'}", method="POST" if reset else "GET", data=b"" if reset else None
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def client(service, url):
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION).client(
        service,
        endpoint_url=url,
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"}),
    )


def attempt(call):
    try:
        call()
        return None
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]


def test_every_request_of_a_read_is_named_as_the_table_names_it(start_proxy):
    url = start_proxy(1)
    name = f"qp-{uuid.uuid4().hex[:8]}"
    stats(url, reset=True)
    lam, s3 = client("lambda", url), client("s3", url)
    attempt(lambda: lam.get_function(FunctionName=name))
    attempt(lambda: lam.get_function(FunctionName=name, Qualifier="live"))
    attempt(lambda: lam.list_event_source_mappings())
    attempt(lambda: client("apigatewayv2", url).get_apis())
    attempt(lambda: client("cloudfront", url).list_distributions())
    attempt(lambda: client("cloudfront", url).list_origin_access_controls())
    attempt(lambda: s3.head_bucket(Bucket=name))
    attempt(lambda: s3.get_public_access_block(Bucket=name))
    attempt(lambda: s3.get_bucket_policy(Bucket=name))
    attempt(lambda: client("sqs", url).get_queue_url(QueueName=name))
    attempt(lambda: client("logs", url).describe_log_groups(logGroupNamePrefix=name))
    attempt(lambda: client("cloudformation", url).describe_stacks(StackName=name))
    attempt(lambda: client("sts", url).get_caller_identity())
    attempt(lambda: client("kms", url).describe_key(KeyId=f"alias/{name}"))
    attempt(lambda: client("events", url).describe_rule(Name=name))
    attempt(lambda: client("ecr", url).describe_repositories(repositoryNames=[name]))
    attempt(lambda: client("iam", url).get_role(RoleName=name))
    seen = stats(url)
    assert seen["unclassified"] == {}, seen["unclassified"]
    assert seen["throttled"] == {}, seen["throttled"]
    assert seen["allowed"]["lambda:GetFunction"] == 2
    expected = {
        "lambda:ListEventSourceMappings", "apigateway:GetApis", "cloudfront:ListDistributions",
        "cloudfront:ListOriginAccessControls", "s3:HeadBucket", "s3:GetPublicAccessBlock", "s3:GetBucketPolicy",
        "sqs:GetQueueUrl", "logs:DescribeLogGroups", "cloudformation:DescribeStacks", "sts:GetCallerIdentity",
        "kms:DescribeKey", "events:DescribeRule", "ecr:DescribeRepositories", "iam:GetRole",
    }
    assert expected <= set(seen["allowed"]), set(seen["allowed"]) ^ expected
    assert set(seen["allowed"]) <= set(TABLE["operations"])


@pytest.mark.parametrize(
    "service,call,code,status",
    [
        ("lambda", lambda c: c.list_event_source_mappings(), "TooManyRequestsException", 429),
        ("cloudformation", lambda c: c.describe_stacks(StackName="qp-none"), "Throttling", 400),
        ("logs", lambda c: c.describe_log_groups(), "ThrottlingException", 400),
        ("cloudfront", lambda c: c.list_distributions(), "Throttling", 400),
    ],
)
def test_beyond_the_burst_each_protocol_answers_its_own_throttling_error(start_proxy, service, call, code, status):
    # A hundredth of every quota: these families then hold a single request, refilled in
    # seconds (more than the first CloudFormation call of the emulator takes).
    url = start_proxy(0.01)
    c = client(service, url)
    first = attempt(lambda: call(c))  # within the quota: answered by the emulator (maybe "not found")
    assert first is None or first[0] != code, first
    assert attempt(lambda: call(c)) == (code, status)
    throttled = stats(url)["throttled"]
    assert sum(throttled.values()) == 1, throttled


def test_rest_operations_of_the_table_have_a_route():
    rest = {svc for svc, *_ in quota_proxy._REST}
    routed = {f"{svc}:{op}" for svc, _, _, _, op in quota_proxy._REST}
    missing = [op for op in TABLE["operations"] if op.split(":")[0] in rest and op not in routed]
    assert missing == [], missing
