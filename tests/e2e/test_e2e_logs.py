"""`hover logs` through the binary: the lines of the stage's functions written into the emulator's
CloudWatch Logs (PutLogEvents, as Lambda would), merged, chosen, filtered, followed, as JSON, and
over 200,000 lines with flat memory; bad input refused before any AWS call."""
import json
import os
import re
import signal
import subprocess
import threading
import time
from datetime import datetime, timezone

import pytest

MANIFEST = {"region": "us-east-1", "queue": {"emails": {"queues": ["emails"]}}}
LINE = re.compile(r"^(\S+)\s+(\S+) (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (.*)$")


def now_ms():
    return int(time.time() * 1000)


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def put(stage, function, stream, events):
    """Writes (timestamp, message) events into the function's log group and stream."""
    logs = stage.aws.logs
    group = f"/aws/lambda/{stage.name}-{function}" if function in ("http", "cli") else \
        f"/aws/lambda/{stage.name}-{function}-queue"
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    for i in range(0, len(events), 10_000):
        batch = [{"timestamp": t, "message": m} for t, m in events[i:i + 10_000]]
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)


def stream(n, version="1"):
    return f"2026/12/06/[{version}]{n:032x}"


def parsed(stdout):
    out = []
    for line in stdout.splitlines():
        m = LINE.match(line)
        assert m, line
        out.append(m.groups())
    return out


def test_every_function_merged_in_time_order_with_function_and_container(stage):
    s = stage(MANIFEST)
    t = now_ms() - 60_000
    put(s, "http", stream(0xA1), [(t + 1, "http one"), (t + 4, "http four\n")])
    put(s, "http", stream(0xA2), [(t + 3, "http other container")])
    put(s, "cli", stream(0xC1), [(t + 2, "cli two")])
    put(s, "emails", stream(0xE1), [(t + 5, "emails five")])
    r = s.hover("logs", s.key)
    assert r.code == 0, r
    lines = parsed(r.stdout)
    assert [l[3] for l in lines] == ["http one", "cli two", "http other container", "http four",
                                     "emails five"], r
    assert lines[0][:3] == ("http", "[1]00000000", iso(t + 1)), r
    assert lines[4][0] == "emails", r
    # Function names are padded to the longest, so the containers line up.
    assert r.stdout.splitlines()[1].startswith("cli    [1]"), r

    # Chosen functions only, in any order on the command line.
    r = s.hover("logs", s.key, "emails", "cli")
    assert r.code == 0, r
    assert [l[3] for l in parsed(r.stdout)] == ["cli two", "emails five"], r


def test_json_lines_carry_every_field(stage):
    s = stage(MANIFEST)
    t = now_ms() - 1000
    put(s, "cli", stream(7, "$LATEST"), [(t, 'said "hi"')])
    r = s.hover("logs", s.key, "--json")
    assert r.code == 0, r
    [line] = r.stdout.splitlines()
    event = json.loads(line)
    assert event["function"] == "cli"
    assert event["log_group"] == f"/aws/lambda/{s.name}-cli"
    assert event["stream"] == stream(7, "$LATEST")
    assert event["timestamp"] == iso(t)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", event["ingestion_time"])
    assert event["message"] == 'said "hi"'
    assert event["event_id"]


def test_since_and_until_take_durations_and_iso_times(stage):
    s = stage(MANIFEST)
    n = now_ms()
    put(s, "http", stream(1), [(n - 3 * 3_600_000, "three hours"), (n - 30 * 60_000, "half an hour"),
                               (n - 60_000, "a minute")])

    def messages(*args):
        r = s.hover("logs", s.key, *args)
        assert r.code == 0, r
        return [l[3] for l in parsed(r.stdout)]

    assert messages() == ["a minute"], "the default is the last 10 minutes"
    assert messages("--since", "1h") == ["half an hour", "a minute"]
    assert messages("--since", "1d", "--until", "2h") == ["three hours"]
    assert messages("--since", "4h", "--until", "20m") == ["three hours", "half an hour"]
    assert messages("--since", iso(n - 31 * 60_000), "--until", iso(n - 29 * 60_000)) == ["half an hour"]
    plus_one = datetime.fromtimestamp((n - 2 * 3_600_000) / 1000, timezone.utc).astimezone(
        timezone(__import__("datetime").timedelta(hours=1))).isoformat()
    assert messages("--since", plus_one) == ["half an hour", "a minute"], plus_one


def test_filter_takes_cloudwatch_patterns(stage):
    s = stage(MANIFEST)
    t = now_ms() - 5000
    put(s, "http", stream(1), [(t, "INFO all good"), (t + 1, "ERROR job failed badly"),
                               (t + 2, "ERROR disk")])
    put(s, "emails", stream(2), [(t + 3, "job failed: mail")])
    r = s.hover("logs", s.key, "--filter", "ERROR")
    assert r.code == 0, r
    assert [l[3] for l in parsed(r.stdout)] == ["ERROR job failed badly", "ERROR disk"], r
    r = s.hover("logs", s.key, "--filter", '"job failed"')
    assert r.code == 0, r
    assert [l[3] for l in parsed(r.stdout)] == ["ERROR job failed badly", "job failed: mail"], r


def test_a_pattern_cloudwatch_rejects_shows_its_message(stage):
    s = stage(MANIFEST)
    put(s, "http", stream(1), [(now_ms() - 1000, "x")])
    r = s.hover("logs", s.key, "--filter", '{ $.level = "error"')
    assert r.code == 1, r
    assert "CloudWatch Logs rejected the filter pattern" in r.stderr, r
    assert "Invalid filter pattern" in r.stderr, r
    assert r.stdout == "", r


def test_bad_input_is_refused_before_any_aws_call(stage):
    s = stage(MANIFEST)
    # No AWS here: any call would fail as unreachable instead of the error expected.
    nowhere = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    r = s.hover("logs", s.key, "http", "mailer", env=nowhere)
    assert r.code == 1, r
    assert "the stage has no function `mailer`; its functions are: http, cli, emails" in r.stderr, r
    for flag, value in [("--since", "10x"), ("--since", "yesterday"), ("--until", "2026-13-01")]:
        r = s.hover("logs", s.key, flag, value, env=nowhere)
        assert r.code == 2, r
        assert f"invalid value '{value}' for '{flag} <WHEN>'" in r.stderr, r
        assert "30s, 10m, 2h" in r.stderr and "2026-12-06T16:00:00Z" in r.stderr, r
    r = s.hover("logs", s.key, "--since", "1h", "--until", "2h", env=nowhere)
    assert r.code == 1, r
    assert "--since is later than --until" in r.stderr, r
    r = s.hover("logs", s.key, "--follow", "--until", "1m", env=nowhere)
    assert r.code == 2 and "cannot be used with" in r.stderr, r


class Reader(threading.Thread):
    """Reads a process's stdout lines as they come."""

    def __init__(self, proc):
        super().__init__(daemon=True)
        self.proc = proc
        self.lines = []
        self.cond = threading.Condition()

    def run(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait_for(self, count, timeout=30):
        deadline = time.time() + timeout
        with self.cond:
            while len(self.lines) < count and time.time() < deadline:
                self.cond.wait(deadline - time.time())
            return list(self.lines)


def test_follow_prints_new_lines_once_in_order_and_ends_with_ctrl_c(stage):
    s = stage(MANIFEST)
    t0 = now_ms()
    put(s, "http", stream(1), [(t0 - 2000, "before 1")])
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.Popen([s.hover_bin, "--no-color", "--dir", str(s.dir), "logs", s.key, "--follow"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    reader = Reader(proc)
    reader.start()
    try:
        assert reader.wait_for(1) == [reader.lines[0]] and reader.lines[0].endswith("before 1"), \
            reader.lines
        # New lines over several polls, in two containers and two functions, some with the same
        # millisecond; one poll's overlap re-reads the earlier ones.
        expected = ["before 1"]
        for round_ in range(3):
            t = now_ms()
            put(s, "http", stream(1), [(t, f"r{round_} http a"), (t, f"r{round_} http b")])
            put(s, "emails", stream(2), [(t + 1, f"r{round_} emails")])
            put(s, "http", stream(3), [(t + 2, f"r{round_} http other")])
            expected += [f"r{round_} http a", f"r{round_} http b", f"r{round_} emails",
                         f"r{round_} http other"]
            got = reader.wait_for(len(expected))
            assert [LINE.match(l).group(4) for l in got] == expected, got
            time.sleep(1.5)  # at least one more poll over the same window
        time.sleep(2.5)
        assert len(reader.lines) == len(expected), reader.lines
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=5)
    assert [LINE.match(l).group(4) for l in reader.lines] == expected


def run_measured(s, *args):
    """Runs hover, reading its output as it comes; (lines, seconds, peak RSS in MB)."""
    env = dict(os.environ, NO_COLOR="1")
    start = time.time()
    proc = subprocess.Popen([s.hover_bin, "--no-color", "--dir", str(s.dir), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    count = 0
    last = None
    in_order = True
    for line in proc.stdout:
        count += 1
        stamp = line.split(None, 3)[2]
        in_order &= last is None or stamp >= last
        last = stamp
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, stderr
    assert in_order
    return count, time.time() - start, usage.ru_maxrss / 1024


def test_two_hundred_thousand_lines_stream_with_flat_memory(stage):
    s = stage(MANIFEST)
    t = now_ms() - 50 * 60_000
    padding = "x" * 150
    small, large = 20_000, 200_000
    # Three functions, two containers of http: the merge has four streams to interleave.
    for i, (function, container) in enumerate([("http", 1), ("http", 2), ("cli", 3), ("emails", 4)]):
        events = [(t + k * 4 + i, f"line {k} of {function} {padding}") for k in range(large // 4)]
        put(s, function, stream(container), events)
    start = iso(t - 1)
    count, _, small_rss = run_measured(s, "logs", s.key, "--since", start, "--until",
                                       iso(t + small - 1))
    assert count == small, count
    count, seconds, large_rss = run_measured(s, "logs", s.key, "--since", start)
    assert count == large, count
    report = (f"{large} lines in {seconds:.1f} s ({large / seconds:.0f} lines/s), peak RSS "
              f"{large_rss:.1f} MB ({small} lines: {small_rss:.1f} MB)")
    print(report)
    Path = __import__("pathlib").Path
    out = os.environ.get("HOVER_LOGS_REPORT")
    if out:
        Path(out).write_text(report + "\n")
    # Holding 200,000 lines of ~200 bytes would take well over 40 MB more than holding 20,000.
    assert large_rss < small_rss + 15, report


# -- follow through Live Tail, and polling where it is not available ----------------------------

LIVE_TAIL = "/hover-compat/logs/live-tail"


def emulator(endpoint, method, path, body=None):
    import urllib.request

    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(endpoint + path, method=method, data=data,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def calls(endpoint, operation):
    return emulator(endpoint, "GET", "/hover-compat/requests")["counts"].get(f"logs:{operation}", 0)


@pytest.fixture
def live_tail(endpoint):
    """Changes the emulator's Live Tail sessions for one test (see hover_compat/live_tail.py)."""
    def configure(**settings):
        return emulator(endpoint, "POST", LIVE_TAIL, settings)

    yield configure
    configure(refuse=None, session_seconds=None, end_with=None)


class Follow:
    """`hover logs --follow` running, its stdout read as it comes, each line timed."""

    def __init__(self, s, *args):
        env = dict(os.environ, NO_COLOR="1")
        self.proc = subprocess.Popen([s.hover_bin, "--no-color", "--dir", str(s.dir), "logs", s.key, "--follow",
                                      *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.reader = Reader(self.proc)
        self.times = []
        self.reader.start()

    def messages(self, count, timeout=30):
        return [LINE.match(l).group(4) for l in self.reader.wait_for(count, timeout)]

    def stop(self):
        """Ctrl-C: (exit code, stderr)."""
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)
        return code, self.proc.stderr.read()


def settled(endpoint, operation, quiet=1.5):
    """The count of `operation` once it has not changed for `quiet` seconds."""
    count, since = calls(endpoint, operation), time.time()
    while time.time() - since < quiet:
        time.sleep(0.1)
        now = calls(endpoint, operation)
        if now != count:
            count, since = now, time.time()
    return count


def create_groups(s, functions):
    for f in functions:
        put(s, f, stream(0xF0), [])


def rounds_through_follow(s, follow, expected, rounds=3):
    """Writes lines in rounds (two functions, three streams, shared milliseconds) and checks that
    each round arrives whole, once, in order; returns the latency of each round's last line."""
    latencies = []
    for round_ in range(rounds):
        t = now_ms()
        put(s, "http", stream(1), [(t, f"r{round_} http a"), (t, f"r{round_} http b")])
        put(s, "emails", stream(2), [(t + 1, f"r{round_} emails")])
        put(s, "http", stream(3), [(t + 2, f"r{round_} http other")])
        written = time.time()
        expected += [f"r{round_} http a", f"r{round_} http b", f"r{round_} emails", f"r{round_} http other"]
        got = follow.messages(len(expected))
        latencies.append(time.time() - written)
        assert got == expected, got
        time.sleep(1.2)
    return latencies


def test_follow_streams_through_live_tail_once_in_order_and_ends_with_ctrl_c(stage, endpoint):
    s = stage(MANIFEST)
    create_groups(s, ["http", "cli", "emails"])
    put(s, "http", stream(1), [(now_ms() - 2000, "before 1")])
    started_before = calls(endpoint, "StartLiveTail")
    follow = Follow(s)
    try:
        assert follow.messages(1) == ["before 1"]
        deadline = time.time() + 10
        while calls(endpoint, "StartLiveTail") == started_before and time.time() < deadline:
            time.sleep(0.05)
        assert calls(endpoint, "StartLiveTail") == started_before + 1, "one Live Tail session"
        polls = settled(endpoint, "FilterLogEvents")  # the catch-up read is over
        expected = ["before 1"]
        latencies = rounds_through_follow(s, follow, expected)
        time.sleep(2.5)
        assert follow.messages(len(expected)) == expected, "nothing twice"
        assert calls(endpoint, "FilterLogEvents") == polls, "the lines came through Live Tail, not polling"
        code, stderr = follow.stop()
        assert code == 0, stderr
        assert "Warning" not in stderr, stderr
    finally:
        if follow.proc.poll() is None:
            follow.stop()
    print(f"Live Tail: line written -> printed in {sorted(latencies)[len(latencies) // 2]:.2f} s (median)")


def test_follow_falls_back_to_polling_when_live_tail_is_refused(stage, endpoint, live_tail):
    s = stage(MANIFEST)
    create_groups(s, ["http", "cli", "emails"])
    put(s, "http", stream(1), [(now_ms() - 2000, "before 1")])
    live_tail(refuse="AccessDeniedException")
    follow = Follow(s, "--json")
    try:
        got = follow.reader.wait_for(1)
        assert json.loads(got[0])["message"] == "before 1", got
        expected = ["before 1"]
        for round_ in range(2):
            t = now_ms()
            put(s, "http", stream(1), [(t, f"r{round_} a"), (t, f"r{round_} a")])
            put(s, "emails", stream(2), [(t + 1, f"r{round_} b")])
            expected += [f"r{round_} a", f"r{round_} a", f"r{round_} b"]
            got = follow.reader.wait_for(len(expected))
            assert [json.loads(l)["message"] for l in got] == expected, got
            time.sleep(1.5)  # polls re-read the same window: nothing twice
        time.sleep(2)
        assert [json.loads(l)["message"] for l in follow.reader.lines] == expected
        assert all(json.loads(l)["event_id"] for l in follow.reader.lines), "polled lines have ids"
        code, stderr = follow.stop()
        assert code == 0, stderr
        assert stderr.count("Warning: Live Tail is not available") == 1, stderr
        assert "logs:StartLiveTail" in stderr and "following by polling FilterLogEvents" in stderr, stderr
    finally:
        if follow.proc.poll() is None:
            follow.stop()


def test_follow_polls_until_every_log_group_exists_then_streams_through_live_tail(stage, endpoint):
    # `cli` has no log group yet (a function that never ran): CloudWatch refuses the session, the
    # follow polls, and takes up Live Tail once the group is there, with no line lost or twice.
    s = stage(MANIFEST)
    create_groups(s, ["http", "emails"])
    put(s, "http", stream(1), [(now_ms() - 2000, "before 1")])
    started_before = calls(endpoint, "StartLiveTail")
    follow = Follow(s)
    try:
        assert follow.messages(1) == ["before 1"]
        expected = ["before 1"]
        t = now_ms()
        put(s, "http", stream(1), [(t, "polled a")])
        put(s, "emails", stream(2), [(t + 1, "polled b")])
        expected += ["polled a", "polled b"]
        assert follow.messages(len(expected)) == expected
        create_groups(s, ["cli"])
        put(s, "cli", stream(4), [(now_ms(), "cli first")])
        expected += ["cli first"]
        assert follow.messages(len(expected)) == expected
        # The next try (every 10 s) starts a session; its catch-up read prints what came between.
        deadline = time.time() + 25
        while calls(endpoint, "StartLiveTail") < started_before + 2 and time.time() < deadline:
            time.sleep(0.2)
        tries = calls(endpoint, "StartLiveTail") - started_before
        assert tries >= 2, "Live Tail is tried again"
        polls = settled(endpoint, "FilterLogEvents")  # the hand-over's catch-up read is over
        latencies = rounds_through_follow(s, follow, expected, rounds=2)
        time.sleep(2.5)
        assert follow.messages(len(expected)) == expected, "nothing twice"
        assert calls(endpoint, "FilterLogEvents") == polls, "the lines came through Live Tail"
        assert calls(endpoint, "StartLiveTail") - started_before == tries, "one session, kept"
        code, stderr = follow.stop()
        assert code == 0, stderr
        assert stderr.count("Warning: Live Tail cannot start yet") == 1, stderr
        assert "ResourceNotFoundException" in stderr, stderr
        assert "Live Tail is not available" not in stderr, stderr
    finally:
        if follow.proc.poll() is None:
            follow.stop()


def writer(s, streams, count, pause, prefix):
    """A thread writing `count` numbered lines to each (function, stream), `pause` seconds apart."""
    def run():
        for i in range(count):
            t = now_ms()
            for function, container in streams:
                put(s, function, stream(container), [(t, f"{prefix} {function}/{container} {i:04d}")])
            time.sleep(pause)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def per_stream(messages):
    out = {}
    for m in messages:
        prefix, key, n = m.split(" ")
        out.setdefault(key, []).append(int(n))
    return out


@pytest.mark.parametrize("end_with", ["SessionTimeoutException", "SessionStreamingException"])
def test_lines_written_across_every_hand_over_arrive_once_in_order(stage, endpoint, live_tail, end_with):
    """Lines written all along: before the follow starts, during its history read, while the
    session starts, and across sessions that end every 2 s (renewed after a timeout; replaced by
    polling after an error)."""
    s = stage(MANIFEST)
    create_groups(s, ["http", "cli", "emails"])
    live_tail(session_seconds=2, end_with=end_with)
    streams = [("http", 1), ("http", 2), ("emails", 3)]
    count = 150
    started_before = calls(endpoint, "StartLiveTail")
    thread = writer(s, streams, count, 0.04, "w")
    time.sleep(0.5)
    follow = Follow(s)
    try:
        thread.join(timeout=60)
        total = count * len(streams)
        got = follow.messages(total, timeout=30)
        time.sleep(2.5)
        got = follow.messages(total + 1, timeout=0.1)
        code, stderr = follow.stop()
        assert code == 0, stderr
        by_stream = per_stream(got)
        for function, container in streams:
            assert by_stream[f"{function}/{container}"] == list(range(count)), (function, by_stream)
        assert len(got) == total
        sessions = calls(endpoint, "StartLiveTail") - started_before
        if end_with == "SessionTimeoutException":
            assert sessions >= 3, f"sessions were renewed ({sessions})"
            assert "Warning" not in stderr, stderr
        else:
            assert sessions == 1, sessions
            assert stderr.count("Warning: the Live Tail session ended with an error") == 1, stderr
    finally:
        if follow.proc.poll() is None:
            follow.stop()


@pytest.mark.parametrize("mode", ["live-tail", "polling"])
def test_follow_latency_and_calls(stage, endpoint, live_tail, mode):
    """Measures, through Live Tail and through polling, how long a line takes from written to
    printed (median of 9) and how many calls a minute an idle follow of three functions makes;
    asserts only that every line arrived once."""
    s = stage(MANIFEST)
    create_groups(s, ["http", "cli", "emails"])
    if mode == "polling":
        live_tail(refuse="AccessDeniedException")
    follow = Follow(s)
    try:
        time.sleep(3)  # the history and, with Live Tail, the catch-up read are over
        before = {op: calls(endpoint, op) for op in ("FilterLogEvents", "StartLiveTail")}
        idle = 10
        time.sleep(idle)
        per_minute = {op: (calls(endpoint, op) - n) * 60 / idle for op, n in before.items()}
        latencies = []
        for i in range(9):
            put(s, "http", stream(1), [(now_ms(), f"line {i}")])
            written = time.time()
            got = follow.messages(i + 1, timeout=10)
            assert got == [f"line {k}" for k in range(i + 1)], (got, follow.proc.poll())
            latencies.append(time.time() - written)
            time.sleep(0.2 + (i * 0.37) % 1)  # lines land at different points of the cycle
        code, stderr = follow.stop()
        assert code == 0, stderr
    finally:
        if follow.proc.poll() is None:
            follow.stop()
    median = sorted(latencies)[len(latencies) // 2]
    report = (f"{mode}: written -> printed median {median:.2f} s (min {min(latencies):.2f}, max "
              f"{max(latencies):.2f}); idle calls per minute: {per_minute}")
    print(report)
    out = os.environ.get("HOVER_LOGS_REPORT")
    if out:
        with open(out, "a") as f:
            f.write(report + "\n")
