"""A no-op apply makes no write: no change set, no stack operation."""
import json
import urllib.error
import urllib.request

import pytest

import e2e_stages as stages

CFN_WRITES = (
    "CreateChangeSet",
    "ExecuteChangeSet",
    "DeleteChangeSet",
    "CreateStack",
    "UpdateStack",
    "DeleteStack",
)


def counter(endpoint, reset=False):
    """The emulator's request counts, or None when the emulator has no counter."""
    url = f"{endpoint}/hover-compat/requests" + ("/reset" if reset else "")
    req = urllib.request.Request(url, method="POST" if reset else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = json.loads(resp.read())
    except urllib.error.HTTPError:  # an emulator without the counter answers 404 or 500
        return None
    except ValueError:
        return None
    return body if isinstance(body, dict) and "counts" in body else None


def test_noop_apply_makes_no_cloudformation_write(stage, endpoint):
    s = stage(stages.concept())
    s.register_image()
    s.apply()
    cfn = s.aws.cloudformation
    stack_before = cfn.describe_stacks(StackName=s.name)["Stacks"][0]
    change_sets_before = cfn.list_change_sets(StackName=s.name)["Summaries"]

    has_counter = counter(endpoint, reset=True) is not None
    r = s.hover("apply", s.key, "--auto-approve")
    counts = counter(endpoint) if has_counter else None

    assert r.code == 0, r
    assert "No changes." in r.stdout, r
    assert "Apply complete!" not in r.stdout, r
    stack_after = cfn.describe_stacks(StackName=s.name)["Stacks"][0]
    assert stack_after["StackStatus"] == stack_before["StackStatus"]
    assert stack_after.get("LastUpdatedTime") == stack_before.get("LastUpdatedTime")
    assert cfn.list_change_sets(StackName=s.name)["Summaries"] == change_sets_before

    if not has_counter:
        pytest.xfail("the emulator has no request counter (GET /hover-compat/requests): CloudFormation writes not counted")
    # Counts are global to the emulator: exact when tests run one at a time (the default).
    actions = counts["counts"]
    writes = {k: v for k, v in actions.items() if k.startswith("cloudformation:") and k.split(":", 1)[1] in CFN_WRITES}
    assert not writes, f"a no-op apply made CloudFormation writes: {writes}"
    assert any(k.startswith("cloudformation:") for k in actions), f"the counter saw no CloudFormation call: {actions}"
    # Nor any other write: the repository, bucket and key already match.
    verbs = ("Create", "Put", "Update", "Delete", "Execute", "Enable", "Attach", "Tag", "Set", "Publish", "Add")
    other = {k: v for k, v in actions.items() if k.split(":", 1)[1].startswith(verbs)}
    assert not other, f"a no-op apply made writes: {other}"
