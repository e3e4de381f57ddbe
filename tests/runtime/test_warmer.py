# The http role's warmer and pings: N−1 concurrent async invocations of its own version (none for N=1), errors surfaced.
import json
import time

import pytest


@pytest.fixture(scope="module")
def http(runtimes, fake_aws):
    return runtimes("shop-dev-http", env={"AWS_ENDPOINT_URL_LAMBDA": fake_aws.url, "AWS_SESSION_TOKEN": "token-1"})


def test_warmer_invokes_its_own_version_n_minus_1_times(http, fake_aws):
    n = len(fake_aws.of("Invoke"))
    kind, answer = http.invoke({"warmer": True, "containers": 4})
    assert (kind, answer) == ("response", {"warm": True, "containers": 4})
    calls = fake_aws.of("Invoke")[n:]
    assert len(calls) == 3
    for c in calls:
        assert c["path"] == "/2015-03-31/functions/shop-dev-http/invocations?Qualifier=7"
        assert c["headers"]["x-amz-invocation-type"] == "Event"
        assert json.loads(c["body"]) == {"warmer_ping": True}
        assert c["headers"]["x-amz-security-token"] == "token-1"
        assert "/us-east-1/lambda/aws4_request" in c["headers"]["authorization"]
        assert "x-amz-security-token" in c["headers"]["authorization"]


def test_warmer_with_one_container_invokes_nothing(http, fake_aws):
    n = len(fake_aws.of("Invoke"))
    kind, answer = http.invoke({"warmer": True, "containers": 1})
    assert (kind, answer) == ("response", {"warm": True, "containers": 1})
    time.sleep(0.3)
    assert fake_aws.of("Invoke")[n:] == []


def test_invocations_are_concurrent(http, fake_aws):
    fake_aws.delay["Invoke"] = 0.6
    try:
        started = time.time()
        kind, _ = http.invoke({"warmer": True, "containers": 5})
        took = time.time() - started
    finally:
        del fake_aws.delay["Invoke"]
    assert kind == "response"
    assert took < 1.5, f"4 invocations answering in 0.6 s each took {took:.2f} s: not concurrent"


def test_ping_warms_and_answers(http):
    started = time.time()
    kind, answer = http.invoke({"warmer_ping": True})
    assert (kind, answer) == ("response", {"warm": True})
    assert time.time() - started >= 0.05


def test_lambda_errors_are_surfaced(http, fake_aws):
    fake_aws.fail["Invoke"] = (403, {"__type": "AccessDeniedException", "message": "not allowed to invoke"})
    try:
        kind, answer = http.invoke({"warmer": True, "containers": 2})
    finally:
        del fake_aws.fail["Invoke"]
    assert kind == "error"
    assert answer["errorType"] == "Hover.WarmerError"
    assert "AccessDeniedException: not allowed to invoke" in answer["errorMessage"]
    assert "AccessDeniedException" in http.output()
