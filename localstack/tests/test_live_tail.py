"""CloudWatch Logs Live Tail (hover_compat.live_tail): StartLiveTail answers an event stream of the
lines written after the session started, checks its input as AWS does, and can be refused or cut
short for tests; plain moto answers a JSON stub that no SDK reads as a stream."""
import threading
import time
import uuid

import boto3
import botocore.config
import botocore.exceptions
import pytest

from conftest import REGION, http_json

CONTROL = "/hover-compat/logs/live-tail"


def _logs(endpoint):
    # botocore puts StartLiveTail's "stream-" host prefix before the emulator's 127.0.0.1: off.
    config = botocore.config.Config(retries={"max_attempts": 1}, read_timeout=30, inject_host_prefix=False)
    return boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test",
                                 region_name=REGION).client("logs", endpoint_url=endpoint, config=config)


def _group(logs, streams=("s1",)):
    group = f"/aws/lambda/lt-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    for s in streams:
        logs.create_log_stream(logGroupName=group, logStreamName=s)
    return group


def _put(logs, group, stream, messages):
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])


class Tail(threading.Thread):
    """Reads a Live Tail response stream on a thread: sessionStart, then every update."""

    def __init__(self, response):
        super().__init__(daemon=True)
        self.stream = response["responseStream"]
        self.start_event = None
        self.updates = []
        self.error = None
        self.started = threading.Event()
        self.done = threading.Event()

    def run(self):
        try:
            for event in self.stream:
                if "sessionStart" in event:
                    self.start_event = event["sessionStart"]
                    self.started.set()
                elif "sessionUpdate" in event:
                    self.updates.append(event["sessionUpdate"])
                else:
                    self.error = event
        except Exception as e:  # the stream could not be read: the check fails on it
            self.error = e
        finally:
            self.started.set()
            self.done.set()

    def messages(self):
        return [r["message"] for u in list(self.updates) for r in u["sessionResults"]]

    def wait_for(self, count, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.messages()) < count and not self.done.is_set():
            time.sleep(0.05)
        return self.messages()

    def close(self):
        self.stream.close()


def check_live_tail_streams_lines_written_after_it_started(endpoint):
    logs = _logs(endpoint)
    group = _group(logs, ("a", "b"))
    _put(logs, group, "a", ["before"])
    arn = f"arn:aws:logs:{REGION}:123456789012:log-group:{group}"
    tail = Tail(logs.start_live_tail(logGroupIdentifiers=[arn]))
    tail.start()
    try:
        assert tail.started.wait(10) and tail.start_event, tail.error
        assert tail.start_event["logGroupIdentifiers"] == [arn]
        assert tail.start_event["sessionId"]
        _put(logs, group, "a", ["one", "two"])
        _put(logs, group, "b", ["three"])
        got = tail.wait_for(3)
        assert sorted(got) == ["one", "three", "two"], (got, tail.error)
        assert got.index("one") < got.index("two"), got
        result = next(r for u in tail.updates for r in u["sessionResults"] if r["message"] == "one")
        assert result["logStreamName"] == "a" and result["logGroupIdentifier"] == arn, result
        assert result["timestamp"] > 0 and result["ingestionTime"] >= result["timestamp"] - 5000, result
        time.sleep(2.2)
        assert tail.messages() == got, "nothing twice, nothing from before the start"
        assert all(u["sessionMetadata"]["sampled"] is False for u in tail.updates)
        assert len(tail.updates) >= 2, "an update about every second, empty or not"
    finally:
        tail.close()


def check_live_tail_filters_streams_and_patterns(endpoint):
    logs = _logs(endpoint)
    group = _group(logs, ("web-1", "web-2", "job-1"))
    tail = Tail(logs.start_live_tail(logGroupIdentifiers=[group], logStreamNamePrefixes=["web-"],
                                     logEventFilterPattern="ERROR"))
    tail.start()
    try:
        assert tail.started.wait(10) and tail.start_event, tail.error
        _put(logs, group, "web-1", ["INFO fine", "ERROR one"])
        _put(logs, group, "job-1", ["ERROR not this stream"])
        _put(logs, group, "web-2", ["ERROR two"])
        got = tail.wait_for(2)
        time.sleep(1.2)
        assert sorted(tail.messages()) == ["ERROR one", "ERROR two"], tail.messages()
    finally:
        tail.close()


def check_live_tail_samples_beyond_500_a_second(endpoint):
    logs = _logs(endpoint)
    group = _group(logs)
    tail = Tail(logs.start_live_tail(logGroupIdentifiers=[group]))
    tail.start()
    try:
        assert tail.started.wait(10), tail.error
        _put(logs, group, "s1", [f"m{i}" for i in range(1200)])
        deadline = time.time() + 10
        while time.time() < deadline and not any(u["sessionMetadata"]["sampled"] for u in tail.updates):
            time.sleep(0.05)
        sampled = [u for u in tail.updates if u["sessionMetadata"]["sampled"]]
        assert sampled and len(sampled[0]["sessionResults"]) == 500, [len(u["sessionResults"]) for u in tail.updates]
    finally:
        tail.close()


def check_live_tail_checks_its_input(endpoint):
    logs = _logs(endpoint)
    group = _group(logs)

    def refused(code, **kwargs):
        with pytest.raises(botocore.exceptions.ClientError) as err:
            logs.start_live_tail(**kwargs)
        assert err.value.response["Error"]["Code"] == code, err.value.response
        return err.value.response["Error"]["Message"]

    message = refused("InvalidParameterException", logGroupIdentifiers=[group] * 11)
    assert "less than or equal to 10" in message, message
    refused("InvalidParameterException", logGroupIdentifiers=[group], logStreamNames=["s1"],
            logStreamNamePrefixes=["s"])
    refused("InvalidParameterException", logGroupIdentifiers=[group, group], logStreamNames=["s1"])
    refused("InvalidParameterException", logGroupIdentifiers=[group], logEventFilterPattern='{ $.x = ')
    refused("ResourceNotFoundException", logGroupIdentifiers=[group + "-none"])


CHECKS = [
    check_live_tail_streams_lines_written_after_it_started,
    check_live_tail_filters_streams_and_patterns,
    check_live_tail_samples_beyond_500_a_second,
    check_live_tail_checks_its_input,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_live_tail(endpoint, check):
    check(endpoint)


def test_live_tail_can_be_refused_and_cut_short(endpoint):
    logs = _logs(endpoint)
    group = _group(logs)
    try:
        status, body = http_json(endpoint, "POST", CONTROL, {"refuse": "AccessDeniedException"})
        assert status == 200 and body["refuse"] == "AccessDeniedException", body
        with pytest.raises(botocore.exceptions.ClientError) as err:
            logs.start_live_tail(logGroupIdentifiers=[group])
        assert err.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "logs:StartLiveTail" in err.value.response["Error"]["Message"]
        status, body = http_json(endpoint, "POST", CONTROL, {"refuse": None, "session_seconds": 1.5})
        assert status == 200, body
        tail = Tail(logs.start_live_tail(logGroupIdentifiers=[group]))
        tail.start()
        assert tail.done.wait(10), "the session ends"
        assert isinstance(tail.error, botocore.exceptions.EventStreamError), tail.error
        assert tail.error.response["Error"]["Code"] == "SessionTimeoutException", tail.error
        status, body = http_json(endpoint, "POST", CONTROL, {"nonsense": 1})
        assert status == 400, body
    finally:
        http_json(endpoint, "POST", CONTROL, {"refuse": None, "session_seconds": None, "end_with": None})


def test_plain_moto_has_no_live_tail(plain_aws):
    with pytest.raises(Exception):
        check_live_tail_streams_lines_written_after_it_started(plain_aws.endpoint)
