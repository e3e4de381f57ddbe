"""Faults between hover and AWS (a fault proxy in front of the emulator): every outcome hover
reports is true. When it cannot tell whether a write happened it finds out before it answers,
nothing unexecuted is left behind, and losing sight of a stack after a change is said as such."""
import e2e_stages as stages


def through(proxy):
    return {"AWS_ENDPOINT_URL": proxy.url}


def leftovers(s):
    return [
        c["ChangeSetName"]
        for c in s.aws.cloudformation.list_change_sets(StackName=s.name)["Summaries"]
        if c.get("ExecutionStatus") == "AVAILABLE"
    ]


def apply_through(s, proxy):
    return s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag, env=through(proxy))


def test_execute_answer_lost_after_the_change_set_ran(stage, proxy):
    s = stages.applied_with_a_change(stage)
    proxy.fail("ExecuteChangeSet", "reset_after")
    r = apply_through(s, proxy)
    assert proxy.outcomes("ExecuteChangeSet")[0] == "reset_after"
    assert r.code == 0, r
    assert "Apply complete!" in r.stdout, r
    assert stages.http_memory(s) == 1024
    assert leftovers(s) == []
    s.assert_no_changes()


def test_execute_dropped_before_it_reached_cloudformation(stage, proxy):
    s = stages.applied_with_a_change(stage)
    proxy.fail("ExecuteChangeSet", "reset_before")
    r = apply_through(s, proxy)
    assert proxy.outcomes("ExecuteChangeSet")[0] == "reset_before"
    assert r.code == 0, r
    assert stages.http_memory(s) == 1024
    s.assert_no_changes()


def test_create_change_set_answer_lost_leaves_no_twin(stage, proxy):
    s = stages.applied_with_a_change(stage)
    proxy.fail("CreateChangeSet", "reset_after")
    r = apply_through(s, proxy)
    assert proxy.outcomes("CreateChangeSet")[0] == "reset_after"
    assert r.code == 0, r
    assert stages.http_memory(s) == 1024
    assert leftovers(s) == [], "a change set made by a lost answer was left behind"


def test_losing_sight_of_the_stack_after_execution_is_said(stage, proxy):
    s = stages.applied_with_a_change(stage)
    # Once the change set is executed, every DescribeStacks fails (the SDK's retries too).
    proxy.fail("DescribeStacks", "status", times=10_000, status=500, after="ExecuteChangeSet",
               body="<ErrorResponse><Error><Code>InternalFailure</Code><Message>boom</Message></Error></ErrorResponse>")
    r = apply_through(s, proxy)
    assert r.code == 1, r
    assert "the change set was executed" in r.stderr and "lost sight" in r.stderr, r
    assert "Apply complete!" not in r.stdout, r
    assert stages.http_memory(s) == 1024, "the change was made, as the message says"


def test_a_key_left_without_its_alias_is_adopted_not_made_twice(stage, proxy):
    s = stage(stages.concept())
    s.register_image()
    kms = s.aws.kms

    def stage_keys():
        out = []
        for k in kms.list_keys()["Keys"]:
            tags = kms.list_resource_tags(KeyId=k["KeyId"]).get("Tags", [])
            if {"TagKey": "hover:alias", "TagValue": f"alias/{s.name}-secrets-key"} in tags:
                out.append(k["KeyId"])
        return out

    # The first apply stops between CreateKey and CreateAlias (every attempt of the alias fails).
    proxy.fail("CreateAlias", "reset_before", times=50)
    r = apply_through(s, proxy)
    assert r.code == 1, r
    assert "CreateAlias" in r.stderr, r
    assert len(stage_keys()) == 1
    proxy.clear()

    s.apply()
    keys = stage_keys()
    assert len(keys) == 1, f"a second key was made: {keys}"
    target = kms.describe_key(KeyId=f"alias/{s.name}-secrets-key")["KeyMetadata"]["KeyId"]
    assert target == keys[0]
    s.assert_no_changes()


def test_throttling_and_server_errors_are_retried(stage, proxy):
    s = stages.applied_with_a_change(stage)
    throttled = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
        "<Message>Rate exceeded</Message></Error></ErrorResponse>"
    )
    proxy.fail("CreateChangeSet", "status", times=2, status=400, body=throttled)
    proxy.fail("DescribeChangeSet", "status", times=2, status=503, body="<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>busy</Message></Error></ErrorResponse>")
    r = apply_through(s, proxy)
    assert r.code == 0, r
    assert proxy.outcomes("CreateChangeSet")[:2] == ["status 400", "status 400"]
    assert stages.http_memory(s) == 1024
    assert leftovers(s) == []
