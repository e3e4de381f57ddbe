"""`hover doctor`: each check of what a deploy needs names what it found and what to do, exits 0
only when every check passes, and writes nothing (the emulator's request counter sees no write)."""
import json
import os
import time

import e2e_stages as stages
from test_e2e_noop import counter

# Verbs of every AWS write hover (or anything) could make; the counter names calls
# `service:Operation`.
WRITE_VERBS = (
    "Create", "Put", "Update", "Delete", "Execute", "Enable", "Disable", "Attach", "Detach", "Tag",
    "Untag", "Set", "Publish", "Add", "Remove", "Upload", "Initiate", "Complete", "Schedule",
    "Cancel", "Start", "Stop", "Invoke", "Encrypt", "Decrypt", "GenerateDataKey", "Copy", "Restore",
)

DOCKERFILE = """\
FROM scratch AS final
COPY .hover/out/${HOVER_BUILD_ID}/runtime /opt/hover
ENTRYPOINT ["/opt/hover/bootstrap"]
"""

ACCOUNT = "123456789012"  # the emulator's account


def example_stage(stage):
    """The concept stage (http, cli, two workers, reserved concurrency), pinned to the emulator's
    account, with a Dockerfile that copies hover's runtime."""
    m = stages.concept()
    m["account"] = ACCOUNT
    s = stage(m)
    (s.dir / ".hover" / ".Dockerfile").write_text(DOCKERFILE)
    return s


def doctor(s, endpoint, *args, env=None, text=False):
    """Runs `hover doctor` (JSON unless `text`) with the counter reset before; returns the result,
    the checks by name (JSON only) and the writes the emulator saw."""
    assert counter(endpoint, reset=True) is not None, "the emulator has no request counter"
    r = s.hover("doctor", s.key, *([] if text else ["--json"]), *args, env=env)
    counts = counter(endpoint)["counts"]
    writes = {k: v for k, v in counts.items() if k.split(":", 1)[1].startswith(WRITE_VERBS)}
    assert not writes, f"hover doctor made writes: {writes}\n{r}"
    checks = {}
    if not text:
        report = json.loads(r.stdout)
        assert [c["name"] for c in report["checks"]] == [
            "manifest", "credentials", "region", "container tool", "registry",
            "stage resources", "stage lock", "quotas", "runtime",
        ], r
        assert report["passed"] == (r.code == 0), r
        checks = {c["name"]: c for c in report["checks"]}
    return r, checks, counts


def assert_only_failure(checks, name, r):
    failed = sorted(n for n, c in checks.items() if c["status"] == "fail")
    assert failed == [name], f"{failed}\n{r}"
    assert r.code == 1, r
    assert checks[name].get("remedy"), checks[name]


def test_doctor_passes_on_the_example_stage_before_and_after_its_first_deploy(stage, endpoint):
    s = example_stage(stage)
    # Before the first deploy: nothing exists yet, and that is no failure.
    r, checks, counts = doctor(s, endpoint)
    assert r.code == 0, r
    assert "does not exist yet" in checks["stage resources"]["found"], checks
    assert checks["stage lock"]["status"] == "pass", checks
    assert any(k.startswith("sts:") for k in counts), counts

    s.register_image()
    s.apply()
    r, checks, counts = doctor(s, endpoint)
    assert r.code == 0, r
    statuses = {n: c["status"] for n, c in checks.items()}
    # Every check passes; the quotas only warn where the endpoint does not answer Lambda's
    # GetAccountSettings (moto), which says so.
    quotas = statuses.pop("quotas")
    assert set(statuses.values()) == {"pass"}, f"{statuses}\n{r}"
    assert quotas == "pass" or "GetAccountSettings" in checks["quotas"]["found"], checks["quotas"]
    assert f"account {ACCOUNT}" in checks["credentials"]["found"], checks
    assert "the manifest's `account`" in checks["credentials"]["found"], checks
    assert "matches the manifest" in checks["stage resources"]["found"], checks
    assert "ECR gives a login" in checks["registry"]["found"], checks
    assert "bootstrap" in " ".join(checks["runtime"]["details"]), checks
    # The calls it made are reads of the stage: the stack, its functions, the lock.
    for call in ("cloudformation:DescribeStacks", "ecr:GetAuthorizationToken", "s3:GetObject"):
        assert call in counts, counts

    r, _, _ = doctor(s, endpoint, text=True)
    assert r.code == 0, r
    assert "pass  credentials" in r.stdout, r
    assert "0 failed" in r.stdout and "ready to deploy." in r.stdout, r


def test_doctor_names_a_wrong_account_with_its_remedy(stage, endpoint):
    s = example_stage(stage)
    s.edit(lambda m: m.update(account="999999999999"))
    r, checks, _ = doctor(s, endpoint)
    assert_only_failure(checks, "credentials", r)
    assert "belongs to account 999999999999" in checks["credentials"]["found"], checks
    assert "aws-profile" in checks["credentials"]["remedy"], checks
    for name in ("registry", "stage resources", "stage lock", "quotas"):
        assert checks[name]["status"] == "skip", checks


def test_doctor_names_a_docker_whose_engine_is_down(stage, endpoint, tmp_path):
    s = example_stage(stage)
    fake = tmp_path / "bin"
    fake.mkdir()
    docker = fake / "docker"
    docker.write_text(
        "#!/bin/sh\n"
        "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
        "Is the docker daemon running?' >&2\n"
        "exit 1\n"
    )
    docker.chmod(0o755)
    env = {"PATH": f"{fake}:{os.environ['PATH']}", "HOVER_BUILDER": "docker"}
    r, checks, _ = doctor(s, endpoint, env=env)
    assert_only_failure(checks, "container tool", r)
    tool = checks["container tool"]
    assert "Cannot connect to the Docker daemon" in tool["found"], tool
    assert "HOVER_BUILDER" in tool["found"], tool
    assert "start Docker's engine" in tool["remedy"], tool

    r, _, _ = doctor(s, endpoint, env=env, text=True)
    assert "FAIL  container tool" in r.stdout and "fix: start Docker's engine" in r.stdout, r


def test_doctor_names_a_missing_profile(stage, endpoint, tmp_path):
    s = example_stage(stage)
    s.edit(lambda m: m.update({"aws-profile": "hover-nowhere"}))
    empty = tmp_path / "aws-config"
    empty.write_text("[profile other]\nregion = us-east-1\n")
    env = {"AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty)}
    r, checks, _ = doctor(s, endpoint, env=env)
    assert_only_failure(checks, "credentials", r)
    assert "hover-nowhere" in checks["credentials"]["found"], checks
    assert checks["registry"]["status"] == "skip", checks


def test_doctor_names_the_run_that_holds_the_stage_lock(stage, endpoint):
    s = example_stage(stage)
    s.register_image()
    s.apply()
    holder = {"user": "ann", "host": "build-7", "pid": 4242, "command": "hover deploy",
              "since": int(time.time()) - 30}
    s.aws.s3.put_object(Bucket=f"{s.name}-assets", Key=f"hover/lock/{s.name}.json",
                        Body=json.dumps(holder).encode())
    r, checks, _ = doctor(s, endpoint)
    assert_only_failure(checks, "stage lock", r)
    lock = checks["stage lock"]
    assert "locked by `hover deploy` by ann@build-7 (pid 4242)" in lock["found"], lock
    assert "wait for that run to end" in lock["remedy"], lock


def test_doctor_lists_every_manifest_problem(stage, endpoint):
    s = example_stage(stage)
    text = s.manifest_path.read_text()
    s.manifest_path.write_text(text.replace("  memory: 512\n  timeout: 30\n", "  memroy: 512\n  timeout: 60\n", 1))
    r, checks, counts = doctor(s, endpoint)
    assert_only_failure(checks, "manifest", r)
    problems = checks["manifest"]["details"]
    assert len(problems) == 2, problems
    assert any("http.memroy" in p and "did you mean `memory`" in p for p in problems), problems
    assert any("http.timeout" in p for p in problems), problems
    for name in ("credentials", "registry", "stage resources", "quotas"):
        assert checks[name]["status"] == "skip", checks
    # The machine's checks still run.
    assert checks["container tool"]["status"] == "pass", checks
    assert not counts, f"a manifest error stops every AWS call: {counts}"


def test_doctor_warns_of_drift_and_still_passes(stage, endpoint):
    s = example_stage(stage)
    s.register_image()
    s.apply()
    s.aws.lambda_.update_function_configuration(FunctionName=f"{s.name}-http", MemorySize=1024)
    r, checks, _ = doctor(s, endpoint)
    resources = checks["stage resources"]
    assert resources["status"] == "warn", resources
    assert "changed outside hover" in resources["found"], resources
    assert any("MemorySize" in d for d in resources["details"]), resources
    assert f"hover apply {s.key}" in resources["remedy"], resources
    assert r.code == 0, "drift is put back by apply: a warning, not a failure\n" + repr(r)
