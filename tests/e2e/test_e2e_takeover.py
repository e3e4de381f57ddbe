"""Taking over a stage the original Hover deployed, in place: the original's stack is created
from its template (tests/e2e/original_hover.py), then `hover plan` shows only in-place updates
and additions, `hover apply` carries them out, and the stage is an ordinary hover stage with the
same distribution, the same queues and the messages still in them."""
import original_hover


def old_stage_file(role_arn):
    """A stage file as the original's users wrote it: `concurrency: 0` for "no reservation",
    the comma-string domains form absent, and the original's `build_details`."""
    return {
        "region": "us-east-1",
        "environment": {"APP_ENV": "production"},
        "auth": {"lambda-role": role_arn},
        "http": {"memory": 512, "timeout": 30, "concurrency": 0, "warm": 1},
        "cli": {"memory": 512, "timeout": 900, "concurrency": 0},
        "queue": {
            "default": {
                "memory": 512,
                "timeout": 120,
                "concurrency": 0,
                "tries": 3,
                "backoff": "5, 10",
                "queues": ["default", "notifications"],
            },
            "priority": {"memory": 1024, "timeout": 300, "tries": 5, "backoff": "1", "queues": ["priority"]},
        },
        "build_details": {"id": "build-1", "hash": "0123456789abcdef"},
    }


ALLOWED_CREATES = {"AWS::SQS::Queue", "AWS::IAM::Role", "AWS::CloudFront::OriginAccessControl",
                   "AWS::S3::BucketPolicy", "AWS::KMS::Key"}


def distribution_of(aws, name):
    items = aws.cloudfront.list_distributions()["DistributionList"].get("Items", [])
    found = [d for d in items if d["Comment"] == name]
    assert len(found) == 1, found
    return found[0]["Id"], found[0]["DomainName"]


def test_original_stage_is_taken_over_in_place(stage):
    s = stage({"region": "us-east-1"})
    role = original_hover.lambda_role(s.aws, s.name)
    s.write(old_stage_file(role))
    s.register_image("build-1")
    stack = original_hover.deploy(s.aws, s.manifest, "build-1")
    assert "HTTPLambda" in stack and "CFDistribution" in stack and "defaultQueue" in stack

    dist_before = distribution_of(s.aws, s.name)
    urls = {q: s.aws.sqs.get_queue_url(QueueName=f"{q}-{s.name}")["QueueUrl"]
            for q in ("default", "notifications", "priority")}
    # Workers paused while jobs wait (the emulator cannot run the image functions that would
    # consume them); the take-over enables the mappings again, as the stage file wants.
    for m in s.aws.lambda_.list_event_source_mappings()["EventSourceMappings"]:
        if m["EventSourceArn"].endswith(f"-{s.name}"):
            s.aws.lambda_.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
    for q, url in urls.items():
        s.aws.sqs.send_message(QueueUrl=url, MessageBody=f"job for {q}")

    # The plan: the take-over said once at the top; only in-place updates and additions.
    text = s.plan_text()
    assert text.count("Take-over:") == 1, text
    # At the top: right after the line naming the stage, account, region and profile.
    assert text.startswith(f"Stage {s.name}: account"), text
    assert text.split("\n\n", 1)[1].startswith("Take-over:"), text
    plan = s.plan_json()
    assert plan["takeover"] == {"from": "original-hover"}
    by_id = {rc["address"]: rc for rc in plan["resource_changes"]}
    for rc in plan["resource_changes"]:
        actions = rc["change"]["actions"]
        assert actions in (["no-op"], ["update"], ["create"]), (rc["address"], actions)
        if actions == ["create"]:
            assert rc["type"] in ALLOWED_CREATES, rc["address"]
    # The original's logical ids are kept; what it lacked is added under hover's.
    for kept in ("HTTPLambda", "CliLambdaLiveAlias", "defaultQueueLambda", "priorityLambdaLiveAlias",
                 "notificationsQueue", "notificationsQueueQueueSourceMapping", "WarmerEventRule",
                 "SchedulerEventRuleInvokePermission", "ApiGateway", "ApiGatewayLambdaIntegration",
                 "CFDistribution"):
        assert kept in by_id and by_id[kept]["change"]["actions"] != ["create"], kept
    for added in ("QueueDefaultDeadLetter", "QueuePriorityDeadLetter", "AssetsOriginAccessControl",
                  "AssetsBucketPolicy"):
        assert by_id[added]["change"]["actions"] == ["create"], added
    assert by_id["CFDistribution"]["change"]["actions"] == ["update"]
    # `concurrency: 0` is no reservation, as the original read it.
    assert "ReservedConcurrentExecutions" not in by_id["HTTPLambda"]["change"]["after"]

    r = s.apply()
    assert "Take-over:" in r.stdout, r

    # An ordinary hover stage now: nothing left to do, no more take-over notice.
    s.assert_no_changes()
    assert "Take-over:" not in s.plan_text()
    assert distribution_of(s.aws, s.name) == dist_before
    for q, url in urls.items():
        assert s.aws.sqs.get_queue_url(QueueName=f"{q}-{s.name}")["QueueUrl"] == url
        got = s.aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        assert [m["Body"] for m in got.get("Messages", [])] == [f"job for {q}"], (q, got)
    attrs = s.aws.sqs.get_queue_attributes(QueueUrl=urls["default"], AttributeNames=["RedrivePolicy"])
    assert f"default-{s.name}-dlq" in attrs["Attributes"]["RedrivePolicy"]
    live = s.aws.lambda_.get_function_configuration(FunctionName=f"{s.name}-priority-queue")
    assert live["MemorySize"] == 1024
