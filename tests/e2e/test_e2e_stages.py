"""Each canonical stage from nothing: every resource planned as a create, applied, read back
through the services' APIs field by field, and planned again with no changes."""
import pytest

import e2e_expect as expect
import e2e_stages as stages

STAGES = {
    "concept": stages.concept,
    "domains-list": lambda: stages.DOMAINS_LIST,
    "domains-string": lambda: stages.DOMAINS_STRING,
    "vpc": stages.vpc,
    "separators": stages.separators,
}


@pytest.mark.parametrize("kind", list(STAGES))
def test_stage_created_from_nothing(stage, kind):
    s = stage(STAGES[kind]())

    # Planned before anything exists (not even the repository): every resource is a create.
    s.image_tag = "build-1"
    expect.assert_creation_plan(s.plan_json(), s.manifest, image_registered=False)

    s.register_image("build-1")
    plan = s.plan_json()
    expect.assert_creation_plan(plan, s.manifest, image_registered=True)
    assert plan["stage"] == s.name and plan["region"] == s.region and plan["image_tag"] == "build-1"
    assert plan["stack_status"] is None

    r = s.apply()
    summary = f"Resources: {len(expect.expected_resources(s.manifest)) - 1} added, 0 changed, 0 destroyed."
    assert summary in r.stdout, r
    expect.check_stage(s)
    s.assert_no_changes()


def test_kind_specific_details(stage):
    """What tells the stages apart shows in the plan, not only in AWS: the comma-string domains
    become a list of aliases, `-`/`_` keys become PascalCase logical ids."""
    s = stage(stages.DOMAINS_STRING)
    s.image_tag = "t"
    dist = expect.by_address(s.plan_json())["Distribution"]["change"]["after"]["DistributionConfig"]
    # CloudFront keeps aliases as a set: hover sends them sorted so re-plans settle.
    assert dist["Aliases"] == sorted([f"app.{s.name}.example.com", f"admin.{s.name}.example.com"]), dist.get("Aliases")
    assert dist["ViewerCertificate"]["AcmCertificateArn"] == stages.CERTIFICATE

    s2 = stage(stages.separators())
    s2.image_tag = "t"
    got = expect.by_address(s2.plan_json())
    for address in (
        "WorkerMailSenderFunction",
        "WorkerDataSyncFunction",
        "QueueEmailsHigh",
        "QueueEmailsLow",
        "QueueEmailsHighDeadLetter",
        "QueueEmailsLowMapping",
    ):
        assert address in got, address
    assert got["QueueEmailsHigh"]["name"] == f"emails_high-{s2.name}"
    assert got["QueueEmailsLowDeadLetter"]["name"] == f"emails-low-{s2.name}-dlq"
    assert got["WorkerMailSenderFunction"]["name"] == f"{s2.name}-mail-sender-queue"
