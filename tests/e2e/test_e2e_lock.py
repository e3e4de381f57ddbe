"""One run changes a stage at a time: the stage lock in its bucket names its holder, is given back
when the run ends, is reclaimed when stale; two applies at once never both carry out plans made
against the same stack."""
import json
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
