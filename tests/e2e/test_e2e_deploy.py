"""hover deploy, releases, rollback and command run, end to end: the example application is built
for real (buildah), pushed to the emulator's registry with ECR's token, its assets uploaded, the
stage applied, versions published, warmed, deploy commands run on the new CLI version, and every
`live` switched at once."""
import base64
import json
import os
import shutil
import stat
import urllib.request
from pathlib import Path

import pytest

import e2e_stages as stages

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "clouder"


def post(endpoint, path, body):
    req = urllib.request.Request(
        f"{endpoint}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def invocations(endpoint, function=None):
    url = f"{endpoint}/hover-compat/lambda/invocations"
    if function:
        url += f"?function={function}"
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture(scope="module")
def builder_env(tmp_path_factory):
    """buildah with a storage of its own, behind a wrapper on PATH that records every argument list
    (and nothing of its standard input)."""
    real = shutil.which("buildah")
    if not real:
        pytest.fail("buildah is not installed: localstack/install-tools installs it")
    base = tmp_path_factory.mktemp("buildah")
    conf = base / "storage.conf"
    conf.write_text(f'[storage]\ndriver = "vfs"\nrunroot = "{base}/run"\ngraphroot = "{base}/graph"\n')
    bindir = base / "bin"
    bindir.mkdir()
    argv_log = base / "argv.jsonl"
    wrapper = bindir / "buildah"
    wrapper.write_text(
        "#!/usr/bin/env python3\n"
        "import json, os, sys\n"
        f"open({str(argv_log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"os.execv({real!r}, [{real!r}] + sys.argv[1:])\n"
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    env = {
        "PATH": f"{bindir}:{os.environ.get('PATH', '')}",
        "HOVER_BUILDER": "buildah",
        "STORAGE_DRIVER": "vfs",
        "BUILDAH_ISOLATION": "chroot",
        "CONTAINERS_STORAGE_CONF": str(conf),
        "REGISTRY_AUTH_FILE": str(base / "auth.json"),
    }
    return env, argv_log


@pytest.fixture
def app(stage, builder_env, endpoint):
    """A stage whose project directory holds the example application."""
    env, argv_log = builder_env
    post(endpoint, "/hover-compat/lambda/reset", {})

    def make(manifest=None, deploy_commands=("migrate --force", "php artisan cache:clear")):
        m = manifest or stages.concept()
        m = json.loads(json.dumps(m))
        m["http"]["warm"] = 3
        m["deploy-commands"] = list(deploy_commands)
        s = stage(m)
        for item in EXAMPLE.iterdir():
            if item.name == ".hover":
                continue
            dest = s.dir / item.name
            if item.is_dir():
                shutil.copytree(item, dest)
            else:
                shutil.copy2(item, dest)
        shutil.copy2(EXAMPLE / ".hover" / ".Dockerfile", s.dir / ".hover" / ".Dockerfile")
        s.env = env
        s.argv_log = argv_log
        return s

    return make


def deploy(s, *args, ok=True):
    r = s.hover("deploy", s.key, "--auto-approve", *args, env=s.env)
    if ok:
        assert r.code == 0, r
        assert "Deploy complete!" in r.stdout, r
    return r


def live_versions(s):
    out = {}
    for fn in function_names(s):
        out[fn] = s.aws.lambda_.get_alias(FunctionName=fn, Name="live")["FunctionVersion"]
    return out


def function_names(s):
    return [f"{s.name}-http", f"{s.name}-cli"] + [f"{s.name}-{w}-queue" for w in s.manifest["queue"]]


def description(s, fn, version):
    return s.aws.lambda_.get_function_configuration(FunctionName=fn, Qualifier=version)["Description"]


def test_deploy_from_nothing_then_again(app, endpoint):
    s = app()
    r = deploy(s, "--build-id", "b1")
    for phase in ("Build", "Repository, bucket and key", "Push", "Assets", "Apply", "Publish", "Warm", "Deploy commands", "Switch"):
        assert f"==> {phase}" in r.stdout, (phase, r)
    assert "CloudFront: https://" in r.stdout, r

    # The image is in the repository under the build id; every live runs it, on a version.
    images = s.aws.ecr.describe_images(repositoryName=s.name, imageIds=[{"imageTag": "b1"}])["imageDetails"]
    assert images, "the image was not pushed"
    first = live_versions(s)
    for fn, v in first.items():
        assert v != "$LATEST" and v.isdigit(), (fn, v)
        assert description(s, fn, v) == "b1"
        config = s.aws.lambda_.get_function(FunctionName=fn, Qualifier="live")
        assert config["Code"]["ImageUri"].endswith(f"/{s.name}:b1"), config["Code"]

    # Assets: every file under assets/b1/, typed, cached for a year, private.
    bucket = f"{s.name}-assets"
    keys = sorted(o["Key"] for o in s.aws.s3.list_objects_v2(Bucket=bucket, Prefix="assets/b1/")["Contents"])
    expected = sorted(
        "assets/b1/" + str(p.relative_to(EXAMPLE / "public"))
        for p in (EXAMPLE / "public").rglob("*")
        if p.is_file() and p.name != "index.php"
    )
    assert keys == expected
    head = s.aws.s3.head_object(Bucket=bucket, Key="assets/b1/css/app.css")
    assert head["ContentType"] == "text/css"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    grants = s.aws.s3.get_object_acl(Bucket=bucket, Key="assets/b1/css/app.css")["Grants"]
    assert not [g for g in grants if "AllUsers" in json.dumps(g)], grants

    # Warmed on the new version, deploy commands on the new CLI version, in order; nothing on
    # `live` before the switch.
    calls = invocations(endpoint)
    http, cli = f"{s.name}-http", f"{s.name}-cli"
    warm = [c for c in calls if c["function"] == http]
    assert len(warm) == 3 and all(c["qualifier"] == first[http] and c["payload"] == {"warmer_ping": True} for c in warm), warm
    commands = [c for c in calls if c["function"] == cli]
    assert [c["payload"] for c in commands] == [{"command": "migrate --force"}, {"command": "cache:clear"}]
    assert all(c["qualifier"] == first[cli] for c in commands), commands
    assert "ran: migrate --force" in r.stdout, r
    s.assert_no_changes()

    # A second deploy: new versions behind every live, the first kept for rollback.
    r = deploy(s, "--build-id", "b2")
    second = live_versions(s)
    for fn in first:
        assert int(second[fn]) > int(first[fn]), (fn, first, second)
        assert description(s, fn, second[fn]) == "b2"
    s.assert_no_changes()

    r = s.hover("releases", s.key)
    assert r.code == 0, r
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    assert lines[1].startswith("* b2 "), r
    assert lines[2].startswith("  b1 "), r
    r = s.hover("releases", s.key, "--json")
    assert r.code == 0, r
    doc = json.loads(r.stdout)
    assert [x["build_id"] for x in doc["releases"]] == ["b2", "b1"]
    assert [x["live"] for x in doc["releases"]] == [True, False]
    assert doc["releases"][1]["versions"] == {fn: int(v) for fn, v in first.items()}

    # A queue wired to a worker delivers to its live version.
    post(endpoint, "/hover-compat/lambda/reset", {})
    url = s.aws.sqs.get_queue_url(QueueName=f"priority-{s.name}")["QueueUrl"]
    s.aws.sqs.send_message(QueueUrl=url, MessageBody='{"job":"x"}')
    worker = [c for c in invocations(endpoint) if c["function"] == f"{s.name}-priority-queue"]
    assert worker and worker[0]["qualifier"] == "live", worker


def test_a_failing_deploy_command_leaves_traffic_where_it_was(app, endpoint):
    s = app()
    deploy(s, "--build-id", "good")
    before = live_versions(s)
    post(endpoint, "/hover-compat/lambda/responses", {
        "function": f"{s.name}-cli", "match": "migrate", "exit_code": 7, "output": "SQLSTATE: no such table\n", "error": None,
    })
    r = deploy(s, "--build-id", "bad", ok=False)
    assert r.code == 1, r
    assert "migrate --force" in r.stderr and "exited with 7" in r.stderr, r
    assert "SQLSTATE: no such table" in r.stdout, r
    assert "==> Switch" not in r.stdout, r
    assert live_versions(s) == before
    # The later command never ran.
    cli_calls = [c["payload"]["command"] for c in invocations(endpoint, f"{s.name}-cli")]
    assert cli_calls.count("cache:clear") == 1, cli_calls

    # A function error (a crash, a timeout) stops it too.
    post(endpoint, "/hover-compat/lambda/responses", {
        "function": f"{s.name}-cli", "match": "migrate", "exit_code": 0, "output": "", "error": "Task timed out after 900.00 seconds",
    })
    r = deploy(s, "--build-id", "bad2", ok=False)
    assert r.code == 1, r
    assert "Task timed out" in r.stderr, r
    assert live_versions(s) == before


def test_rollback_moves_every_live_back_without_a_stack_update(app, endpoint):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "r1")
    first = live_versions(s)
    deploy(s, "--build-id", "r2")
    second = live_versions(s)
    stack_before = s.aws.cloudformation.describe_stacks(StackName=s.name)["Stacks"][0]

    r = s.hover("rollback", s.key, "--auto-approve")
    assert r.code == 0, r
    assert "Rollback complete! release r1 is live (was r2)" in r.stdout, r
    assert live_versions(s) == first
    # The moves shown before, then each made in the Switch phase, as a deploy's.
    switch = r.stdout[r.stdout.index("==> Switch"):r.stdout.index("Switch done in")]
    for fn in function_names(s):
        assert f"  {fn}: live {second[fn]} -> {first[fn]}\n" in r.stdout[:r.stdout.index("==> Switch")], r
        assert f"    {fn}: live {second[fn]} -> {first[fn]}\n" in switch, r
    events = [json.loads(line) for line in s.hover("rollback", s.key, "--to", "r2", "--auto-approve", "--json").stdout.splitlines()]
    moved = [(e["function"], e["from"], e["to"], e["build"]) for e in events if e["type"] == "alias_moved"]
    assert sorted(moved) == sorted((fn, first[fn], second[fn], "r2") for fn in function_names(s)), events
    assert [e["type"] for e in events][-1] == "outcome", events
    r = s.hover("rollback", s.key, "--to", "r1", "--auto-approve")
    assert r.code == 0 and live_versions(s) == first, r
    stack_after = s.aws.cloudformation.describe_stacks(StackName=s.name)["Stacks"][0]
    assert stack_after.get("LastUpdatedTime") == stack_before.get("LastUpdatedTime")
    s.assert_no_changes()

    # Rolled back, an apply that would publish newer code refuses unless the image is named.
    s.edit(lambda m: m["http"].update(memory=1024))
    r = s.hover("apply", s.key, "--auto-approve")
    assert r.code == 1, r
    assert "rolled back" in r.stderr and "--image-tag r1" in r.stderr, r
    assert live_versions(s) == first
    s.edit(lambda m: m["http"].update(memory=512))

    # Forward again by name; the same release again is refused; no terminal means no rollback.
    r = s.hover("rollback", s.key, "--to", "r2", "--auto-approve")
    assert r.code == 0, r
    assert live_versions(s) == second
    r = s.hover("rollback", s.key, "--to", "r2", "--auto-approve")
    assert r.code == 1 and "already live" in r.stderr, r
    r = s.hover("rollback", s.key)
    assert r.code == 1 and "approval" in r.stderr, r
    assert live_versions(s) == second

    # A release whose image is gone is refused, and nothing moves.
    s.aws.ecr.batch_delete_image(repositoryName=s.name, imageIds=[{"imageTag": "r1"}])
    r = s.hover("rollback", s.key, "--auto-approve")
    assert r.code == 1, r
    assert "image is gone" in r.stderr, r
    assert live_versions(s) == second
    r = s.hover("rollback", s.key, "--to", "nope", "--auto-approve")
    assert r.code == 1 and "unknown" in r.stderr, r


def test_an_applied_memory_change_is_what_live_runs(app):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "m1")
    before = live_versions(s)
    http = f"{s.name}-http"
    s.edit(lambda m: m["http"].update(memory=1024))
    r = s.hover("apply", s.key, "--auto-approve")
    assert r.code == 0, r
    after = live_versions(s)
    assert after[http] != before[http]
    live = s.aws.lambda_.get_function_configuration(FunctionName=http, Qualifier="live")
    assert live["MemorySize"] == 1024
    assert live["Description"] == "m1"
    for fn in before:
        if fn != http:
            assert after[fn] == before[fn], fn
    s.assert_no_changes()


def test_command_run_prints_the_output_and_exits_with_its_code(app, endpoint):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "c1")
    post(endpoint, "/hover-compat/lambda/reset", {})
    command = 'tinker --execute="echo \'héllo wörld ✓\';\necho \\"done\\""'
    r = s.hover("command", "run", f"php artisan {command}", "--stage", s.key)
    assert r.code == 0, r
    assert r.stdout == f"ran: {command}\n", r
    calls = invocations(endpoint, f"{s.name}-cli")
    assert calls == [{"function": f"{s.name}-cli", "qualifier": "live", "payload": {"command": command}}]

    post(endpoint, "/hover-compat/lambda/responses", {
        "function": f"{s.name}-cli", "match": "queue:failed", "exit_code": 3, "output": "3 failed jobs\n", "error": None,
    })
    r = s.hover("command", "run", "queue:failed", "-s", s.key)
    assert r.code == 3, r
    assert r.stdout == "3 failed jobs\n", r

    post(endpoint, "/hover-compat/lambda/responses", {
        "function": f"{s.name}-cli", "match": "slow", "exit_code": 0, "output": "", "error": "Task timed out after 900.00 seconds",
    })
    r = s.hover("command", "run", "slow", "-s", s.key)
    assert r.code == 1, r
    assert "Task timed out after 900.00 seconds" in r.stderr and "slow" in r.stderr, r


def test_the_registry_gets_ecr_token_and_no_child_sees_the_password(app):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "t1")
    token = s.aws.ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    password = base64.b64decode(token).decode().split(":", 1)[1]
    assert len(password) >= 8
    calls = [json.loads(l) for l in s.argv_log.read_text().splitlines()]
    assert any(c[:1] == ["login"] and "--password-stdin" in c for c in calls), calls
    assert any(c[:1] == ["push"] for c in calls), calls
    for c in calls:
        assert not any(password in a for a in c), c
    state = os.environ.get("HOVER_EMULATOR_STATE")
    if state:
        log = Path(state, "registry", "registry.log").read_text()
        assert "auth.user.name=AWS" in log


def test_apply_on_a_stage_without_an_image_points_at_deploy(stage):
    s = stage(stages.concept())
    r = s.hover("apply", s.key, "--auto-approve")
    assert r.code == 1, r
    assert "hover deploy" in r.stderr, r


def test_a_missing_builder_is_named(app):
    s = app()
    env = dict(s.env)
    env["HOVER_BUILDER"] = "podman"
    env["PATH"] = "/nonexistent"
    r = s.hover("build", s.key, env=env)
    assert r.code == 1, r
    assert "podman" in r.stderr and "HOVER_BUILDER" in r.stderr, r


def test_purge_keeps_the_newest_the_live_and_the_rollback_target(app):
    s = app(deploy_commands=())
    for b in ("p1", "p2", "p3", "p4"):
        deploy(s, "--build-id", b)
    r = s.hover("rollback", s.key, "--auto-approve")
    assert r.code == 0 and "release p3 is live" in r.stdout, r
    bucket = f"{s.name}-assets"

    def tags():
        return sorted(t for i in s.aws.ecr.describe_images(repositoryName=s.name)["imageDetails"] for t in i.get("imageTags", []))

    def asset_builds():
        keys = [o["Key"] for o in s.aws.s3.list_objects_v2(Bucket=bucket, Prefix="assets/").get("Contents", [])]
        return sorted({k.split("/")[1] for k in keys})

    def described_versions():
        fn = f"{s.name}-http"
        out = s.aws.lambda_.list_versions_by_function(FunctionName=fn)["Versions"]
        return sorted(v["Description"] for v in out if v["Version"] != "$LATEST")

    assert tags() == ["p1", "p2", "p3", "p4"]
    r = s.hover("stage", "purge", s.key, "--keep", "1")
    assert r.code == 1 and "approval" in r.stderr, r
    assert tags() == ["p1", "p2", "p3", "p4"], "nothing is deleted without approval"

    # Keep 1: p4 is the newest, p3 is live, p2 is where a rollback would go; p1 goes.
    r = s.hover("stage", "purge", s.key, "--keep", "1", "--auto-approve")
    assert r.code == 0, r
    assert "p3 (live)" in r.stdout and "p2 (rollback target)" in r.stdout and "p4 (among the newest)" in r.stdout, r
    assert "Purge complete! 1 build(s) deleted" in r.stdout, r
    assert tags() == ["p2", "p3", "p4"]
    assert asset_builds() == ["p2", "p3", "p4"]
    assert described_versions() == ["p2", "p3", "p4"]
    s.assert_no_changes()
    r = s.hover("rollback", s.key, "--auto-approve")
    assert r.code == 0 and "release p2 is live" in r.stdout, r

    r = s.hover("stage", "purge", s.key, "--keep", "3", "--auto-approve")
    assert r.code == 0 and "Nothing to purge" in r.stdout, r


def test_ctrl_c_before_the_switch_leaves_traffic_where_it_was(app, proxy):
    import signal
    import subprocess
    import time

    s = app(deploy_commands=("migrate --force",))
    deploy(s, "--build-id", "i1")
    before = live_versions(s)
    # The deploy command takes its time: Ctrl-C arrives while it runs.
    proxy.fail("Invoke", "delay", times=10, seconds=2)
    env = dict(os.environ, **s.env, AWS_ENDPOINT_URL=proxy.url, NO_COLOR="1")
    proc = subprocess.Popen(
        [s.hover_bin, "--no-color", "--dir", str(s.dir), "deploy", s.key, "--auto-approve", "--build-id", "i2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "==> Warm" in line or "==> Deploy commands" in line:
            time.sleep(0.3)
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=120)
    out = "".join(seen) + out
    assert proc.returncode == 1, (out, err)
    flat = " ".join(w for w in err.split() if w != "|")
    assert "before the switch: traffic stays on the release that was live" in flat, err
    assert "==> Switch" not in out and "Deploy complete!" not in out, out
    assert live_versions(s) == before
