"""`hover destroy`: the plan counts the data lost, the stage's name must be typed, everything in
AWS goes (the key only scheduled for deletion), the manifest stays, and a rerun after a partial
failure finishes the job."""
import subprocess

import pytest

import e2e_stages as stages


def deployed_with_data(stage):
    s = stage(stages.concept())
    s.register_image("build-1")
    s.apply()
    s.register_image("build-2")
    s.image_tag = "build-1"
    # Workers paused (the emulator cannot run image functions that would consume the messages).
    for m in s.aws.lambda_.list_event_source_mappings()["EventSourceMappings"]:
        if m["EventSourceArn"].endswith(f"-{s.name}"):
            s.aws.lambda_.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
    url = s.aws.sqs.get_queue_url(QueueName=f"default-{s.name}")["QueueUrl"]
    for i in range(3):
        s.aws.sqs.send_message(QueueUrl=url, MessageBody=f"job {i}")
    for i in range(2):
        s.aws.s3.put_object(Bucket=f"{s.name}-assets", Key=f"assets/build-1/app-{i}.js", Body=b"x")
    return s


def gone(s):
    cfn = s.aws.cloudformation
    try:
        cfn.describe_stacks(StackName=s.name)
        stack = False
    except cfn.exceptions.ClientError:
        stack = True
    buckets = [b["Name"] for b in s.aws.s3.list_buckets().get("Buckets", [])]
    repos = [r["repositoryName"] for r in s.aws.ecr.describe_repositories()["repositories"]]
    return stack and f"{s.name}-assets" not in buckets and s.name not in repos


def test_destroy_asks_for_the_name_then_deletes_everything(stage):
    s = deployed_with_data(stage)

    r = s.hover("destroy", s.key)  # no terminal, nothing typed
    assert r.code == 1 and f"needs the stage's name `{s.name}` typed" in r.stderr, r
    assert "3 messages, 2 objects and 2 images will be lost" in r.stdout, r
    assert "(3 messages)" in r.stdout, r
    r = s.hover("destroy", s.key, stdin_text="dev\n")
    assert r.code == 1 and "Destroy cancelled" in r.stderr, r
    assert s.aws.cloudformation.describe_stacks(StackName=s.name)["Stacks"]

    r = s.hover("destroy", s.key, stdin_text=s.name + "\n")
    assert r.code == 0, r
    assert "Destroy complete!" in r.stdout, r
    assert gone(s), r
    key = s.aws.kms.list_keys()["Keys"]
    states = {k["KeyId"]: s.aws.kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in key}
    mine = [m for m in states.values() if m.get("Description", "").endswith(s.name)]
    assert mine and all(m["KeyState"] == "PendingDeletion" for m in mine), mine
    assert "after 30 days" in r.stdout, r
    assert s.manifest_path.exists()

    r = s.hover("destroy", s.key)
    assert r.code == 0 and "Nothing of the stage" in r.stdout, r
    assert "already scheduled for deletion" not in r.stdout  # the alias is gone with it


def test_a_rerun_after_a_partial_failure_finishes_the_job(stage):
    s = deployed_with_data(stage)
    # As if a destroy had stopped after the stack: the stack is gone, the rest is not.
    s.aws.cloudformation.delete_stack(StackName=s.name)
    s.aws.cloudformation.get_waiter("stack_delete_complete").wait(
        StackName=s.name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    r = s.hover("destroy", s.key, "--auto-approve")
    assert r.code == 0, r
    assert "- stack" not in r.stdout, r
    assert "assets bucket" in r.stdout and "2 objects" in r.stdout, r
    assert gone(s), r
