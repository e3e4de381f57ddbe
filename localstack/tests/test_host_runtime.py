"""Host mode (HOVER_EMULATOR_RUNTIME=host): image functions run for real.

A test image is built FROM scratch with buildah around a small Python runtime
(fixtures/host-runtime/bootstrap) and pushed to the host-mode emulator's
registry. Covered: sync and async Invoke, the environment, function errors,
timeouts, init errors, crashes and replacement, concurrency, SQS mappings,
EventBridge rules fired on demand, the HTTP API (payload 2.0 both ways),
CloudWatch Logs, deletion, layer whiteouts, and that reset stops every process.
The reset test runs last: it empties the registry.
"""
import base64
import gzip
import http.client
import io
import json
import os
import re
import shutil
import tarfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import LOCALSTACK

HERE = Path(__file__).resolve().parent
RUNTIME_DIR = HERE / "fixtures" / "host-runtime"
ACCOUNT, REGION = "123456789012", "us-east-1"
REPO = "host-rt"


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _wait(predicate, timeout=10.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="session")
def image(host, buildah, tmp_path_factory) -> str:
    """The test image in the host emulator's registry; answers its ImageUri."""
    ctx = tmp_path_factory.mktemp("host-image")
    shutil.copy(RUNTIME_DIR / "bootstrap", ctx / "bootstrap")
    (ctx / "task").mkdir()
    (ctx / "task" / "hello.txt").write_text("hello from the task root\n")
    (ctx / "Dockerfile").write_text(
        "FROM scratch\n"
        "COPY bootstrap /opt/rt/bootstrap\n"
        "COPY task/ /var/task/\n"
        "WORKDIR /var/task\n"
        "ENV IMAGE_VAR=from-image\n"
        'ENTRYPOINT ["/opt/rt/bootstrap"]\n')
    ecr = host.aws("ecr")
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
    registry = data["proxyEndpoint"].split("://", 1)[1]
    tag = f"{registry}/{REPO}:v1"
    buildah("bud", "--isolation", "chroot", "-t", tag, str(ctx))
    buildah("login", "--username", user, "--password-stdin", "--tls-verify=false", registry, input=password.encode())
    buildah("push", "--tls-verify=false", tag)
    return f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{REPO}:v1"


@pytest.fixture(scope="session")
def role(host) -> str:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}
    return host.aws("iam").create_role(RoleName=f"host-{uuid.uuid4().hex[:8]}",
                                       AssumeRolePolicyDocument=json.dumps(doc))["Role"]["Arn"]


@pytest.fixture
def make_function(host, image, role):
    lam = host.aws("lambda")
    made = []

    def make(suffix="fn", timeout=10, env=None, memory=256, alias=True):
        name = f"h{uuid.uuid4().hex[:8]}-{suffix}"
        lam.create_function(FunctionName=name, PackageType="Image", Code={"ImageUri": image}, Role=role,
                            Timeout=timeout, MemorySize=memory, Environment={"Variables": env or {"APP_X": "1"}})
        if alias:
            lam.publish_version(FunctionName=name)
            lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
        made.append(name)
        return name

    yield make
    for name in made:
        try:
            lam.delete_function(FunctionName=name)
        except lam.exceptions.ResourceNotFoundException:
            pass


def _invoke(lam, name, payload, **kw):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode(), **kw)
    body = r["Payload"].read()
    return r.get("FunctionError"), (json.loads(body) if body else None), r


# -- invoke ------------------------------------------------------------------------


def test_sync_invoke_runs_the_image(host, make_function):
    lam = host.aws("lambda")
    name = make_function(env={"APP_X": "from-function", "IMAGE_VAR": "overridden"})
    before = time.time()
    err, body, r = _invoke(lam, name, {"hello": "world"})
    assert err is None, body
    assert r["StatusCode"] == 200
    assert body["echo"] == {"hello": "world"}
    env = body["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == REGION
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_ENDPOINT_URL"] == host.endpoint
    assert env["AWS_ACCESS_KEY_ID"] == "test" and env["AWS_SECRET_ACCESS_KEY"] == "test"
    assert env["APP_X"] == "from-function"
    assert env["IMAGE_VAR"] == "overridden", "the function's variables win over the image's"
    assert env["HOVER_PHP"] == os.environ.get("HOVER_PHP", "/usr/bin/php8.2")
    assert env["HOVER_PHP_FPM"] == os.environ.get("HOVER_PHP_FPM", "/usr/sbin/php-fpm8.2")
    task_root = env["LAMBDA_TASK_ROOT"]
    assert task_root.endswith("/rootfs/var/task") and body["cwd"] == task_root
    assert Path(task_root, "hello.txt").read_text() == "hello from the task root\n"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    assert before * 1000 + 9000 < body["deadline_ms"] <= time.time() * 1000 + 10000
    assert body["function_arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    assert body["trace_id"].startswith("Root=1-")
    # warm: the same process answers the next invocation
    _, again, _ = _invoke(lam, name, {"n": 2})
    assert again["pid"] == body["pid"] and again["request_id"] != body["request_id"]
    # an alias runs its version, in a container of its own
    _, live, r = _invoke(lam, name, {}, Qualifier="live")
    assert live["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == "1" and live["pid"] != body["pid"]
    assert live["function_arn"].endswith(f"{name}:live")
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amz-executed-version"] == "1"
    got = {(c["version"], c["pid"], c["state"], c["invocations"]) for c in host.containers(name)}
    assert got == {("$LATEST", body["pid"], "idle", 2), ("1", live["pid"], "idle", 1)}, got
    recorded = [i["payload"] for i in host.get(f"/hover-compat/lambda/invocations?function={name}")]
    assert recorded == [{"hello": "world"}, {"n": 2}, {}]


def test_function_error_keeps_the_container(host, make_function):
    lam = host.aws("lambda")
    name = make_function()
    _, first, _ = _invoke(lam, name, {})
    err, body, r = _invoke(lam, name, {"fail": "boom"})
    assert err == "Unhandled" and r["StatusCode"] == 200
    assert body["errorMessage"] == "boom" and body["errorType"] == "RuntimeError"
    _, after, _ = _invoke(lam, name, {})
    assert after["pid"] == first["pid"]


def test_async_invoke_answers_at_once(host, make_function, tmp_path):
    lam = host.aws("lambda")
    name = make_function()
    marker = tmp_path / "async-ran"
    start = time.time()
    r = lam.invoke(FunctionName=name, InvocationType="Event",
                   Payload=json.dumps({"sleep": 1.5, "touch": str(marker)}).encode())
    assert r["StatusCode"] == 202
    assert time.time() - start < 1.2, "an Event invocation must not wait for the function"
    assert not marker.exists()
    _wait(marker.exists, 15, "the asynchronous invocation to run")
    assert re.fullmatch(r"[0-9a-f-]{36}", marker.read_text())
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName=name + "-nope", InvocationType="Event", Payload=b"{}")


def test_timeout_kills_the_container(host, make_function):
    lam = host.aws("lambda")
    name = make_function(timeout=1)
    _, first, _ = _invoke(lam, name, {})
    start = time.time()
    err, body, _ = _invoke(lam, name, {"sleep": 5})
    took = time.time() - start
    assert err == "Unhandled", body
    assert "Task timed out after 1.00 seconds" in body["errorMessage"], body
    assert 0.9 < took < 3.5, took
    _wait(lambda: _gone(first["pid"]), 5, "the timed-out process to be killed")
    err, after, _ = _invoke(lam, name, {})
    assert err is None and after["pid"] != first["pid"]
    assert [c["pid"] for c in host.containers(name)] == [after["pid"]]


def test_init_error_is_a_function_error(host, make_function):
    lam = host.aws("lambda")
    name = make_function(env={"INIT_ERROR": "APP_KEY is missing"})
    err, body, _ = _invoke(lam, name, {})
    assert err == "Unhandled"
    assert body["errorType"] == "Hover.InitError" and body["errorMessage"] == "APP_KEY is missing", body
    _wait(lambda: not host.containers(name), 5, "the failed container to go")
    # fixed configuration: the next invocation starts a working container
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {}})
    err, body, _ = _invoke(lam, name, {})
    assert err is None and body["echo"] == {}


def test_crash_replaces_the_container(host, make_function):
    lam = host.aws("lambda")
    name = make_function()
    _, first, _ = _invoke(lam, name, {})
    err, body, _ = _invoke(lam, name, {"die": 3})
    assert err == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError" and "exit status 3" in body["errorMessage"], body
    assert _gone(first["pid"])
    err, after, _ = _invoke(lam, name, {})
    assert err is None and after["pid"] != first["pid"]
    assert [c["pid"] for c in host.containers(name)] == [after["pid"]]


def _concurrently(lam, name, payloads):
    results = [None] * len(payloads)

    def run(i):
        results[i] = _invoke(lam, name, payloads[i])[1]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(payloads))]
    for t in threads:
        t.start()
    return threads, results


def test_concurrent_invocations_start_more_containers(host, make_function):
    lam = host.aws("lambda")
    name = make_function()
    threads, results = _concurrently(lam, name, [{"sleep": 1.5}] * 3)
    busy = _wait(lambda: [c for c in host.containers(name) if c["state"] == "busy"] if len(
        [c for c in host.containers(name) if c["state"] == "busy"]) == 3 else None, 10, "three busy containers")
    assert len({c["pid"] for c in busy}) == 3
    for t in threads:
        t.join()
    assert len({r["pid"] for r in results}) == 3
    assert {c["state"] for c in host.containers(name)} == {"idle"}
    # idle containers are reused
    threads, again = _concurrently(lam, name, [{"sleep": 0.5}] * 3)
    for t in threads:
        t.join()
    assert {r["pid"] for r in again} == {r["pid"] for r in results}


def test_stopping_a_function_s_containers_makes_the_next_invocation_cold(host, make_function):
    lam = host.aws("lambda")
    name = make_function()
    other = make_function()
    threads, results = _concurrently(lam, name, [{"sleep": 0.3}] * 2)
    for t in threads:
        t.join()
    lam.invoke(FunctionName=other, Payload=json.dumps({"echo": 1}).encode())
    assert len(host.containers(name)) == 2
    assert host.post("/hover-compat/lambda/containers/stop", {"function": name}) == (200, {"stopped": 2})
    assert host.containers(name) == []
    assert len(host.containers(other)) == 1  # another function's containers stay
    first = json.loads(lam.invoke(FunctionName=name, Payload=json.dumps({"echo": 1}).encode())["Payload"].read())
    assert first["pid"] not in {r["pid"] for r in results}


def test_reserved_concurrency_limits_containers(host, make_function):
    lam = host.aws("lambda")
    name = make_function(alias=False)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    seen = []
    threads, results = _concurrently(lam, name, [{"sleep": 0.8}] * 4)
    while any(t.is_alive() for t in threads):
        seen.append(len(host.containers(name)))
        time.sleep(0.05)
    assert max(seen) == 2, seen
    assert len({r["pid"] for r in results}) == 2 and all(r["echo"] for r in results)


# -- queues ------------------------------------------------------------------------


def _queue(sqs, name, **attrs):
    url = sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attrs.items()})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _count(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def _records(host, name):
    return [r for i in host.get(f"/hover-compat/lambda/invocations?function={name}")
            for r in (i["payload"].get("Records") or [])]


def test_sqs_mapping_delivers_like_lambda(host, make_function):
    sqs, lam = host.aws("sqs"), host.aws("lambda")
    name = make_function(suffix="queue")
    uid = uuid.uuid4().hex[:8]
    dlq_url, dlq_arn = _queue(sqs, f"hq-dlq-{uid}")
    url, arn = _queue(sqs, f"hq-{uid}", VisibilityTimeout=1,
                      RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}))
    mapping = lam.create_event_source_mapping(FunctionName=f"{name}:live", EventSourceArn=arn, BatchSize=10,
                                              FunctionResponseTypes=["ReportBatchItemFailures"])
    try:
        # success deletes
        sqs.send_message(QueueUrl=url, MessageBody="ok")
        _wait(lambda: _count(sqs, url) == 0, 10, "the message to be processed")
        assert [r["body"] for r in _records(host, name)] == ["ok"]
        record = _records(host, name)[0]
        assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
        assert record["attributes"]["ApproximateReceiveCount"] == "1"
        # a reported failure stays, comes back after the visibility timeout, then goes to the DLQ
        sqs.send_message(QueueUrl=url, MessageBody="fail")
        _wait(lambda: [r for r in _records(host, name) if r["body"] == "fail"], 10, "the first delivery")
        first = time.time()
        assert _count(sqs, url) == 1, "a reported failure must stay in the queue"
        _wait(lambda: len([r for r in _records(host, name) if r["body"] == "fail"]) == 2, 10, "the second delivery")
        assert time.time() - first > 0.7, "the message came back before its visibility timeout"
        counts = [r["attributes"]["ApproximateReceiveCount"] for r in _records(host, name) if r["body"] == "fail"]
        assert counts == ["1", "2"]
        _wait(lambda: _count(sqs, dlq_url) == 1, 10, "the message to reach the dead-letter queue")
        assert _count(sqs, url) == 0
        time.sleep(1.3)
        assert len([r for r in _records(host, name) if r["body"] == "fail"]) == 2, "no delivery after the DLQ"
        # a function error leaves the message too
        sqs.send_message(QueueUrl=url, MessageBody="error")
        _wait(lambda: [r for r in _records(host, name) if r["body"] == "error"], 10, "the failing delivery")
        assert _count(sqs, url) == 1
        # a disabled mapping does not deliver; a deleted one stops its poller
        lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
        _wait(lambda: not any(p["uuid"] == mapping["UUID"] for p in host.get("/hover-compat/lambda/mode")["pollers"]),
              5, "the poller of the disabled mapping to stop")
        before = len(_records(host, name))
        sqs.send_message(QueueUrl=url, MessageBody="later")
        time.sleep(0.8)
        assert len(_records(host, name)) == before
    finally:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])
        sqs.delete_queue(QueueUrl=url)
        sqs.delete_queue(QueueUrl=dlq_url)


def test_sqs_batch_item_failures_keep_only_those(host, make_function):
    sqs, lam = host.aws("sqs"), host.aws("lambda")
    name = make_function(suffix="queue")
    url, arn = _queue(sqs, f"hb-{uuid.uuid4().hex[:8]}", VisibilityTimeout=30)
    for body in ("a", "fail", "b"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    mapping = lam.create_event_source_mapping(FunctionName=name, EventSourceArn=arn, BatchSize=10,
                                              FunctionResponseTypes=["ReportBatchItemFailures"])
    try:
        _wait(lambda: len(_records(host, name)) == 3, 10, "one batch of three")
        assert len(host.get(f"/hover-compat/lambda/invocations?function={name}")) == 1, "one invocation per batch"
        _wait(lambda: _count(sqs, url) == 1, 5, "the two successes to be deleted")
        a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert a["ApproximateNumberOfMessagesNotVisible"] == "1", "the failure stays invisible for the visibility timeout"
    finally:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])
        sqs.delete_queue(QueueUrl=url)


# -- EventBridge -------------------------------------------------------------------


def test_events_fire_invokes_the_targets(host, make_function, tmp_path):
    events, lam = host.aws("events"), host.aws("lambda")
    name = make_function(suffix="cli")
    alias_arn = lam.get_alias(FunctionName=name, Name="live")["AliasArn"]
    rule = f"hr-{uuid.uuid4().hex[:8]}"
    marker = tmp_path / "scheduled"
    events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")
    events.put_targets(Rule=rule, Targets=[
        {"Id": "schedule", "Arn": alias_arn, "Input": json.dumps({"touch": str(marker), "sleep": 0.5})}])
    try:
        start = time.time()
        status, body = host.post("/hover-compat/events/fire", {"rule": rule})
        assert status == 200, body
        assert time.time() - start < 0.5, "firing is asynchronous"
        assert body["targets"] == [{"id": "schedule", "arn": alias_arn, "region": REGION, "invoked": True}]
        _wait(marker.exists, 10, "the rule's target to run")
        invs = host.get(f"/hover-compat/lambda/invocations?function={name}")
        assert invs == [{"function": name, "qualifier": "live", "payload": {"touch": str(marker), "sleep": 0.5}}]
        status, body = host.post("/hover-compat/events/fire", {"rule": rule + "-nope"})
        assert status == 404, body
    finally:
        events.remove_targets(Rule=rule, Ids=["schedule"])
        events.delete_rule(Name=rule)


# -- the HTTP API ------------------------------------------------------------------


@pytest.fixture
def http_api(host, make_function):
    """An HTTP API whose $default route proxies to the http function's live alias, as hover's template does."""
    api2, lam = host.aws("apigatewayv2"), host.aws("lambda")
    name = make_function(suffix="http")
    alias_arn = lam.get_alias(FunctionName=name, Name="live")["AliasArn"]
    api = api2.create_api(Name=f"{name}-api", ProtocolType="HTTP")["ApiId"]
    integration = api2.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=alias_arn,
                                          PayloadFormatVersion="2.0", TimeoutInMillis=30000)["IntegrationId"]
    api2.create_route(ApiId=api, RouteKey="$default", Target=f"integrations/{integration}")
    api2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    yield api, name
    api2.delete_api(ApiId=api)


def _request(host, method, path, headers=(), body=None):
    u = urlparse(host.endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    conn.putrequest(method, path, skip_accept_encoding=True)
    for k, v in headers:
        conn.putheader(k, v)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, resp.getheaders(), data


def test_http_api_request_becomes_payload_2(host, http_api):
    api, name = http_api
    status, headers, data = _request(host, "GET", f"/hover-compat/http/{api}/echo/page?x=1&x=2&y=%20z&flag", [
        ("X-Rep", "a"), ("X-Rep", "b"), ("User-Agent", "host-test/1"), ("Cookie", "c1=v1; c2=v2")])
    assert status == 200, data
    event = json.loads(data)
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/echo/page"
    assert event["rawQueryString"] == "x=1&x=2&y=%20z&flag"
    assert event["queryStringParameters"] == {"x": "1,2", "y": " z", "flag": ""}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-rep"] == "a,b"
    assert event["headers"]["user-agent"] == "host-test/1"
    assert all(k == k.lower() for k in event["headers"])
    ctx = event["requestContext"]
    assert ctx["accountId"] == ACCOUNT and ctx["apiId"] == api
    assert ctx["domainName"] == f"{api}.execute-api.{REGION}.amazonaws.com"
    assert ctx["http"] == {"method": "GET", "path": "/echo/page", "protocol": "HTTP/1.1",
                           "sourceIp": "127.0.0.1", "userAgent": "host-test/1"}
    assert ctx["routeKey"] == "$default" and ctx["stage"] == "$default" and ctx["requestId"]
    assert abs(ctx["timeEpoch"] - time.time() * 1000) < 10000
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", ctx["time"])
    assert event["isBase64Encoded"] is False and "body" not in event
    # the integration is the live alias
    inv = host.get(f"/hover-compat/lambda/invocations?function={name}")
    assert inv[-1]["qualifier"] == "live"
    # no query string: no parameters
    event = json.loads(_request(host, "GET", f"/hover-compat/http/{api}/")[2])
    assert event["rawPath"] == "/" and event["rawQueryString"] == "" and "queryStringParameters" not in event
    assert "cookies" not in event


def test_http_api_bodies(host, http_api):
    api, _ = http_api
    binary = bytes(range(256))
    _, _, data = _request(host, "POST", f"/hover-compat/http/{api}/upload", [("Content-Type", "application/octet-stream")], binary)
    event = json.loads(data)
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == binary
    assert event["requestContext"]["http"]["method"] == "POST"
    text = json.dumps({"name": "é"}).encode()
    _, _, data = _request(host, "PUT", f"/hover-compat/http/{api}/json", [("Content-Type", "application/json")], text)
    event = json.loads(data)
    assert event["isBase64Encoded"] is False and event["body"] == text.decode()


def test_http_api_answers(host, http_api):
    api, _ = http_api
    status, headers, data = _request(host, "GET", f"/hover-compat/http/{api}/binary")
    assert status == 200 and data == bytes(range(256))
    assert dict((k.lower(), v) for k, v in headers)["content-type"] == "application/octet-stream"
    status, headers, data = _request(host, "GET", f"/hover-compat/http/{api}/cookies")
    assert status == 200 and data == b"cookies"
    assert [v for k, v in headers if k.lower() == "set-cookie"] == ["a=1; Path=/", "b=2; HttpOnly"]
    assert dict((k.lower(), v) for k, v in headers)["x-multi"] == "a, b"
    status, _, data = _request(host, "GET", f"/hover-compat/http/{api}/status/418")
    assert status == 418 and data == b"status"
    status, headers, data = _request(host, "GET", f"/hover-compat/http/{api}/plain")
    assert status == 200 and json.loads(data) == {"just": "json"}
    assert dict((k.lower(), v) for k, v in headers)["content-type"] == "application/json"
    status, _, data = _request(host, "GET", f"/hover-compat/http/{api}/fail")
    assert status == 500 and json.loads(data) == {"message": "Internal Server Error"}
    status, _, _ = _request(host, "GET", "/hover-compat/http/nope123/")
    assert status == 404


# -- logs, deletion, layers --------------------------------------------------------


def test_logs_reach_cloudwatch_and_the_state_dir(host, make_function):
    lam, logs = host.aws("lambda"), host.aws("logs")
    name = make_function()
    text = f"hello-logs-{uuid.uuid4().hex[:6]}"
    _, body, _ = _invoke(lam, name, {"log": text})
    rid = body["request_id"]
    group = f"/aws/lambda/{name}"

    def messages():
        return [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]

    _wait(lambda: any(m.startswith(f"REPORT RequestId: {rid}") for m in messages()), 5, "the REPORT line")
    got = messages()
    assert "runtime starting" in got and text in got
    assert f"START RequestId: {rid} Version: $LATEST" in got and f"END RequestId: {rid}" in got
    report = next(m for m in got if m.startswith(f"REPORT RequestId: {rid}"))
    assert re.search(r"Duration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB", report)
    assert got.index(f"START RequestId: {rid} Version: $LATEST") < got.index(text) < got.index(f"END RequestId: {rid}")
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]
    assert len(streams) == 1 and re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", streams[0]), streams
    if host.state is not None:
        assert text in (host.state / "logs" / f"{name}.log").read_text()


def test_deleting_a_function_stops_its_containers(host, make_function):
    lam = host.aws("lambda")
    name = make_function()
    _, latest, _ = _invoke(lam, name, {})
    _, live, _ = _invoke(lam, name, {}, Qualifier="live")
    lam.delete_alias(FunctionName=name, Name="live")
    lam.delete_function(FunctionName=name, Qualifier="1")
    _wait(lambda: _gone(live["pid"]), 5, "the version's container to stop")
    assert [c["version"] for c in host.containers(name)] == ["$LATEST"]
    lam.delete_function(FunctionName=name)
    _wait(lambda: _gone(latest["pid"]), 5, "the function's container to stop")
    assert host.containers(name) == []


def _tar(entries) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.size, info.mode = len(data), 0o755
                tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buf.getvalue())


def test_layers_honour_whiteouts(tmp_path):
    import sys

    sys.path.insert(0, str(LOCALSTACK))
    from hover_compat.host_runtime import _apply_layer, resolve_in_root

    root = tmp_path / "root"
    root.mkdir()
    _apply_layer(str(root), _tar([("a/", None), ("a/keep", b"1"), ("a/gone", b"2"), ("b/", None), ("b/old", b"3"),
                                  ("c", b"4")]), "application/vnd.oci.image.layer.v1.tar+gzip")
    _apply_layer(str(root), _tar([("a/.wh.gone", b""), ("b/.wh..wh..opq", b""), ("b/new", b"5"), ("c", b"44")]),
                 "application/vnd.oci.image.layer.v1.tar+gzip")
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == ["a/keep", "b/new", "c"], files
    assert (root / "c").read_bytes() == b"44"
    (root / "link").symlink_to("/a")
    assert resolve_in_root(str(root), "/link/keep") == str(root / "a" / "keep")
    assert resolve_in_root(str(root), "../../a/keep", "/b") == str(root / "a" / "keep")


def test_a_daemon_without_the_marker_goes_with_its_container(host, make_function):
    """A daemon in a session of its own whose environment no longer says which container it
    belongs to (php-fpm's master) is stopped with its container, and when its container dies."""
    lam = host.aws("lambda")
    name = make_function()
    _, body, _ = _invoke(lam, name, {"daemon": "bare"})
    assert not _gone(body["daemon"])
    assert host.post("/hover-compat/lambda/containers/stop", {"function": name}) == (200, {"stopped": 1})
    _wait(lambda: _gone(body["pid"]) and _gone(body["daemon"]), 5, "the container and its daemon to be gone")
    # The container's process dies on its own: its daemon goes too.
    _, body, _ = _invoke(lam, name, {"daemon": "bare"})
    _invoke(lam, name, {"die": 3})
    _wait(lambda: _gone(body["pid"]) and _gone(body["daemon"]), 5, "the dead container's daemon to be gone")


# -- reset (last: it empties the registry) -----------------------------------------


def test_zz_reset_stops_every_process(host, make_function):
    lam = host.aws("lambda")
    name = make_function()
    _, body, _ = _invoke(lam, name, {"daemon": True})
    pids = [body["pid"], body["daemon"]]
    assert not any(_gone(p) for p in pids)
    assert host.containers()
    status, _ = host.post("/moto-api/reset")
    assert status == 200
    assert host.containers() == []
    _wait(lambda: all(_gone(p) for p in pids), 5, "every process of the container, the daemon too, to be gone")
