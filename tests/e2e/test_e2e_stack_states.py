"""Stack states apply must handle on the emulator: a stack left in REVIEW_IN_PROGRESS by a change
set that was never executed, and a resource deleted outside hover that the stack still records."""
import json

import e2e_stages as stages


def test_stack_left_in_review_is_created(stage):
    s = stage(stages.concept())
    s.register_image()
    cfn = s.aws.cloudformation
    # Someone created a change set for the stage's stack and never executed it.
    template = {"Resources": {"Leftover": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"leftover-{s.name}"}}}}
    created = cfn.create_change_set(
        StackName=s.name, ChangeSetName="left-behind", ChangeSetType="CREATE", TemplateBody=json.dumps(template)
    )
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=created["Id"], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    assert cfn.describe_stacks(StackName=s.name)["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"

    plan = s.plan_json()
    assert plan["stack_status"] == "REVIEW_IN_PROGRESS"
    actions = {rc["address"]: rc["change"]["actions"] for rc in plan["resource_changes"]}
    assert "Leftover" not in actions, "an unexecuted change set is not what hover applied"
    assert actions["HttpFunction"] == ["create"] and actions["QueueDefault"] == ["create"]

    s.apply()
    assert cfn.describe_stacks(StackName=s.name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert s.aws.lambda_.get_function(FunctionName=f"{s.name}-http")["Configuration"]["MemorySize"] == 512
    s.assert_no_changes()


def test_resource_deleted_outside_hover_stops_apply_before_any_change(stage):
    s = stage(stages.concept())
    s.register_image()
    s.apply()
    logs = s.aws.logs
    group = f"/aws/lambda/{s.name}-cli"
    logs.delete_log_group(logGroupName=group)

    plan = s.plan_json()
    cli_log = next(rc for rc in plan["resource_changes"] if rc["address"] == "CliLogGroup")
    assert cli_log["change"]["actions"] == ["create"]
    assert cli_log["action_reason"] == "create_because_deleted_outside"
    assert any(group in w and "deleted outside hover" in w for w in plan["warnings"]), plan["warnings"]
    text = s.plan_text()
    assert "(because it was deleted outside hover)" in text

    before = s.aws.cloudformation.describe_stacks(StackName=s.name)["Stacks"][0]
    r = s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag)
    assert r.code == 1, r
    message = " ".join(r.stderr.replace("|", " ").split())
    assert "deleted outside hover" in message and group in message, r
    after = s.aws.cloudformation.describe_stacks(StackName=s.name)["Stacks"][0]
    assert after.get("LastUpdatedTime") == before.get("LastUpdatedTime")
    pending = [
        c
        for c in s.aws.cloudformation.list_change_sets(StackName=s.name)["Summaries"]
        if c["StackId"] == after["StackId"] and c["ExecutionStatus"] != "EXECUTE_COMPLETE"
    ]
    assert not pending, "apply must stop before creating a change set"
    assert not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
