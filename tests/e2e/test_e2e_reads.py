"""What a plan costs in requests, and that it stays within AWS's request-rate quotas.

The request counts come from the emulator's counter (GET /hover-compat/requests); the quotas are
enforced by the quota simulator (localstack/quota_proxy.py), a proxy in front of the emulator
that answers throttling errors beyond the rates of hover's own quota table.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_e2e_noop import counter

ROOT = Path(__file__).resolve().parents[2]
# A fifth of every quota: a 20-worker stage then needs seconds at the allowed rates, so a plan that
# did not pace itself would certainly be throttled; every family still holds two calls or more.
SCALE = 0.2


def workers_manifest(n):
    return {"region": "us-east-1", "queue": {f"w{i}": {"queues": [f"q{i}"]} for i in range(n)}}


def plan_requests(s, endpoint):
    """The requests of one `hover plan` of the stage, by `service:Operation`."""
    if counter(endpoint, reset=True) is None:
        pytest.skip("the emulator has no request counter (GET /hover-compat/requests)")
    r = s.plan_exit()
    counts = counter(endpoint)["counts"]
    assert r.code == 0, r
    return counts


def test_a_plan_costs_two_requests_per_function_and_one_per_queue(stage, endpoint):
    small, large = stage(workers_manifest(1)), stage(workers_manifest(11))
    for s in (small, large):
        s.register_image()
        s.apply()
    few, many = plan_requests(small, endpoint), plan_requests(large, endpoint)

    # Ten more workers are ten more functions (2 requests each) and twenty more SQS queues (a
    # queue and its dead-letter queue, 1 each): nothing else grows.
    assert sum(many.values()) - sum(few.values()) == 10 * 2 + 20 * 1, (few, many)
    # Per function: GetFunction, and GetFunction of its alias (3 functions: http, cli, worker).
    assert few["lambda:GetFunction"] == 2 * 3, few
    assert many["lambda:GetFunction"] == 2 * 13, many
    # Per queue: its attributes, by the URL the stack records.
    assert many["sqs:GetQueueAttributes"] == 22, many
    # One listing each, whatever the stage's size.
    for listing in ("logs:DescribeLogGroups", "lambda:ListEventSourceMappings"):
        assert few[listing] == many[listing] == 1, (listing, few, many)
    for gone in ("lambda:GetAlias", "lambda:GetFunctionConcurrency", "sqs:GetQueueUrl"):
        assert gone not in many, (gone, many)
    # The rest is a constant for the stage (stack, role, rules, API, CDN, bucket, key, repository).
    constant = sum(few.values()) - 2 * 3 - 2
    assert constant <= 40, few


@pytest.fixture
def quota_proxy(endpoint):
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "localstack" / "quota_proxy.py"), "--upstream", endpoint, "--scale", str(SCALE)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "listening on" in line, line
        yield line.strip().rsplit(" ", 1)[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def proxy(url, what, method="GET"):
    import urllib.request

    req = urllib.request.Request(f"{url}/quota-proxy/{what}", method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def test_a_large_plan_stays_within_the_quotas(stage, quota_proxy):
    s = stage(workers_manifest(20))
    s.register_image()
    s.apply()

    proxy(quota_proxy, "reset", "POST")
    r = s.hover(
        "plan", s.key, "--detailed-exitcode",
        env={"AWS_ENDPOINT_URL": quota_proxy, "HOVER_API_RATE_SHARE": str(SCALE)},
    )
    stats = proxy(quota_proxy, "stats")
    assert r.code == 0, r
    assert "No changes." in r.stdout, r
    # Every request was named and drawn from its quota family...
    assert stats["unclassified"] == {}, stats["unclassified"]
    assert stats["allowed"].get("lambda:GetFunction") == 2 * 22, stats["allowed"]
    # ...and none was beyond its quota.
    assert stats["throttled"] == {}, stats["throttled"]


def test_the_simulator_throttles_a_client_that_does_not_pace_itself(stage, quota_proxy):
    """The simulator's own check: the same plan with hover's limiters allowing five times the
    simulated quotas is throttled."""
    s = stage(workers_manifest(20))
    s.register_image()
    s.apply()

    proxy(quota_proxy, "reset", "POST")
    r = s.hover("plan", s.key, "--detailed-exitcode", env={"AWS_ENDPOINT_URL": quota_proxy, "HOVER_API_RATE_SHARE": "1"})
    stats = proxy(quota_proxy, "stats")
    assert sum(stats["throttled"].values()) > 0, (stats, r)


def test_an_apply_stays_within_the_quotas(stage, quota_proxy):
    """Writes and CloudFormation's polling draw from the same quota families as reads: creating a
    stage and changing it, at a fifth of every quota, is never throttled."""
    s = stage(workers_manifest(3))
    s.register_image()
    # An account of many keys (other stages' keys, and keys pending deletion) that hover looks
    # the stage key up among.
    kms = s.aws.kms
    for i in range(30):
        key = kms.create_key(Description=f"other {i}")["KeyMetadata"]["KeyId"]
        if i % 3 == 0:
            kms.create_alias(AliasName=f"alias/other-{i}-of-{s.name}", TargetKeyId=key)
        elif i % 3 == 1:
            kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    env = {"AWS_ENDPOINT_URL": quota_proxy, "HOVER_API_RATE_SHARE": str(SCALE)}
    proxy(quota_proxy, "reset", "POST")
    for memory in (None, 1024):
        if memory:
            s.manifest.setdefault("http", {})["memory"] = memory
            s.write(s.manifest)
        r = s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag, env=env)
        assert r.code == 0, r
        assert "Apply complete!" in r.stdout, r
    stats = proxy(quota_proxy, "stats")
    assert stats["unclassified"] == {}, stats["unclassified"]
    for op in ("cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet", "cloudformation:DescribeStacks"):
        assert stats["allowed"].get(op, 0) >= 2, stats["allowed"]
    assert stats["throttled"] == {}, stats["throttled"]
    # The stage key is looked up by its alias; only usable keys no alias points at have their tags
    # read when it is made, not every key of the account.
    aliased = {a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if "TargetKeyId" in a}
    keys = [k["KeyId"] for k in kms.list_keys()["Keys"]]
    unaliased = [k for k in keys if k not in aliased
                 and kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] in ("Enabled", "Disabled")]
    assert stats["allowed"].get("kms:ListResourceTags", 0) <= len(unaliased) < len(keys), stats["allowed"]
