"""Refusals and failures through the binary, and saved plans."""
import e2e_expect as expect
import e2e_stages as stages


def stack_exists(s):
    try:
        s.aws.cloudformation.describe_stacks(StackName=s.name)
        return True
    except s.aws.cloudformation.exceptions.ClientError as e:
        assert "does not exist" in str(e), e
        return False


def nothing_created(s):
    """Neither the stack nor any resource hover makes directly exists."""
    aws = s.aws
    assert not stack_exists(s), f"stack {s.name} exists"
    buckets = [b["Name"] for b in aws.s3.list_buckets().get("Buckets", [])]
    assert f"{s.name}-assets" not in buckets, "assets bucket was created"
    aliases = [a["AliasName"] for a in aws.kms.list_aliases()["Aliases"]]
    assert f"alias/{s.name}-secrets-key" not in aliases, "secrets key was created"
    functions = [f["FunctionName"] for f in aws.lambda_.list_functions()["Functions"]]
    assert not [f for f in functions if f.startswith(s.name)], functions


def test_bad_manifest_fails_before_any_aws_call(stage):
    s = stage(stages.concept())
    text = s.manifest_path.read_text().replace("memory: 512\n  timeout: 30", "memory: lots\n  timeout: 30", 1)
    s.manifest_path.write_text(text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "memory: lots" in l)
    col = text.splitlines()[line - 1].index("lots") + 1
    # An endpoint nothing listens on: any AWS call would fail with a connection error instead.
    dead = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}
    for args in (["plan", s.key, "--image-tag", "t"], ["apply", s.key, "--image-tag", "t", "--auto-approve"]):
        r = s.hover(*args, env=dead)
        assert r.code == 1, r
        assert f"{s.manifest_path.name}:{line}:{col}" in r.stderr, r
        assert "http.memory" in r.stderr, r
        assert "127.0.0.1:9" not in r.stderr and "dispatch failure" not in r.stderr.lower(), r
        assert r.stdout == "", r


def test_apply_without_terminal_needs_approval(stage):
    s = stage(stages.concept())
    s.register_image()
    r = s.hover("apply", s.key, "--image-tag", s.image_tag)  # stdin is /dev/null, not a terminal
    assert r.code == 1, r
    assert "approval" in r.stderr and "--auto-approve" in r.stderr, r
    assert "Apply complete!" not in r.stdout
    nothing_created(s)


def test_new_stage_needs_an_image_tag(stage):
    s = stage(stages.concept())
    s.register_image()
    for args in (["plan", s.key], ["apply", s.key, "--auto-approve"]):
        r = s.hover(*args)
        assert r.code == 1, r
        assert "--image-tag" in r.stderr and "no image" in r.stderr, r
    nothing_created(s)


def test_missing_image_fails_before_anything_is_created(stage):
    s = stage(stages.concept())
    s.register_image("exists")
    r = s.hover("apply", s.key, "--image-tag", "not-pushed", "--auto-approve")
    assert r.code == 1, r
    assert f"{s.name}:not-pushed" in r.stderr, r
    assert "Apply complete!" not in r.stdout
    nothing_created(s)


def test_missing_image_on_a_deployed_stage_changes_nothing(stage):
    s = stage(stages.concept())
    s.register_image()
    s.apply()
    before = s.aws.lambda_.get_function(FunctionName=f"{s.name}-http")["Code"]["ImageUri"]
    r = s.hover("apply", s.key, "--image-tag", "not-pushed", "--auto-approve")
    assert r.code == 1, r
    assert f"{s.name}:not-pushed" in r.stderr, r
    assert s.aws.lambda_.get_function(FunctionName=f"{s.name}-http")["Code"]["ImageUri"] == before


def test_saved_plan_is_applied_exactly(stage, tmp_path):
    s = stage(stages.separators())
    s.register_image()
    plan_file = tmp_path / "stage.plan"
    r = s.hover("plan", s.key, "--image-tag", s.image_tag, "-out", str(plan_file))
    assert r.code == 0, r
    assert plan_file.is_file()
    assert f"hover apply {plan_file}" in r.stdout, r
    assert not stack_exists(s), "planning must not create the stack"

    # Applied from another directory: the plan file knows its project.
    r = s.hover("apply", str(plan_file))
    assert r.code == 0, r
    assert "Apply complete!" in r.stdout, r
    s.save_template()
    expect.check_stage(s)
    s.assert_no_changes()

    # An image tag next to a saved plan is refused.
    r = s.hover("apply", str(plan_file), "--image-tag", s.image_tag)
    assert r.code == 1, r


def test_stale_saved_plan_is_refused(stage, tmp_path):
    s = stage(stages.concept())
    s.register_image()
    s.apply()
    plan_file = tmp_path / "stage.plan"
    s.edit(lambda m: m["cli"].update(memory=1024))
    r = s.hover("plan", s.key, "-out", str(plan_file))
    assert r.code == 0, r

    s.edit(lambda m: m["cli"].update(memory=2048))
    r = s.hover("apply", str(plan_file))
    assert r.code == 1, r
    assert "stale" in r.stderr, r
    assert s.aws.lambda_.get_function_configuration(FunctionName=f"{s.name}-cli")["MemorySize"] == 512

    # Made fresh again, the same kind of plan applies.
    r = s.hover("plan", s.key, "-out", str(plan_file))
    assert r.code == 0, r
    r = s.hover("apply", str(plan_file))
    assert r.code == 0, r
    assert s.aws.lambda_.get_function_configuration(FunctionName=f"{s.name}-cli")["MemorySize"] == 2048

    # A change in AWS after the plan was made makes it stale too.
    s.edit(lambda m: m["cli"].update(memory=1024))
    r = s.hover("plan", s.key, "-out", str(plan_file))
    assert r.code == 0, r
    s.aws.lambda_.update_function_configuration(FunctionName=f"{s.name}-http", MemorySize=3008)
    r = s.hover("apply", str(plan_file))
    assert r.code == 1, r
    assert "stale" in r.stderr, r
    assert s.aws.lambda_.get_function_configuration(FunctionName=f"{s.name}-cli")["MemorySize"] == 2048


def test_a_stack_over_cloudformations_limits_is_a_located_error_before_any_write(stage):
    import e2e_stages as stages

    m = stages.concept()
    m["queue"] = {f"w{i}": {"queues": [f"q{i}"]} for i in range(81)}
    s = stage(m)
    s.register_image()
    for args in (("plan", s.key, "--image-tag", s.image_tag), ("apply", s.key, "--auto-approve", "--image-tag", s.image_tag)):
        r = s.hover(*args)
        assert r.code == 1, r
        text = " ".join(w for w in r.stderr.split() if w != "|")
        assert f"{s.key}.yml:" in text and "queue: the stage's stack would have" in text, r
        assert "CloudFormation allows 500" in text and "over)" in text, r
    buckets = [b["Name"] for b in s.aws.s3.list_buckets().get("Buckets", [])]
    assert f"{s.name}-assets" not in buckets, "nothing was written"
    aliases = [a["AliasName"] for a in s.aws.kms.list_aliases()["Aliases"]]
    assert f"alias/{s.name}-secrets-key" not in aliases


def test_ten_thousand_unknown_keys_show_fifty_and_count_the_rest_quickly(stage):
    import time

    s = stage({"region": "us-east-1"})
    lines = [f"name: {s.name}", "region: us-east-1", "http:"] + [f"  unknown{i}: 1" for i in range(10_000)]
    lines += ["environment:", "  FOO: " + "x" * 200_000]
    s.manifest_path.write_text("\n".join(lines) + "\n")
    started = time.time()
    r = s.hover("plan", s.key)
    took = time.time() - started
    assert r.code == 1, r
    assert took < 15, took
    assert len(r.stderr) < 64 * 1024, len(r.stderr)
    assert r.stderr.count("unknown key `unknown") <= 2 * 50, r.stderr[-2000:]
    text = " ".join(w for w in r.stderr.split() if w != "|")
    assert "more problems not shown" in text and "× unknown key" in text, text[-2000:]
    assert "x" * 400 not in r.stderr, "a long value is never shown whole"
