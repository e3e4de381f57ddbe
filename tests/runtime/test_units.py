# The runtime's building blocks on their own: SigV4 (AWS test-suite vector and botocore), FastCGI encoding, endpoints, CGI answers.
import base64
import json
import struct
from datetime import datetime, timezone

import pytest

from conftest import php

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
T = int(datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc).timestamp())


def php_sign(region, service, method, url, headers, body, t=T):
    out = php("sign", KEY, SECRET, region, service, method, url, headers, body, t)["ok"]
    auth = out["Authorization"]
    return auth.split("Signature=")[1], auth.split("SignedHeaders=")[1].split(",")[0], out


def test_sigv4_aws_test_suite_get_vanilla():
    # aws-sig-v4-test-suite/get-vanilla
    sig, signed, out = php_sign("us-east-1", "service", "GET", "https://example.amazonaws.com/", {}, "")
    assert out["X-Amz-Date"] == "20150830T123600Z"
    assert signed == "host;x-amz-date"
    assert sig == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"


def botocore_sign(region, service, method, url, headers, body, token=None):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method=method, url=url, data=body.encode(), headers=dict(headers))
    auth = SigV4Auth(Credentials(KEY, SECRET, token), service, region)
    req.context["timestamp"] = "20150830T123600Z"
    req.headers["X-Amz-Date"] = "20150830T123600Z"
    if token:
        req.headers["X-Amz-Security-Token"] = token
    canonical = auth.canonical_request(req)
    return auth.signature(auth.string_to_sign(req, canonical), req), auth.signed_headers(auth.headers_to_sign(req))


@pytest.mark.parametrize("service,method,url,headers,body", [
    ("kms", "POST", "https://kms.eu-west-1.amazonaws.com/",
     {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.Decrypt"}, '{"CiphertextBlob":"AQID"}'),
    ("sqs", "POST", "http://127.0.0.1:4566/",
     {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ChangeMessageVisibility"}, '{"QueueUrl":"x"}'),
    ("lambda", "POST", "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/shop-dev-http/invocations?Qualifier=%24LATEST",
     {"Content-Type": "application/json", "X-Amz-Invocation-Type": "Event"}, '{"warmer_ping":true}'),
    ("lambda", "POST", "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/shop-dev-http/invocations?Qualifier=12&b=a%20b",
     {"X-Amz-Invocation-Type": "Event", "X-Odd-Spaces": "  a   b  "}, ""),
])
@pytest.mark.parametrize("token", [None, "session-token/with+chars="])
def test_sigv4_matches_botocore(service, method, url, headers, body, token):
    region = "eu-west-1"
    if token:
        headers = headers | {"X-Amz-Security-Token": token}
    sig, signed, _ = php_sign(region, service, method, url, headers, body)
    expected_sig, expected_signed = botocore_sign(region, service, method, url, {k: v for k, v in headers.items() if k != "X-Amz-Security-Token"}, body, token)
    assert signed == expected_signed
    assert sig == expected_sig


def test_fastcgi_pairs_short_and_long_lengths():
    name, value = "N" * 127, "v" * 128
    raw = bytes.fromhex(php("pairs", {name: value, "A": ""})["ok"])
    assert raw[0] == 127
    assert struct.unpack(">I", raw[1:5])[0] == 0x80000000 | 128
    assert raw[5:5 + 127 + 128] == (name + value).encode()
    assert raw[5 + 255:] == b"\x01\x00A"
    long_name = "L" * 300
    raw = bytes.fromhex(php("pairs", {long_name: "x" * 70000})["ok"])
    assert struct.unpack(">II", raw[:8]) == (0x80000000 | 300, 0x80000000 | 70000)


def test_fastcgi_stream_splits_records_and_pads():
    raw = bytes.fromhex(php("stream", 5, "a" * 65535 + "b" * 10)["ok"])
    records = []
    i = 0
    while i < len(raw):
        version, rtype, rid, length, pad = struct.unpack(">BBHHBx", raw[i:i + 8])
        records.append((version, rtype, rid, length, pad))
        i += 8 + length + pad
    assert records == [(1, 5, 1, 65535, 1), (1, 5, 1, 10, 6), (1, 5, 1, 0, 0)]


@pytest.mark.parametrize("env,service,url", [
    ({"AWS_REGION": "eu-west-1"}, "kms", "https://kms.eu-west-1.amazonaws.com"),
    ({"AWS_REGION": "cn-north-1"}, "sqs", "https://sqs.cn-north-1.amazonaws.com.cn"),
    ({"AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://localhost:4566/"}, "lambda", "http://localhost:4566"),
    ({"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_SQS": "http://b:2"}, "sqs", "http://b:2"),
    ({"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_SQS": "http://b:2"}, "kms", "http://a:1"),
])
def test_endpoints(env, service, url):
    assert php("endpoint", env, service) == {"ok": url}


def test_queue_url():
    assert php("queueUrl", {"AWS_ENDPOINT_URL": "http://h:1"}, "arn:aws:sqs:eu-west-1:123456789012:jobs") == {"ok": "http://h:1/123456789012/jobs"}
    assert php("queueUrl", {"AWS_REGION": "eu-west-1"}, "arn:aws:sqs:eu-west-1:123456789012:jobs") == {"ok": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"}


def response(stdout: bytes):
    return php("response", base64.b64encode(stdout).decode())["ok"]


def test_cgi_answer_parsing():
    r = response(b"Status: 404 Not Found\r\nX-A: 1\r\nx-a: 2\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Type: text/html\r\n\r\n<p>\xc3\xa9</p>")
    assert r == {"statusCode": 404, "headers": {"x-a": "1, 2", "content-type": "text/html"}, "cookies": ["a=1", "b=2"],
                 "body": "<p>é</p>", "isBase64Encoded": False}
    r = response(b"Content-Type: text/plain\r\n\r\n\xff\xfe")  # text type but not UTF-8
    assert r["isBase64Encoded"] is True and base64.b64decode(r["body"]) == b"\xff\xfe"
    r = response(b"Content-Type: image/png\r\n\r\n\x89PNG")
    assert r["isBase64Encoded"] is True
    r = response(b"Status: 204 No Content\r\n\r\n")
    assert r == {"statusCode": 204, "headers": {}, "cookies": [], "body": "", "isBase64Encoded": False}
    r = response(b"Content-Type: application/vnd.api+json\r\n\r\n{}")
    assert r["body"] == "{}" and r["isBase64Encoded"] is False
    r = response(b"Content-Type: text/plain\r\n\r\na\r\n\r\nb")
    assert r["body"] == "a\r\n\r\nb"


def test_params_mapping_without_optional_fields():
    params = php("params", {"rawPath": "/x", "requestContext": {"http": {"method": "get", "sourceIp": "192.168.0.1/32"}}}, "/var/task")["ok"]
    assert params["REQUEST_METHOD"] == "GET"
    assert params["REMOTE_ADDR"] == "192.168.0.1"
    assert params["REQUEST_URI"] == "/x"
    assert params["SERVER_NAME"] == "localhost"
    assert params["SCRIPT_FILENAME"] == "/var/task/public/index.php"
    # No body and no type: neither is passed (the application sees no empty Content-Type).
    assert "CONTENT_LENGTH" not in params and "CONTENT_TYPE" not in params
    params = php("params", {"rawPath": "/x", "body": "a=1", "headers": {"content-type": "text/plain"},
                            "requestContext": {"http": {"method": "POST", "sourceIp": "192.168.0.1"}}}, "/var/task")["ok"]
    assert (params["CONTENT_LENGTH"], params["CONTENT_TYPE"]) == ("3", "text/plain")


def test_a_runtime_api_that_does_not_answer_ends_the_process_with_one_clear_line(sandbox):
    import socket
    import subprocess

    from fakes import PHP

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there any more
    env = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}", "AWS_LAMBDA_FUNCTION_NAME": "app-cli",
           "LAMBDA_TASK_ROOT": str(sandbox / "app"), "HOVER_PHP": PHP, "AWS_REGION": "us-east-1"}
    out = subprocess.run([str(sandbox / "runtime" / "bootstrap")], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 1, out
    assert f"hover: the Lambda Runtime API at 127.0.0.1:{port} failed" in out.stderr, out.stderr
    assert "Stack trace" not in out.stderr and "Fatal error" not in out.stderr, out.stderr
