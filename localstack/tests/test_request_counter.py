"""The request counter (GET /hover-compat/requests): counts per service:Action."""
import json
import urllib.error
import urllib.request
import uuid

import pytest

import cfn


def _call(endpoint: str, method: str, path: str) -> dict:
    req = urllib.request.Request(endpoint.rstrip("/") + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture
def counter(endpoint):
    try:
        _call(endpoint, "POST", "/hover-compat/requests/reset")
    except urllib.error.URLError as e:  # e.g. a real LocalStack: no counter there
        pytest.skip(f"no request counter on {endpoint}: {e}")

    def counts(reset: bool = False) -> dict:
        if reset:
            return _call(endpoint, "POST", "/hover-compat/requests/reset")["counts"]
        return _call(endpoint, "GET", "/hover-compat/requests")["counts"]

    return counts


CFN_WRITES = {"CreateChangeSet", "ExecuteChangeSet", "CreateStack", "UpdateStack", "DeleteStack", "DeleteChangeSet"}


def _cfn_writes(counts: dict) -> dict:
    return {k: v for k, v in counts.items() if k.startswith("cloudformation:") and k.split(":", 1)[1] in CFN_WRITES}


def test_counts_each_protocol(aws, counter):
    aws("cloudformation").list_stacks()                      # query (form body)
    aws("cloudformation").list_stacks()
    aws("sqs").list_queues()                                  # JSON (X-Amz-Target)
    aws("logs").describe_log_groups()                         # JSON
    aws("lambda").list_functions()                            # REST-JSON
    aws("lambda").list_event_source_mappings()
    aws("cloudfront").list_distributions()                    # REST-XML
    aws("apigatewayv2").get_apis()                            # REST-JSON, signs as apigateway
    aws("s3").list_buckets()                                  # REST-XML
    aws("iam").list_roles()                                   # query
    with pytest.raises(Exception):
        aws("lambda").get_function(FunctionName=f"missing-{uuid.uuid4().hex[:6]}")
    got = counter()
    assert got == {
        "cloudformation:ListStacks": 2,
        "sqs:ListQueues": 1,
        "logs:DescribeLogGroups": 1,
        "lambda:ListFunctions": 1,
        "lambda:ListEventSourceMappings": 1,
        "lambda:GetFunction": 1,
        "cloudfront:ListDistributions": 1,
        "apigatewayv2:GetApis": 1,
        "s3:ListBuckets": 1,
        "iam:ListRoles": 1,
    }, got
    # reset returns the counts so far, then starts again from zero
    assert counter(reset=True) == got
    assert counter() == {}


def test_no_cloudformation_write_on_a_read_only_pass(aws, counter, stack_name):
    c = aws("cloudformation")
    tpl = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"cnt-{uuid.uuid4().hex[:8]}"}}}}
    stack = cfn.create(c, stack_name, tpl)
    try:
        writes = _cfn_writes(counter(reset=True))
        assert writes == {"cloudformation:CreateChangeSet": 1, "cloudformation:ExecuteChangeSet": 1}, writes
        # what a no-op deploy may do: read the stack and its template, nothing else
        c.describe_stacks(StackName=stack["StackId"])
        c.get_template(StackName=stack["StackId"])
        c.list_stack_resources(StackName=stack["StackId"])
        got = counter()
        assert _cfn_writes(got) == {}, got
        assert got["cloudformation:DescribeStacks"] == 1 and got["cloudformation:GetTemplate"] == 1, got
    finally:
        cfn.delete(c, stack["StackId"])
    assert _cfn_writes(counter()) == {"cloudformation:DeleteStack": 1}


def test_request_bodies_still_reach_moto(aws, counter):
    # the middleware reads query-protocol bodies: moto must still see them
    name = f"cnt-{uuid.uuid4().hex[:8]}"
    iam = aws("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}), Description="kept")
    try:
        assert iam.get_role(RoleName=name)["Role"]["Description"] == "kept"
    finally:
        iam.delete_role(RoleName=name)
    assert counter() == {"iam:CreateRole": 1, "iam:GetRole": 1, "iam:DeleteRole": 1}
