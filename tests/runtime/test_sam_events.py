# SAM CLI's generated sample events (HTTP API payload 2.0, SQS, scheduled), read from the aws-sam-cli wheel, through the runtime.
import base64
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from test_queue import queue_runtime_dir, journal  # noqa: F401  (fixtures)

CACHE = Path(os.environ.get("HOVER_CACHE", Path.home() / ".cache" / "hover")) / "sam-cli"
EVENTS = "samcli/lib/generated_sample_events/"
# A fixed release: its sample events are the shapes the tests hold the runtime to.
SAM_CLI = "1.170.0"


@pytest.fixture(scope="module")
def sam():
    pattern = str(CACHE / f"aws_sam_cli-{SAM_CLI}-*.whl")
    wheels = sorted(glob.glob(pattern))
    if not wheels:
        CACHE.mkdir(parents=True, exist_ok=True)
        out = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", f"aws-sam-cli=={SAM_CLI}",
                              "-d", str(CACHE)], capture_output=True, text=True, timeout=600)
        wheels = sorted(glob.glob(pattern))
        if not wheels:
            pytest.skip("cannot download aws-sam-cli (pip download failed: " + out.stderr.strip()[-300:] + ")")
    return zipfile.ZipFile(wheels[-1])


def sample(sam, service, event):
    """A sample event rendered as `sam local generate-event` renders it with its defaults."""
    mapping = json.loads(sam.read(EVENTS + "event-mapping.json"))[service][event]
    template = sam.read(f"{EVENTS}events/{service}/{mapping['filename']}.json").decode()
    values = {}
    for tag, props in mapping["tags"].items():
        value = props.get("default", "")
        if props.get("encoding") == "base64":
            value = base64.b64encode(value.encode()).decode()
        values[tag.replace("-", "_")] = value
        for child, child_props in props.get("children", {}).items():
            if child_props.get("hashing") == "md5":
                values[child] = hashlib.md5(value.encode()).hexdigest()
    rendered = re.sub(r"\{\{\{\s*(\w+)\s*\}\}\}", lambda m: json.dumps(values[m.group(1)])[1:-1], template)
    assert "{{" not in rendered, rendered
    return json.loads(rendered)


def test_http_api_sample(runtimes, sam):
    ev = sample(sam, "apigateway", "http-api-proxy")
    assert ev["version"] == "2.0"
    rt = runtimes("sam-http")
    ev["rawPath"] = "/echo/" + ev["rawPath"].lstrip("/")
    kind, answer = rt.invoke(ev)
    assert kind == "response", answer
    assert answer["statusCode"] == 200
    got = json.loads(answer["body"])
    s = got["server"]
    assert got["method"] == ev["requestContext"]["http"]["method"] == "POST"
    assert s["QUERY_STRING"] == ev["rawQueryString"] == "parameter1=value1&parameter1=value2&parameter2=value"
    assert s["REQUEST_URI"] == ev["rawPath"] + "?" + ev["rawQueryString"]
    assert s["HTTP_COOKIE"] == "cookie1; cookie2"
    assert s["HTTP_HEADER1"] == "value1" and s["HTTP_HEADER2"] == "value1,value2"
    assert s["REMOTE_ADDR"] == "192.168.0.1"
    assert s["SERVER_NAME"] == ev["requestContext"]["domainName"]
    assert base64.b64decode(got["body_b64"]) == b'{"test":"body"}'


def test_sqs_sample(runtimes, sam, fake_aws, queue_runtime_dir, journal):  # noqa: F811
    ev = sample(sam, "sqs", "receive-message")
    rt = runtimes("sam-queue", runtime_dir=queue_runtime_dir, env={"AWS_ENDPOINT_URL": fake_aws.url, "QUEUE_TRIES": "2",
                                                                  "STAND_IN_JOURNAL": str(journal)})
    kind, answer = rt.invoke(ev)
    assert (kind, answer) == ("response", {"batchItemFailures": []})
    job = [json.loads(l) for l in journal.read_text().splitlines()][-1]
    assert job["record"] == ev["Records"][0] and job["tries"] == 2 and job["backoff"] == []
    # the same record released: its queue URL comes from its eventSourceARN
    n = len(fake_aws.of("ChangeMessageVisibility"))
    ev["Records"][0]["body"] = json.dumps({"do": "release", "delay": 4})
    kind, answer = rt.invoke(ev)
    assert answer == {"batchItemFailures": [{"itemIdentifier": ev["Records"][0]["messageId"]}]}
    call = json.loads(fake_aws.of("ChangeMessageVisibility")[n]["body"])
    assert call == {"QueueUrl": fake_aws.url + "/123456789012/MyQueue", "ReceiptHandle": "MessageReceiptHandle",
                    "VisibilityTimeout": 4}


def test_scheduled_event_sample(runtimes, sam):
    ev = sample(sam, "cloudwatch", "scheduled-event")
    assert ev["detail-type"] == "Scheduled Event"
    cli = runtimes("sam-cli")
    kind, answer = cli.invoke(ev)
    assert kind == "response" and answer["exit_code"] == 0
    assert json.loads(base64.b64decode(answer["output"]).decode().splitlines()[0]) == ["schedule:run", "--no-interaction"]
    # the http function answers an error for it (not a crash), then serves requests
    http = runtimes("sam2-http")
    kind, answer = http.invoke(ev)
    assert kind == "error" and answer["errorType"] == "Hover.UnsupportedEvent"
    kind, answer = http.invoke(sample(sam, "apigateway", "http-api-proxy"))
    assert kind == "response"
