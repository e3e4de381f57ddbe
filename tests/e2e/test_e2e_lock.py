"""One run changes a stage at a time: the stage lock in its bucket names its holder, is given back
when the run ends, is reclaimed when stale; two applies at once never both carry out plans made
against the same stack."""
import json
import os
import subprocess
import threading
import time

import e2e_stages as stages


def lock_key(s):
    return f"hover/lock/{s.name}.json"


def test_a_held_lock_stops_apply_before_any_change(stage):
    s = stage(stages.concept())
    s.register_image()
    s.apply()
    bucket = f"{s.name}-assets"
    holder = {"user": "ann", "host": "build-7", "pid": 4242, "command": "hover deploy", "since": int(time.time()) - 30}
    s.aws.s3.put_object(Bucket=bucket, Key=lock_key(s), Body=json.dumps(holder).encode())
    s.edit(lambda m: m["http"].update(memory=1024))
    r = s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag)
    assert r.code == 1, r
    assert "locked by `hover deploy` by ann@build-7 (pid 4242)" in r.stderr, r
    fn = s.aws.lambda_.get_function_configuration(FunctionName=f"{s.name}-http")
    assert fn["MemorySize"] == 512, "nothing may change while another run holds the lock"

    # A lock older than an hour is reclaimed; the run gives it back when it ends.
    holder["since"] = int(time.time()) - 4000
    s.aws.s3.put_object(Bucket=bucket, Key=lock_key(s), Body=json.dumps(holder).encode())
    r = s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag)
    assert r.code == 0, r
    fn = s.aws.lambda_.get_function_configuration(FunctionName=f"{s.name}-http")
    assert fn["MemorySize"] == 1024
    keys = [o["Key"] for o in s.aws.s3.list_objects_v2(Bucket=bucket, Prefix="hover/lock/").get("Contents", [])]
    assert keys == [], keys


def test_two_applies_at_once_never_both_apply_stale_plans(stage, tmp_path):
    s = stage(stages.concept())
    s.register_image()
    s.apply()
    # A second project directory with the same stage, asking for another memory size.
    other = tmp_path / "other"
    (other / ".hover").mkdir(parents=True)
    m = json.loads(json.dumps(s.manifest))
    m["http"]["memory"] = 2048
    import yaml

    (other / ".hover" / f"{s.key}.yml").write_text(yaml.safe_dump(m, sort_keys=False))
    s.edit(lambda m: m["http"].update(memory=1024))

    results = {}

    def run(name, d):
        results[name] = subprocess.run(
            [s.hover_bin, "--no-color", "--dir", str(d), "apply", s.key, "--auto-approve", "--image-tag", s.image_tag],
            capture_output=True, text=True, timeout=180,
        )

    threads = [threading.Thread(target=run, args=("a", s.dir)), threading.Thread(target=run, args=("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [k for k, r in results.items() if r.returncode == 0]
    assert ok, results
    for k, r in results.items():
        if r.returncode != 0:
            assert "locked by" in r.stderr or "changed after the plan was made" in r.stderr, r.stderr
    memory = s.aws.lambda_.get_function_configuration(FunctionName=f"{s.name}-http")["MemorySize"]
    wanted = {"a": 1024, "b": 2048}
    if len(ok) == 1:
        assert memory == wanted[ok[0]], (memory, ok)
    else:
        assert memory in (1024, 2048)
    # Whatever happened, the lock was given back.
    keys = s.aws.s3.list_objects_v2(Bucket=f"{s.name}-assets", Prefix="hover/lock/").get("Contents", [])
    assert not keys, keys


def here():
    host = open("/proc/sys/kernel/hostname").read().strip()
    boot = open("/proc/sys/kernel/random/boot_id").read().strip()
    return host, os.readlink("/proc/self/ns/pid"), boot


def put_lock(s, body):
    s.aws.s3.put_object(Bucket=f"{s.name}-assets", Key=lock_key(s),
                        Body=body if isinstance(body, bytes) else json.dumps(body).encode())


def held(s):
    return [o["Key"] for o in s.aws.s3.list_objects_v2(Bucket=f"{s.name}-assets", Prefix="hover/lock/").get("Contents", [])]


def test_destroy_purge_and_secret_encrypt_wait_for_the_lock(stage):
    s = stage(stages.concept())
    s.register_image()
    s.apply()
    holder = {"user": "ann", "host": "build-7", "pid": 4242, "command": "hover deploy",
              "since": int(time.time()) - 30, "token": "theirs"}
    put_lock(s, holder)
    r = s.hover("destroy", s.key, "--auto-approve")
    assert r.code == 1, r
    assert "locked by `hover deploy` by ann@build-7" in " ".join(w for w in r.stderr.split() if w != "|"), r
    s.aws.cloudformation.describe_stacks(StackName=s.name)  # still there
    r = s.hover("stage", "purge", s.key, "--keep", "0", "--auto-approve")
    assert r.code in (0, 1), r
    if "Nothing to purge" not in r.stdout:
        assert "locked by" in " ".join(w for w in r.stderr.split() if w != "|"), r
    (s.dir / ".hover" / f"{s.key}-secrets.plain.env").write_text("A=1\n")
    r = s.hover("secret", "encrypt", "--stage", s.key)
    assert r.code == 1 and "locked by" in " ".join(w for w in r.stderr.split() if w != "|"), r
    assert (s.dir / ".hover" / f"{s.key}-secrets.plain.env").exists(), "nothing was removed"
    assert held(s) == [lock_key(s)], "another run's lock is left alone"
    put_lock(s, dict(holder, since=int(time.time()) - 4000))
    r = s.hover("secret", "encrypt", "--stage", s.key)
    assert r.code == 0, r
    assert held(s) == []


def test_an_unreadable_lock_needs_force_unlock_and_holders_are_printed_clean(stage):
    s = stage(stages.concept())
    s.register_image()
    s.apply()
    s.edit(lambda m: m["http"].update(memory=1024))
    put_lock(s, b"\x00not json\n")
    r = s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag)
    assert r.code == 1, r
    assert "cannot be read" in " ".join(w for w in r.stderr.split() if w != "|") and "--force-unlock" in " ".join(w for w in r.stderr.split() if w != "|"), r
    assert held(s) == [lock_key(s)]

    hostile = {"user": "x\x1b[2J", "host": "h\u202egnp.exe", "pid": 1, "since": int(time.time()),
               "command": "hover deploy\nApply complete!", "token": "t"}
    put_lock(s, hostile)
    r = s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag)
    assert r.code == 1, r
    assert "\nApply complete!" not in r.stderr and "\x1b" not in r.stderr and "\u202e" not in r.stderr, repr(r.stderr)
    assert "\\u{a}Apply complete!" in " ".join(w for w in r.stderr.split() if w != "|"), r.stderr

    r = s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag, "--force-unlock")
    assert r.code == 0, r
    assert s.aws.lambda_.get_function_configuration(FunctionName=f"{s.name}-http")["MemorySize"] == 1024
    assert held(s) == []


def test_a_holder_in_another_pid_namespace_is_not_taken_as_gone(stage):
    s = stage(stages.concept())
    s.register_image()
    s.apply()
    s.edit(lambda m: m["http"].update(memory=1024))
    host, ns, boot = here()
    # This test's own process holds the lock: alive here, invisible inside a new PID namespace.
    holder = {"user": "ci", "host": host, "pid": os.getpid(), "command": "hover deploy",
              "since": int(time.time()), "token": "theirs", "pid_ns": ns, "boot_id": boot}
    put_lock(s, holder)
    cmd = ["unshare", "--pid", "--fork", "--mount-proc", s.hover_bin, "--no-color", "--dir", str(s.dir),
           "apply", s.key, "--auto-approve", "--image-tag", s.image_tag]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=dict(os.environ, NO_COLOR="1"))
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "locked by `hover deploy` by ci@" in " ".join(w for w in r.stderr.split() if w != "|"), r.stderr
    assert s.aws.lambda_.get_function_configuration(FunctionName=f"{s.name}-http")["MemorySize"] == 512
    assert held(s) == [lock_key(s)]

    # A holder of this namespace and boot whose process is gone is reclaimed at once.
    put_lock(s, dict(holder, pid=4_000_000))
    r = s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag)
    assert r.code == 0, r
    assert held(s) == []
