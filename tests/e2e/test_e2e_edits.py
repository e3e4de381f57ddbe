"""Manifest edits and changes made outside hover on an applied stage: each one planned (expected
actions on the expected addresses, with their causes), applied, read back, and planned again empty."""
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


def test_memory_domains_and_drift(stage):
    """Concept stage: memory edit, custom domains added, then settings changed outside hover."""
    s = new_stage(stage, stages.concept())

    # Memory of the HTTP function: only that function is updated, because of the manifest.
    s.edit(lambda m: m["http"].update(memory=1024))
    plan = s.plan_json()
    expect.assert_plan(plan, {"HttpFunction": ["update"]}, summary={"add": 0, "change": 1, "destroy": 0})
    assert expect.changed(plan, "HttpFunction") == {"MemorySize": MANIFEST}
    assert expect.by_address(plan)["HttpFunction"]["change"]["after"]["MemorySize"] == 1024
    assert plan["resource_drift"] == []
    apply_and_settle(s)

    # Custom domains (with their certificate): only the distribution changes.
    domains = [f"{s.name}.example.com", f"www.{s.name}.example.com"]
    s.edit(lambda m: m["http"].update(domains=domains, certificate=stages.CERTIFICATE))
    plan = s.plan_json()
    expect.assert_plan(plan, {"Distribution": ["update"]}, summary={"add": 0, "change": 1, "destroy": 0})
    assert expect.changed(plan, "Distribution") == {"DistributionConfig": MANIFEST}
    after = expect.by_address(plan)["Distribution"]["change"]["after"]["DistributionConfig"]
    assert after["Aliases"] == domains
    assert after["ViewerCertificate"]["AcmCertificateArn"] == stages.CERTIFICATE
    apply_and_settle(s)

    # Changed outside hover: the CLI function's memory and the HTTP log group's retention.
    aws = s.aws
    aws.lambda_.update_function_configuration(FunctionName=f"{s.name}-cli", MemorySize=2048)
    aws.logs.put_retention_policy(logGroupName=f"/aws/lambda/{s.name}-http", retentionInDays=90)
    plan = s.plan_json()
    expect.assert_plan(plan, {"CliFunction": ["update"], "HttpLogGroup": ["update"]})
    assert expect.changed(plan, "CliFunction") == {"MemorySize": OUTSIDE}
    assert expect.changed(plan, "HttpLogGroup") == {"RetentionInDays": OUTSIDE}
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
    assert f"{s.name}-cli" in text and f"/aws/lambda/{s.name}-http" in text, text
    r = s.plan_exit()
    assert r.code == 2, r

    apply_and_settle(s)
    assert aws.lambda_.get_function_configuration(FunctionName=f"{s.name}-cli")["MemorySize"] == 512
    group = aws.logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{s.name}-http")["logGroups"][0]
    assert group["retentionInDays"] == 14


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
