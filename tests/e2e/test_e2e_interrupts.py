"""Ctrl-C at each phase of an apply: before execution nothing changes and nothing is left behind;
while CloudFormation is asked to execute, or while it executes, hover says the stack may still be
changing (never "Apply complete!"), and the next apply finds out and finishes."""
import os
import signal
import subprocess
import time

import e2e_stages as stages


def interrupted_apply(s, proxy, marker):
    """Starts `hover apply` through the proxy, sends SIGINT once `marker` is printed."""
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy.url, NO_COLOR="1")
    proc = subprocess.Popen(
        [s.hover_bin, "--no-color", "--dir", str(s.dir), "apply", s.key, "--auto-approve", "--image-tag", s.image_tag],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    seen = []
    deadline = time.time() + 60
    for line in proc.stdout:
        seen.append(line)
        if marker in line:
            time.sleep(0.3)
            proc.send_signal(signal.SIGINT)
            break
        assert time.time() < deadline, "".join(seen)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, "".join(seen) + out, err


def change_sets(s):
    return s.aws.cloudformation.list_change_sets(StackName=s.name)["Summaries"]


def test_ctrl_c_before_execution_changes_nothing(stage, proxy):
    s = stages.applied_with_a_change(stage)
    # CloudFormation takes its time computing the change set.
    proxy.fail("DescribeChangeSet", "delay", times=3, seconds=2)
    code, out, err = interrupted_apply(s, proxy, "Creating change set")
    assert code != 0, (out, err)
    assert "nothing changed" in err, (out, err)
    assert "Apply complete!" not in out
    assert stages.http_memory(s) == 512
    assert [c for c in change_sets(s) if c.get("ExecutionStatus") == "AVAILABLE"] == []


def test_ctrl_c_while_cloudformation_executes_says_so_and_the_next_apply_finishes(stage, proxy):
    s = stages.applied_with_a_change(stage)
    # The execute request reaches CloudFormation at once; its answer comes 3 s later.
    proxy.fail("ExecuteChangeSet", "delay", seconds=3)
    code, out, err = interrupted_apply(s, proxy, "executing change set")
    assert code != 0, (out, err)
    assert "Apply complete!" not in out, out
    assert "may be executing" in err or "may still be changing" in err, err
    r = s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag)
    assert r.code == 0, r
    assert stages.http_memory(s) == 1024
    s.assert_no_changes()
