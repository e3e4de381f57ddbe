"""The runtime stand-in for image functions: default answers, rules, the
record of invocations with their qualifiers, and queues delivering to workers."""
import base64
import copy
import json
import uuid

import pytest

import cfn
from conftest import http_json
from mend_checks import IMAGE, ROLE


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
def functions(aws):
    """Image functions made through the API: name -> ARN; each with versions 1 and 2 and alias live -> 1."""
    iam, lam = aws("iam"), aws("lambda")
    uid = uuid.uuid4().hex[:8]
    role = iam.create_role(RoleName=f"rt-{uid}", AssumeRolePolicyDocument=json.dumps(ROLE["Properties"]["AssumeRolePolicyDocument"]))["Role"]["Arn"]
    made = {}
    for suffix in ("cli", "http", "default-queue"):
        name = f"rt-{uid}-{suffix}"
        arn = lam.create_function(FunctionName=name, PackageType="Image", Code={"ImageUri": IMAGE}, Role=role)["FunctionArn"]
        lam.publish_version(FunctionName=name)
        lam.update_function_configuration(FunctionName=name, MemorySize=1024)
        lam.publish_version(FunctionName=name)
        lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
        made[suffix] = (name, arn)
    yield made
    for name, _ in made.values():
        lam.delete_alias(FunctionName=name, Name="live")
        lam.delete_function(FunctionName=name)
    iam.delete_role(RoleName=f"rt-{uid}")


def _invoke(lam, payload, **kw):
    r = lam.invoke(Payload=json.dumps(payload).encode(), **kw)
    body = r["Payload"].read()
    return r.get("FunctionError"), json.loads(body) if body else None, r


def test_default_answers(aws, runtime, functions):
    lam = aws("lambda")
    cli, http, worker = functions["cli"][0], functions["http"][0], functions["default-queue"][0]
    err, body, r = _invoke(lam, {"command": "migrate --force"}, FunctionName=cli, Qualifier="live")
    assert err is None and r["StatusCode"] == 200
    assert body == {"output": _b64("ran: migrate --force\n"), "exit_code": 0}
    assert "LogResult" not in r
    r = lam.invoke(FunctionName=cli, Qualifier="live", LogType="Tail", Payload=b'{"command": "about"}')
    assert "Version: 1" in base64.b64decode(r["LogResult"]).decode()
    assert _invoke(lam, {"warmer_ping": True}, FunctionName=http, Qualifier="2")[:2] == (None, {"warm": True})
    assert _invoke(lam, {"warmer": True, "containers": 3}, FunctionName=http)[:2] == (None, {"warm": True, "containers": 3})
    event = {"version": "2.0", "rawPath": "/hello", "requestContext": {"http": {"method": "GET"}}}
    err, body, _ = _invoke(lam, event, FunctionName=http, Qualifier="live")
    assert err is None and body["statusCode"] == 200 and "GET /hello" in body["body"]
    sqs_event = {"Records": [{"messageId": "m1", "body": "{}", "eventSource": "aws:sqs"}]}
    assert _invoke(lam, sqs_event, FunctionName=worker)[:2] == (None, {"batchItemFailures": []})
    # a command with quotes, a newline and non-ASCII characters comes back intact
    command = 'tinker --execute="echo \'héllo\'"\nsecond line ✓'
    err, body, _ = _invoke(lam, {"command": command}, FunctionName=cli)
    assert base64.b64decode(body["output"]).decode() == f"ran: {command}\n"
    assert runtime.invocations(cli)[-1]["payload"] == {"command": command}


def test_rules(aws, runtime, functions):
    lam = aws("lambda")
    cli = functions["cli"][0]
    runtime.rule(cli, match="migrate", exit_code=3, output="Migration failed\n")
    err, body, _ = _invoke(lam, {"command": "migrate --force"}, FunctionName=cli, Qualifier="2")
    assert err is None and body == {"output": _b64("Migration failed\n"), "exit_code": 3}
    # other commands and other functions are not affected
    assert _invoke(lam, {"command": "cache:clear"}, FunctionName=cli)[1]["exit_code"] == 0
    assert _invoke(lam, {"command": "migrate"}, FunctionName=functions["http"][0])[1]["exit_code"] == 0
    # an error makes a function error
    runtime.rule(cli, match="explode", error="Call to undefined function boom()")
    err, body, r = _invoke(lam, {"command": "explode now"}, FunctionName=cli, Qualifier="live")
    assert err == "Unhandled" and r["StatusCode"] == 200
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amz-function-error"] == "Unhandled"
    assert body["errorMessage"] == "Call to undefined function boom()" and body["errorType"]
    # the rule added last wins; "times" makes a rule expire
    runtime.rule(cli, match="migrate", exit_code=0, output="Nothing to migrate.\n", times=1)
    assert _invoke(lam, {"command": "migrate"}, FunctionName=cli)[1] == {"output": _b64("Nothing to migrate.\n"), "exit_code": 0}
    assert _invoke(lam, {"command": "migrate"}, FunctionName=cli)[1]["exit_code"] == 3
    # a rule for one qualifier only
    runtime.rule(f"{cli}:2", match="", exit_code=9)
    assert _invoke(lam, {"command": "about"}, FunctionName=cli, Qualifier="2")[1]["exit_code"] == 9
    assert _invoke(lam, {"command": "about"}, FunctionName=cli, Qualifier="live")[1]["exit_code"] == 0
    # warmer pings match on the payload's JSON text
    http = functions["http"][0]
    runtime.rule(http, match="warmer_ping", error="cold")
    assert _invoke(lam, {"warmer_ping": True}, FunctionName=http)[0] == "Unhandled"
    # a bad rule is refused
    status, body = http_json(runtime.endpoint, "POST", "/hover-compat/lambda/responses", {"match": "x"})
    assert status == 400, body
    # reset clears the rules and the record
    cleared = runtime.reset()
    assert cleared["rules"] >= 4 and cleared["invocations"] >= 8, cleared
    assert runtime.invocations() == []
    assert _invoke(lam, {"command": "migrate"}, FunctionName=cli)[1]["exit_code"] == 0


def test_invocations_record_the_qualifier_as_invoked(aws, runtime, functions):
    lam = aws("lambda")
    cli, arn = functions["cli"]
    calls = [
        ({"FunctionName": cli}, None),
        ({"FunctionName": cli, "Qualifier": "$LATEST"}, "$LATEST"),
        ({"FunctionName": cli, "Qualifier": "2"}, "2"),
        ({"FunctionName": cli, "Qualifier": "live"}, "live"),
        ({"FunctionName": f"{cli}:1"}, "1"),
        ({"FunctionName": f"{arn}:live"}, "live"),
        ({"FunctionName": arn, "InvocationType": "Event"}, None),
    ]
    for i, (kw, _) in enumerate(calls):
        _invoke(lam, {"command": f"n{i}"}, **kw)
    for missing in ({"FunctionName": cli, "Qualifier": "7"}, {"FunctionName": f"{cli}:blue"}, {"FunctionName": f"{cli}-nope"}):
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            _invoke(lam, {"command": "never"}, **missing)
    got = runtime.invocations()
    assert got == [{"function": cli, "qualifier": q, "payload": {"command": f"n{i}"}} for i, (_, q) in enumerate(calls)], got
    assert runtime.invocations(functions["http"][0]) == []
    # the executed version follows the alias
    r = lam.invoke(FunctionName=cli, Qualifier="live", Payload=b"{}")
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amz-executed-version"] == "1"
    lam.update_alias(FunctionName=cli, Name="live", FunctionVersion="2")
    r = lam.invoke(FunctionName=cli, Qualifier="live", Payload=b"{}")
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amz-executed-version"] == "2"


def test_moto_reset_clears_rules_and_record(aws, runtime, endpoint):
    runtime.rule("any-fn", match="x", exit_code=1)
    status, _ = http_json(endpoint, "POST", "/moto-api/reset")
    assert status == 200
    assert runtime.invocations() == []
    assert runtime.reset() == {"rules": 0, "invocations": 0}


def _worker_stack(uid: str, queue: str, worker: str) -> dict:
    return {"Resources": {
        "Role": ROLE,
        "Worker": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": worker, "PackageType": "Image", "Code": {"ImageUri": IMAGE},
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "MemorySize": 512, "Timeout": 60}},
        "WorkerAlias": {"Type": "AWS::Lambda::Alias", "Properties": {
            "FunctionName": {"Ref": "Worker"}, "Name": "live", "FunctionVersion": "$LATEST"}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue, "VisibilityTimeout": 70}},
        "Mapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
            "FunctionName": {"Ref": "WorkerAlias"}, "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
            "BatchSize": 1, "FunctionResponseTypes": ["ReportBatchItemFailures"]}},
    }}


def test_queue_delivers_to_the_worker_alias(aws, runtime, stack_name):
    uid = uuid.uuid4().hex[:8]
    queue, worker = f"default-q{uid}", f"q{uid}-default-queue"
    c, sqs, lam = aws("cloudformation"), aws("sqs"), aws("lambda")
    stack = cfn.create(c, stack_name, _worker_stack(uid, queue, worker))
    try:
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]

        def waiting() -> int:
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"job": "SendWelcomeMail", "user": 7}))
        got = runtime.invocations(worker)
        assert len(got) == 1 and got[0]["qualifier"] == "live", got
        record = got[0]["payload"]["Records"][0]
        assert json.loads(record["body"]) == {"job": "SendWelcomeMail", "user": 7}
        assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(f":{queue}")
        assert waiting() == 0, "a delivered message must be deleted"

        # the alias moves: deliveries follow it, still recorded as "live"
        lam.publish_version(FunctionName=worker)
        lam.update_alias(FunctionName=worker, Name="live", FunctionVersion="1")
        runtime.rule(worker, match="FailingJob", exit_code=1)
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"job": "FailingJob"}))
        assert [i["qualifier"] for i in runtime.invocations(worker)] == ["live", "live"]
        assert waiting() == 1, "a failed message must stay in the queue"
        runtime.reset()
        sqs.purge_queue(QueueUrl=url)

        runtime.rule(worker, match="CrashingJob", error="Allowed memory size exhausted")
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"job": "CrashingJob"}))
        assert len(runtime.invocations(worker)) == 1
        assert waiting() == 1, "a message whose invocation failed must stay in the queue"
    finally:
        cfn.delete(c, stack["StackId"])


def test_a_deleted_mapping_no_longer_delivers(aws, runtime, functions):
    sqs, lam = aws("sqs"), aws("lambda")
    worker = functions["default-queue"][0]
    url = sqs.create_queue(QueueName=f"del-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    try:
        mapping = lam.create_event_source_mapping(FunctionName=f"{worker}:live", EventSourceArn=arn, BatchSize=1)
        sqs.send_message(QueueUrl=url, MessageBody="one")
        assert [i["qualifier"] for i in runtime.invocations(worker)] == ["live"]
        lam.delete_event_source_mapping(UUID=mapping["UUID"])
        sqs.send_message(QueueUrl=url, MessageBody="two")
        assert len(runtime.invocations(worker)) == 1
        assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"] == "1"
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_versions_and_aliases_of_stack_functions(aws, runtime, stack_name):
    """Functions and aliases made by a stack: publish, move the alias, invoke, update the stack."""
    uid = uuid.uuid4().hex[:8]
    queue, worker = f"v-q{uid}", f"v{uid}-default-queue"
    c, lam = aws("cloudformation"), aws("lambda")
    tpl = _worker_stack(uid, queue, worker)
    stack = cfn.create(c, stack_name, tpl)
    try:
        v1 = lam.publish_version(FunctionName=worker, Description="build-1")
        assert v1["Version"] == "1" and v1["Description"] == "build-1"
        lam.update_alias(FunctionName=worker, Name="live", FunctionVersion="1")
        tpl2 = copy.deepcopy(tpl)
        tpl2["Resources"]["Worker"]["Properties"].update(MemorySize=1024, Code={"ImageUri": IMAGE.replace("build-1", "build-2")})
        cfn.update(c, stack_name, tpl2)
        live = lam.get_function(FunctionName=worker, Qualifier="live")
        assert live["Configuration"]["Version"] == "1" and live["Configuration"]["MemorySize"] == 512
        assert live["Code"]["ImageUri"] == IMAGE
        v2 = lam.publish_version(FunctionName=worker, Description="build-2")
        assert v2["Version"] == "2" and v2["MemorySize"] == 1024
        lam.update_alias(FunctionName=worker, Name="live", FunctionVersion="2")
        assert lam.get_function_configuration(FunctionName=worker, Qualifier="live")["MemorySize"] == 1024
        r = lam.invoke(FunctionName=worker, Qualifier="live", Payload=b'{"warmer_ping": true}')
        assert r["ResponseMetadata"]["HTTPHeaders"]["x-amz-executed-version"] == "2"
        versions = [v["Version"] for p in lam.get_paginator("list_versions_by_function").paginate(
            FunctionName=worker, PaginationConfig={"PageSize": 1}) for v in p["Versions"]]
        assert versions == ["$LATEST", "1", "2"]
        lam.delete_function(FunctionName=worker, Qualifier="1")
        assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=worker)["Versions"]] == ["$LATEST", "2"]
    finally:
        cfn.delete(c, stack["StackId"])
