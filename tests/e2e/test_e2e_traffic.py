"""A stage's traffic is on one release, or hover says exactly where each function is and how to get
back: faults while `live` moves (answers dropped after the request reached Lambda, moves refused,
moves back refused), interrupts at named phases, the release history behind rollback and purge,
and a lost answer from a deploy command. After every fault hover's report matches the emulator,
`hover plan` is empty or names the split, and a rerun converges."""
import json
import os
import signal
import subprocess
import time

from test_e2e_deploy import app, builder_env, deploy, function_names, live_versions, post  # noqa: F401

LAMBDA_REFUSAL = {
    "status": 400,
    "content_type": "application/json",
    "headers": {"X-Amzn-ErrorType": "InvalidParameterValueException"},
    "body": json.dumps({"Type": "User", "message": "refused by the fault proxy"}),
}


def flat(text):
    """Text with miette's line wrapping undone (one space between words)."""
    return " ".join(w for w in text.split() if w != "|")


def through(s, proxy):
    return dict(s.env, AWS_ENDPOINT_URL=proxy.url)


def alias_path(s, part):
    return f"/functions/{s.name}-{part}/aliases/live"


def description(s, fn, version):
    return s.aws.lambda_.get_function_configuration(FunctionName=fn, Qualifier=version)["Description"]


def builds_live(s):
    return {fn: description(s, fn, v) for fn, v in live_versions(s).items()}


def lock_keys(s):
    listing = s.aws.s3.list_objects_v2(Bucket=f"{s.name}-assets", Prefix="hover/lock/")
    return [o["Key"] for o in listing.get("Contents", [])]


def releases_json(s):
    r = s.hover("releases", s.key, "--json")
    assert r.code == 0, r
    return {x["build_id"]: x for x in json.loads(r.stdout)["releases"]}


def test_a_lost_update_alias_answer_is_read_back_and_the_deploy_is_true(app, proxy):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "a1")
    # Every answer to the CLI function's UpdateAlias is dropped after Lambda made the move.
    proxy.fail("UpdateAlias", "reset_after", times=50, path=alias_path(s, "cli"))
    r = s.hover("deploy", s.key, "--auto-approve", "--build-id", "a2", env=through(s, proxy))
    assert "reset_after" in proxy.outcomes("UpdateAlias"), proxy.seen
    assert r.code == 0, r
    assert "Deploy complete! build a2 is live" in r.stdout, r
    assert set(builds_live(s).values()) == {"a2"}, builds_live(s)
    s.assert_no_changes()
    rel = releases_json(s)
    assert rel["a2"]["outcome"]["kind"] == "live" and rel["a1"]["outcome"]["kind"] == "was_live", rel


def test_a_refused_move_puts_every_function_back_and_says_so(app, proxy):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "f1")
    before = live_versions(s)
    proxy.fail("UpdateAlias", "status", times=1000, path=alias_path(s, "cli"), **LAMBDA_REFUSAL)
    r = s.hover("deploy", s.key, "--auto-approve", "--build-id", "f2", env=through(s, proxy))
    assert r.code == 1, r
    assert "Deploy complete!" not in r.stdout, r
    assert "back on the version it was on" in flat(r.stderr) and "traffic stays on the release that was live" in flat(r.stderr), r
    assert live_versions(s) == before, "the report says every function is back"
    s.assert_no_changes()
    assert lock_keys(s) == []
    rel = releases_json(s)
    assert rel["f2"]["outcome"] == {"kind": "failed", "phase": "switch"}, rel
    # A rerun converges.
    proxy.clear()
    deploy(s, "--build-id", "f3")
    assert set(builds_live(s).values()) == {"f3"}
    s.assert_no_changes()


def test_a_split_that_cannot_be_undone_is_named_and_one_command_converges(app, proxy):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "s1")
    deploy(s, "--build-id", "s2")
    before = live_versions(s)
    http = f"{s.name}-http"
    # The CLI function's move is refused; the HTTP function's move is made, and every move back
    # of it is lost before it reaches Lambda.
    proxy.fail("UpdateAlias", "status", times=1000, path=alias_path(s, "cli"), **LAMBDA_REFUSAL)
    proxy.fail("UpdateAlias", "reset_before", times=1000, skip=1, path=alias_path(s, "http"))
    r = s.hover("deploy", s.key, "--auto-approve", "--build-id", "s3", env=through(s, proxy))
    assert r.code == 1, r
    assert "Deploy complete!" not in r.stdout, r
    assert "traffic stays" not in flat(r.stderr), r
    assert "SPLIT" in flat(r.stderr) and f"{http} on version" in flat(r.stderr) and "(the new release)" in flat(r.stderr), r
    proxy.clear()

    # The report matches the emulator: HTTP on s3, every other function where it was.
    live = builds_live(s)
    assert live[http] == "s3", live
    assert {fn: b for fn, b in live.items() if fn != http} == {fn: "s2" for fn in live if fn != http}

    # The plan names the split and exits 2; `releases` marks both.
    r = s.plan_exit()
    assert r.code == 2, r
    assert "Traffic is split" in r.stdout and f"{http}" in r.stdout and "(s3)" in r.stdout, r
    r = s.hover("releases", s.key)
    assert r.code == 0 and "~ s3" in r.stdout and "~ s2" in r.stdout and "split" in r.stdout, r

    # Purge, even keeping none, keeps every build a `live` points at and the one live before.
    r = s.hover("stage", "purge", s.key, "--keep", "0", "--auto-approve")
    assert r.code == 0, r
    tags = sorted(t for i in s.aws.ecr.describe_images(repositoryName=s.name)["imageDetails"] for t in i.get("imageTags", []))
    assert {"s2", "s3"} <= set(tags), (tags, r)

    # `hover rollback` puts every function back on the release that was live.
    r = s.hover("rollback", s.key, "--auto-approve")
    assert r.code == 0, r
    assert "release s2 is live" in r.stdout, r
    assert live_versions(s) == before
    s.assert_no_changes()
    assert lock_keys(s) == []


def test_rollback_skips_a_release_whose_deploy_failed_and_purge_keeps_the_one_live_before(app, endpoint):
    s = app(deploy_commands=("migrate --force",))
    deploy(s, "--build-id", "h1")
    post(endpoint, "/hover-compat/lambda/responses", {
        "function": f"{s.name}-cli", "match": "migrate", "exit_code": 1, "output": "no\n", "error": None,
    })
    r = deploy(s, "--build-id", "h2", ok=False)
    assert r.code == 1, r
    post(endpoint, "/hover-compat/lambda/reset", {})
    deploy(s, "--build-id", "h3")
    rel = releases_json(s)
    assert rel["h2"]["outcome"] == {"kind": "failed", "phase": "deploy commands"}, rel
    assert rel["h1"]["outcome"]["kind"] == "was_live", rel
    r = s.hover("releases", s.key)
    assert "failed at deploy commands" in r.stdout and "was live" in r.stdout, r

    # Keep 1: h3 is live and the newest, h1 the last release live before it; h2 goes.
    r = s.hover("stage", "purge", s.key, "--keep", "1", "--auto-approve")
    assert r.code == 0, r
    assert "h1 (rollback target)" in r.stdout and "- h2" in r.stdout, r
    r = s.hover("rollback", s.key, "--auto-approve")
    assert r.code == 0, r
    assert "release h1 is live (was h3)" in r.stdout, r
    assert set(builds_live(s).values()) == {"h1"}
    s.assert_no_changes()


def test_a_lost_deploy_command_answer_says_it_may_have_run(app, proxy):
    s = app(deploy_commands=("migrate --force",))
    deploy(s, "--build-id", "i1")
    before = live_versions(s)
    proxy.fail("Invoke", "reset_after", times=1, path=f"/functions/{s.name}-cli/")
    r = s.hover("deploy", s.key, "--auto-approve", "--build-id", "i2", env=through(s, proxy))
    assert proxy.outcomes("Invoke").count("reset_after") == 1, proxy.seen
    assert r.code == 1, r
    assert "may have run" in flat(r.stderr) and "never sends a command twice" in flat(r.stderr), r
    assert f"/aws/lambda/{s.name}-cli" in flat(r.stderr), r
    assert live_versions(s) == before
    assert lock_keys(s) == []


def start(s, proxy, *args):
    env = dict(os.environ, **through(s, proxy), NO_COLOR="1")
    return subprocess.Popen(
        [s.hover_bin, "--no-color", "--dir", str(s.dir), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def signal_at(proc, marker, sig, pause=0.5, again=False):
    """Sends `sig` once a line holding `marker` is printed (twice with `again`); the output."""
    seen = []
    deadline = time.time() + 120
    for line in proc.stdout:
        seen.append(line)
        if marker in line:
            time.sleep(pause)
            proc.send_signal(sig)
            if again:
                time.sleep(0.3)
                proc.send_signal(sig)
            break
        assert time.time() < deadline, "".join(seen)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, "".join(seen) + out, err


def test_sigterm_during_the_switch_finishes_it_and_gives_the_lock_back(app, proxy):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "t1")
    # Each move's answer comes 2 s after Lambda made it: the signal arrives mid-switch.
    proxy.fail("UpdateAlias", "delay", times=4, seconds=2)
    proc = start(s, proxy, "deploy", s.key, "--auto-approve", "--build-id", "t2")
    code, out, err = signal_at(proc, "==> Switch", signal.SIGTERM)
    assert code == 1, (out, err)
    assert "terminated" not in out
    assert "finished it first" in flat(err) and "t2 is live on every function" in flat(err), err
    assert set(builds_live(s).values()) == {"t2"}
    assert lock_keys(s) == []
    s.assert_no_changes()


def test_ctrl_c_during_assets_stops_with_traffic_where_it_was_and_the_lock_given_back(app, proxy):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "c1")
    before = live_versions(s)
    proxy.fail("*", "delay", times=1000, seconds=1, path=f"/{s.name}-assets/assets/")
    proc = start(s, proxy, "deploy", s.key, "--auto-approve", "--build-id", "c2")
    code, out, err = signal_at(proc, "==> Assets", signal.SIGINT)
    assert code == 1, (out, err)
    assert "during the Assets phase" in flat(err) and "traffic stays on the release that was live" in flat(err), err
    assert live_versions(s) == before
    assert lock_keys(s) == []
    s.assert_no_changes()


def test_ctrl_c_during_rollback_finishes_the_switch(app, proxy):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "r1")
    first = live_versions(s)
    deploy(s, "--build-id", "r2")
    proxy.fail("UpdateAlias", "delay", times=4, seconds=2)
    proc = start(s, proxy, "rollback", s.key, "--auto-approve")
    code, out, err = signal_at(proc, "live ", signal.SIGINT, pause=1.0)
    assert code == 1, (out, err)
    assert "finished it first" in flat(err) and "release r1 is live on every function" in flat(err), err
    assert live_versions(s) == first
    assert lock_keys(s) == []
    s.assert_no_changes()


def test_a_second_ctrl_c_during_the_switch_says_what_it_leaves(app, proxy):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "d1")
    proxy.fail("UpdateAlias", "delay", times=4, seconds=3)
    proc = start(s, proxy, "deploy", s.key, "--auto-approve", "--build-id", "d2")
    code, out, err = signal_at(proc, "==> Switch", signal.SIGINT, again=True)
    assert code == 1, (out, err)
    assert "twice during the switch" in flat(err) and "different releases" in flat(err) and "hover plan" in flat(err), err
    assert lock_keys(s) == []
    # Whatever it left, the plan says it, and a rollback or deploy converges.
    time.sleep(4)
    r = s.plan_exit()
    assert r.code in (0, 2), r
    if r.code == 2:
        assert "Traffic is split" in r.stdout, r
    deploy(s, "--build-id", "d3")
    assert set(builds_live(s).values()) == {"d3"}
    s.assert_no_changes()


def test_destroy_during_a_deploys_publish_phase_waits_for_the_lock(app, proxy):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "x1")
    # Publishing takes its time: destroy is run while the deploy holds the lock.
    proxy.fail("*", "delay", times=8, seconds=2, path="/versions")
    proc = start(s, proxy, "deploy", s.key, "--auto-approve", "--build-id", "x2")
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "==> Publish" in line:
            break
    r = s.hover("destroy", s.key, "--auto-approve")
    out, err = proc.communicate(timeout=180)
    assert r.code == 1, r
    assert "locked by `hover deploy`" in flat(r.stderr), r
    assert proc.returncode == 0, ("".join(seen) + out, err)
    assert "Deploy complete! build x2 is live" in out, out
    s.aws.cloudformation.describe_stacks(StackName=s.name)  # the stage is whole
    assert set(builds_live(s).values()) == {"x2"}
    assert lock_keys(s) == []
