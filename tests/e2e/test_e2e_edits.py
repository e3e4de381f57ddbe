"""Manifest edits and changes made outside hover on an applied stage: each one planned (expected
actions on the expected addresses, with their causes), applied, read back, and planned again empty."""
import json

import e2e_expect as expect
import e2e_stages as stages

MANIFEST = "manifest"
OUTSIDE = "outside_hover"


def apply_and_settle(s, before=None):
    s.apply()
    expect.check_stage(s)
    if before is not None:
        expect.assert_gone(s.aws, before, s.manifest)
    s.assert_no_changes()


def new_stage(stage, manifest):
    s = stage(manifest)
    s.register_image()
    apply_and_settle(s)
    return s


def only_updates(plan, expected):
    """The plan updates exactly the `expected` {address: {attribute: cause}}, nothing else."""
    expect.assert_plan(plan, {a: ["update"] for a in expected}, summary={"add": 0, "change": len(expected), "destroy": 0})
    for address, attributes in expected.items():
        assert expect.changed(plan, address) == attributes, (address, expect.changed(plan, address))


def test_concept_stage_edits(stage):
    """Concept stage: memory, a worker's timeout, environment and warm containers, a new image,
    custom domains; each changes exactly what it should."""
    s = new_stage(stage, stages.concept())

    # Memory of the HTTP function: only that function is updated, because of the manifest.
    s.edit(lambda m: m["http"].update(memory=1024))
    plan = s.plan_json()
    only_updates(plan, {"HttpFunction": {"MemorySize": MANIFEST}})
    assert expect.by_address(plan)["HttpFunction"]["change"]["before"]["MemorySize"] == 512
    assert expect.by_address(plan)["HttpFunction"]["change"]["after"]["MemorySize"] == 1024
    assert expect.by_address(plan)["HttpFunction"].get("action_reason") is None
    assert plan["resource_drift"] == []
    r = s.plan_exit()
    assert r.code == 2 and "Plan: 0 to add, 1 to change, 0 to destroy." in r.stdout, r
    apply_and_settle(s)

    # A worker's timeout: its function, and the visibility timeout of both its queues.
    s.edit(lambda m: m["queue"]["default"].update(timeout=200))
    only_updates(
        s.plan_json(),
        {
            "WorkerDefaultFunction": {"Timeout": MANIFEST},
            "QueueDefault": {"VisibilityTimeout": MANIFEST},
            "QueueNotifications": {"VisibilityTimeout": MANIFEST},
        },
    )
    apply_and_settle(s)

    # Stage environment (every function) and warm containers (the warmer's input).
    s.edit(lambda m: (m["environment"].update(APP_ENV="staging", MAIL_FROM='"Team" <team@example.com>'), m["http"].update(warm=4)))
    only_updates(
        s.plan_json(),
        {
            "HttpFunction": {"Environment": MANIFEST},
            "CliFunction": {"Environment": MANIFEST},
            "WorkerDefaultFunction": {"Environment": MANIFEST},
            "WorkerPriorityFunction": {"Environment": MANIFEST},
            "WarmerRule": {"Targets": MANIFEST},
        },
    )
    apply_and_settle(s)

    # A new image: every function's code (and ASSET_URL); the tag live now is kept afterwards.
    s.register_image()
    code = {"Code": MANIFEST, "Environment": MANIFEST}
    only_updates(
        s.plan_json(),
        {"HttpFunction": code, "CliFunction": code, "WorkerDefaultFunction": code, "WorkerPriorityFunction": code},
    )
    apply_and_settle(s)
    r = s.hover("plan", s.key, "--detailed-exitcode")  # no --image-tag: the deployed one
    assert r.code == 0 and "No changes." in r.stdout, r

    # Custom domains (with their certificate): only the distribution changes.
    domains = [f"{s.name}.example.com", f"www.{s.name}.example.com"]
    s.edit(lambda m: m["http"].update(domains=domains, certificate=stages.CERTIFICATE))
    plan = s.plan_json()
    only_updates(plan, {"Distribution": {"DistributionConfig": MANIFEST}})
    after = expect.by_address(plan)["Distribution"]["change"]["after"]["DistributionConfig"]
    assert after["Aliases"] == domains
    assert after["ViewerCertificate"]["AcmCertificateArn"] == stages.CERTIFICATE
    apply_and_settle(s)


def test_changes_outside_hover_are_put_back(stage):
    """Settings changed through the AWS APIs show as drift, and apply puts them back."""
    s = new_stage(stage, stages.concept())
    aws = s.aws
    n = s.name

    # The CLI function's memory and the HTTP log group's retention.
    aws.lambda_.update_function_configuration(FunctionName=f"{n}-cli", MemorySize=2048)
    aws.logs.put_retention_policy(logGroupName=f"/aws/lambda/{n}-http", retentionInDays=90)
    plan = s.plan_json()
    only_updates(plan, {"CliFunction": {"MemorySize": OUTSIDE}, "HttpLogGroup": {"RetentionInDays": OUTSIDE}})
    for address in ("CliFunction", "HttpLogGroup"):
        assert expect.by_address(plan)[address]["action_reason"] == "update_because_changed_outside"
    drift = {d["address"]: d for d in plan["resource_drift"]}
    assert set(drift) == {"CliFunction", "HttpLogGroup"}, sorted(drift)
    assert drift["CliFunction"]["change"]["before"]["MemorySize"] == 512
    assert drift["CliFunction"]["change"]["after"]["MemorySize"] == 2048
    assert drift["HttpLogGroup"]["change"]["before"]["RetentionInDays"] == 14
    assert drift["HttpLogGroup"]["change"]["after"]["RetentionInDays"] == 90
    text = s.plan_text()
    assert "changed outside hover" in text, text
    assert f"{n}-cli" in text and f"/aws/lambda/{n}-http" in text, text
    r = s.plan_exit()
    assert r.code == 2, r

    r = s.apply()
    assert "MemorySize put back" in r.stdout and "RetentionInDays put back" in r.stdout, r
    assert aws.lambda_.get_function_configuration(FunctionName=f"{n}-cli")["MemorySize"] == 512
    group = aws.logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{n}-http")["logGroups"][0]
    assert group["retentionInDays"] == 14
    expect.check_stage(s)
    s.assert_no_changes()

    # Reserved concurrency removed, a queue's visibility timeout, the scheduler's rate, a
    # mapping's batch size.
    aws.lambda_.delete_function_concurrency(FunctionName=f"{n}-default-queue")
    aws.sqs.set_queue_attributes(QueueUrl=expect.queue_url(aws, f"priority-{n}"), Attributes={"VisibilityTimeout": "5"})
    aws.events.put_rule(Name=f"{n}-scheduler", ScheduleExpression="rate(10 minutes)", State="ENABLED")
    queue_arn = f"arn:aws:sqs:{s.region}:{expect.ACCOUNT}:notifications-{n}"
    (mapping,) = aws.lambda_.list_event_source_mappings(EventSourceArn=queue_arn)["EventSourceMappings"]
    aws.lambda_.update_event_source_mapping(UUID=mapping["UUID"], BatchSize=7)
    plan = s.plan_json()
    only_updates(
        plan,
        {
            "WorkerDefaultFunction": {"ReservedConcurrentExecutions": OUTSIDE},
            "QueuePriority": {"VisibilityTimeout": OUTSIDE},
            "SchedulerRule": {"ScheduleExpression": OUTSIDE},
            "QueueNotificationsMapping": {"BatchSize": OUTSIDE},
        },
    )
    assert {d["address"] for d in plan["resource_drift"]} == {
        "WorkerDefaultFunction",
        "QueuePriority",
        "SchedulerRule",
        "QueueNotificationsMapping",
    }
    apply_and_settle(s)

    # The distribution's default behaviour gets another cache policy, through CloudFront's API
    # (the whole config written back with the ETag it was read with).
    dist_id = expect.find_distribution(aws, n)["Id"]
    got = aws.cloudfront.get_distribution_config(Id=dist_id)
    config = got["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == expect.CACHING_DISABLED
    config["DefaultCacheBehavior"]["CachePolicyId"] = expect.CACHING_OPTIMIZED
    aws.cloudfront.update_distribution(Id=dist_id, IfMatch=got["ETag"], DistributionConfig=config)
    plan = s.plan_json()
    only_updates(plan, {"Distribution": {"DistributionConfig": OUTSIDE}})
    assert expect.by_address(plan)["Distribution"]["action_reason"] == "update_because_changed_outside"
    (drift,) = plan["resource_drift"]
    assert drift["address"] == "Distribution", drift
    assert drift["change"]["before"]["DistributionConfig"]["DefaultCacheBehavior"]["CachePolicyId"] == expect.CACHING_DISABLED
    assert drift["change"]["after"]["DistributionConfig"]["DefaultCacheBehavior"]["CachePolicyId"] == expect.CACHING_OPTIMIZED
    text = s.plan_text()
    assert "DistributionConfig" in text and "# changed outside hover\n" in text, text
    assert "cannot put" not in text, text

    r = s.apply()
    assert "DistributionConfig put back" in r.stdout, r
    config = aws.cloudfront.get_distribution_config(Id=dist_id)["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == expect.CACHING_DISABLED, config["DefaultCacheBehavior"]
    assert config["CallerReference"] == got["DistributionConfig"]["CallerReference"]
    expect.check_stage(s)
    s.assert_no_changes()

    # The stage role through IAM's API: a statement of its inline policy gets an extra action,
    # and another inline policy is added next to it.
    role = expect.stack_resources(aws, n)["LambdaRole"]["PhysicalResourceId"]
    applied = aws.iam.get_role_policy(RoleName=role, PolicyName="hover-stage")["PolicyDocument"]
    assert isinstance(applied, dict), applied
    edited = json.loads(json.dumps(applied))
    (invoke,) = [st for st in edited["Statement"] if st.get("Sid") == "InvokeStageFunctions"]
    assert invoke["Action"] == "lambda:InvokeFunction", invoke
    invoke["Action"] = ["lambda:InvokeFunction", "lambda:GetFunction"]
    aws.iam.put_role_policy(RoleName=role, PolicyName="hover-stage", PolicyDocument=json.dumps(edited))
    extra = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}
    aws.iam.put_role_policy(RoleName=role, PolicyName="added-outside", PolicyDocument=json.dumps(extra))
    plan = s.plan_json()
    only_updates(plan, {"LambdaRole": {"Policies": OUTSIDE}})
    assert expect.by_address(plan)["LambdaRole"]["action_reason"] == "update_because_changed_outside"
    (drift,) = plan["resource_drift"]
    assert drift["address"] == "LambdaRole", drift
    assert [p["PolicyName"] for p in drift["change"]["before"]["Policies"]] == ["hover-stage"]
    assert [p["PolicyName"] for p in drift["change"]["after"]["Policies"]] == ["added-outside", "hover-stage"]
    live_doc = drift["change"]["after"]["Policies"][1]["PolicyDocument"]
    (live_invoke,) = [st for st in live_doc["Statement"] if st.get("Sid") == "InvokeStageFunctions"]
    assert live_invoke["Action"] == ["lambda:InvokeFunction", "lambda:GetFunction"], live_invoke
    text = s.plan_text()
    assert "Policies" in text and "# changed outside hover\n" in text and "lambda:GetFunction" in text, text
    assert "cannot put" not in text, text

    r = s.apply()
    assert "Policies put back" in r.stdout, r
    assert aws.iam.list_role_policies(RoleName=role)["PolicyNames"] == ["hover-stage"]
    restored = aws.iam.get_role_policy(RoleName=role, PolicyName="hover-stage")["PolicyDocument"]
    assert restored == applied, (restored, applied)
    expect.check_stage(s)
    s.assert_no_changes()


def test_queue_and_worker_edits(stage):
    """Stage with `-`/`_` keys: a queue added to a worker, a queue removed, a worker added, a
    worker removed."""
    s = new_stage(stage, stages.separators())

    # A queue added to `mail-sender`: the queue, its dead-letter queue and its mapping are
    # created; the functions' role gains the queue.
    before = s.manifest
    s.edit(lambda m: m["queue"]["mail-sender"]["queues"].append("emails_bulk"))
    plan = s.plan_json()
    expect.assert_plan(
        plan,
        {
            "QueueEmailsBulk": ["create"],
            "QueueEmailsBulkDeadLetter": ["create"],
            "QueueEmailsBulkMapping": ["create"],
            "LambdaRole": ["update"],
        },
        summary={"add": 3, "change": 1, "destroy": 0},
    )
    assert set(expect.changed(plan, "LambdaRole").values()) == {MANIFEST}
    assert expect.by_address(plan)["QueueEmailsBulk"]["name"] == f"emails_bulk-{s.name}"
    apply_and_settle(s, before)

    # A queue removed from `mail-sender`: its queue, dead-letter queue and mapping are deleted.
    before = s.manifest
    s.edit(lambda m: m["queue"]["mail-sender"]["queues"].remove("emails-low"))
    plan = s.plan_json()
    expect.assert_plan(
        plan,
        {
            "QueueEmailsLow": ["delete"],
            "QueueEmailsLowDeadLetter": ["delete"],
            "QueueEmailsLowMapping": ["delete"],
            "LambdaRole": ["update"],
        },
        summary={"add": 0, "change": 1, "destroy": 3},
    )
    apply_and_settle(s, before)

    # A worker added: its function, alias and log group, its queue, dead-letter queue, mapping.
    before = s.manifest
    s.edit(lambda m: m["queue"].update({"pdf-render": {"memory": 2048, "timeout": 200, "tries": 1, "queues": ["pdf_jobs"]}}))
    plan = s.plan_json()
    expect.assert_plan(
        plan,
        {
            "WorkerPdfRenderFunction": ["create"],
            "WorkerPdfRenderAlias": ["create"],
            "WorkerPdfRenderLogGroup": ["create"],
            "QueuePdfJobs": ["create"],
            "QueuePdfJobsDeadLetter": ["create"],
            "QueuePdfJobsMapping": ["create"],
            "LambdaRole": ["update"],
        },
        summary={"add": 6, "change": 1, "destroy": 0},
    )
    assert expect.by_address(plan)["WorkerPdfRenderFunction"]["name"] == f"{s.name}-pdf-render-queue"
    apply_and_settle(s, before)

    # A worker removed: everything of `data_sync` goes.
    before = s.manifest
    s.edit(lambda m: m["queue"].pop("data_sync"))
    plan = s.plan_json()
    expect.assert_plan(
        plan,
        {
            "WorkerDataSyncFunction": ["delete"],
            "WorkerDataSyncAlias": ["delete"],
            "WorkerDataSyncLogGroup": ["delete"],
            "QueueSync": ["delete"],
            "QueueSyncDeadLetter": ["delete"],
            "QueueSyncMapping": ["delete"],
            "LambdaRole": ["update"],
        },
        summary={"add": 0, "change": 1, "destroy": 6},
    )
    apply_and_settle(s, before)
