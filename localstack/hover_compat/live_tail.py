"""CloudWatch Logs Live Tail: ``StartLiveTail`` answered as AWS does, with an event stream of the
log events that reach moto's logs backend after the session started.

moto 5.2.5 has only a stub: its ``StartLiveTail`` answers once, with a JSON document (not an event
stream) holding the events already stored, so no SDK can read it and no line written afterwards
ever arrives. Here the operation is a WSGI middleware in front of moto (it must stream, which
moto's responses cannot): ``X-Amz-Target: Logs_20140328.StartLiveTail`` (JSON 1.1) is answered
with ``application/vnd.amazon.eventstream``, chunked, one frame at a time (after the
``initial-response`` event that JSON protocols open a stream with):

* a ``sessionStart`` event (requestId, sessionId, the log groups as ARNs, the stream filters, the
  pattern) as soon as the session starts;
* a ``sessionUpdate`` event about every second (:data:`TICK`), holding the events ingested since
  the previous one in the session's log groups (streams chosen by ``logStreamNames`` or
  ``logStreamNamePrefixes``, messages by ``logEventFilterPattern`` through moto's own filter
  matching), in timestamp order per update, at most 500 of them: beyond that the update carries
  500 and ``sessionMetadata.sampled`` is true, as AWS samples; an update with nothing new has an
  empty ``sessionResults``;
* after :data:`SESSION_SECONDS` (three hours, as on AWS) a ``SessionTimeoutException`` exception
  frame, and the stream ends.

Input is checked as AWS checks it (1 to 10 log groups, names or ARNs, no ARN ending in ``*``,
stream names or prefixes but not both and only with one log group, a filter pattern that parses)
and refused with AWS's error shapes (``InvalidParameterException``, ``ResourceNotFoundException``)
before any stream starts.

A test can change the sessions (``POST /hover-compat/logs/live-tail``, JSON body, every key
optional; the answer is the settings in force; moto's reset restores the defaults):

* ``{"refuse": "AccessDeniedException"}`` answers every StartLiveTail with that error, as an
  account whose policy lacks ``logs:StartLiveTail`` does (``"UnknownOperationException"`` as an
  endpoint without the operation; ``null`` accepts again);
* ``{"session_seconds": N}`` ends sessions after N seconds with a SessionTimeoutException (the
  three-hour limit, shortened);
* ``{"end_with": "SessionStreamingException"}`` ends them with that exception instead.
"""
import json
import struct
import threading
import time
import uuid
import zlib
from typing import Any, Callable, Iterable, Iterator, Optional

TARGET = "Logs_20140328.StartLiveTail"
CONTROL = "/hover-compat/logs/live-tail"
TICK = 1.0
SESSION_SECONDS = 3 * 3600
MAX_RESULTS = 500
DEFAULT_ACCOUNT = "123456789012"

_DEFAULTS: dict = {"refuse": None, "session_seconds": SESSION_SECONDS, "end_with": "SessionTimeoutException"}
_SETTINGS: dict = dict(_DEFAULTS)
_LOCK = threading.Lock()


class LiveTailError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


# -- event stream framing ----------------------------------------------------


def _header(name: str, value: str) -> bytes:
    n, v = name.encode(), value.encode()
    return struct.pack(">B", len(n)) + n + struct.pack(">BH", 7, len(v)) + v  # 7: string


def frame(headers: dict, payload: bytes) -> bytes:
    """One message of the AWS event stream encoding: prelude (total length, headers length,
    prelude CRC32), headers, payload, message CRC32."""
    head = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(head) + len(payload) + 4
    prelude = struct.pack(">II", total, len(head))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + head + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event_frame(event_type: str, body: dict) -> bytes:
    return frame({":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
                 json.dumps(body).encode())


def exception_frame(exception_type: str, message: str) -> bytes:
    return frame({":exception-type": exception_type, ":content-type": "application/json",
                  ":message-type": "exception"}, json.dumps({"message": message}).encode())


# -- the session -------------------------------------------------------------


def _account_and_region(environ: dict) -> tuple:
    import re

    auth = environ.get("HTTP_AUTHORIZATION") or ""
    match = re.search(r"Credential=[^/,\s]+/\d+/([^/]+)/", auth)
    region = match.group(1) if match else "us-east-1"
    return environ.get("HTTP_X_MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT, region


def _group_name(identifier: str) -> str:
    if identifier.startswith("arn:"):
        _, _, rest = identifier.partition(":log-group:")
        return rest
    return identifier


def _invalid(message: str) -> LiveTailError:
    return LiveTailError("InvalidParameterException", message)


def _list_param(body: dict, name: str) -> Optional[list]:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _invalid(f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
                       "Member must be a list of non-empty strings")
    return value


class Session:
    """One Live Tail session: what it watches and how far into each stream it has read."""

    def __init__(self, backend: Any, account: str, region: str, body: dict) -> None:
        from moto.logs.utils import EventMessageFilter

        from .mends import filter_pattern_problem

        groups = _list_param(body, "logGroupIdentifiers")
        if not groups:
            raise _invalid("1 validation error detected: Value at 'logGroupIdentifiers' failed to satisfy "
                           "constraint: Member must have length greater than or equal to 1")
        if len(groups) > 10:
            raise _invalid("1 validation error detected: Value at 'logGroupIdentifiers' failed to satisfy "
                           "constraint: Member must have length less than or equal to 10")
        if any(g.endswith("*") for g in groups):
            raise _invalid("A log group ARN can't end with an asterisk (*).")
        self.names = _list_param(body, "logStreamNames")
        self.prefixes = _list_param(body, "logStreamNamePrefixes")
        if self.names is not None and self.prefixes is not None:
            raise _invalid("Only one of logStreamNames or logStreamNamePrefixes can be provided.")
        if (self.names is not None or self.prefixes is not None) and len(groups) != 1:
            raise _invalid("logStreamNames and logStreamNamePrefixes can only be used with a single log group.")
        self.pattern = body.get("logEventFilterPattern") or ""
        problem = filter_pattern_problem(self.pattern)
        if problem:
            raise _invalid(problem)
        self.group_names = [_group_name(g) for g in groups]
        missing = [g for g in self.group_names if g not in backend.groups]
        if missing:
            raise LiveTailError("ResourceNotFoundException", "The specified log group does not exist.")
        self.backend = backend
        self.arns = [f"arn:aws:logs:{region}:{account}:log-group:{g}" for g in self.group_names]
        self.matcher = EventMessageFilter(self.pattern)
        # Where each stream stood when the session started: only later events are sent.
        self.read: dict = {}
        for group, stream in self._streams():
            self.read[(group, stream.log_stream_name)] = len(stream.events)

    def _streams(self) -> Iterator[tuple]:
        for group in self.group_names:
            log_group = self.backend.groups.get(group)
            if log_group is None:  # deleted since (or moto was reset): nothing more comes from it
                continue
            for name, stream in list(log_group.streams.items()):
                if self.names is not None and name not in self.names:
                    continue
                if self.prefixes is not None and not any(name.startswith(p) for p in self.prefixes):
                    continue
                yield group, stream

    def start(self) -> dict:
        return {
            "requestId": str(uuid.uuid4()),
            "sessionId": str(uuid.uuid4()),
            "logGroupIdentifiers": self.arns,
            "logStreamNames": self.names or [],
            "logStreamNamePrefixes": self.prefixes or [],
            "logEventFilterPattern": self.pattern,
        }

    def update(self) -> dict:
        """The events ingested since the last update (at most 500: a sample beyond)."""
        results = []
        for group, stream in self._streams():
            key = (group, stream.log_stream_name)
            events = stream.events
            end = len(events)
            start = self.read.get(key, 0)
            self.read[key] = end
            arn = self.arns[self.group_names.index(group)]
            for event in events[start:end]:
                if self.matcher.matches(event.message):
                    results.append({
                        "logStreamName": stream.log_stream_name,
                        "logGroupIdentifier": arn,
                        "message": event.message,
                        "timestamp": event.timestamp,
                        "ingestionTime": event.ingestion_time,
                    })
        results.sort(key=lambda r: r["timestamp"])
        sampled = len(results) > MAX_RESULTS
        if sampled:  # an even sample, order kept
            step = len(results) / MAX_RESULTS
            results = [results[int(i * step)] for i in range(MAX_RESULTS)]
        return {"sessionMetadata": {"sampled": sampled}, "sessionResults": results}


def _stream(session: Session, settings: dict) -> Iterable[bytes]:
    # JSON protocols open an event stream with the operation's initial response (here empty).
    yield frame({":event-type": "initial-response", ":content-type": "application/json",
                 ":message-type": "event"}, b"{}")
    yield event_frame("sessionStart", session.start())
    ends = time.monotonic() + float(settings["session_seconds"])
    while True:
        now = time.monotonic()
        if now >= ends:
            yield exception_frame(settings["end_with"], "Session timed out after its maximum duration."
                                  if settings["end_with"] == "SessionTimeoutException" else "The session ended.")
            return
        time.sleep(min(TICK, ends - now))
        yield event_frame("sessionUpdate", session.update())


def _json_error(start_response: Callable, err: LiveTailError) -> Iterable[bytes]:
    data = json.dumps({"__type": err.code, "message": err.message}).encode()
    reason = {400: "Bad Request", 403: "Forbidden"}.get(err.status, "Error")
    start_response(f"{err.status} {reason}", [("Content-Type", "application/x-amz-json-1.1"),
                                               ("Content-Length", str(len(data))),
                                               ("x-amzn-RequestId", str(uuid.uuid4()))])
    return [data]


def start_live_tail(environ: dict, start_response: Callable) -> Iterable[bytes]:
    from moto.logs.models import logs_backends

    with _LOCK:
        settings = dict(_SETTINGS)
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    try:
        if settings["refuse"] == "AccessDeniedException":
            raise LiveTailError("AccessDeniedException", "User: arn:aws:iam::123456789012:user/test is not "
                                "authorized to perform: logs:StartLiveTail", 400)
        if settings["refuse"]:
            raise LiveTailError(settings["refuse"], f"Operation {TARGET} is not supported.", 400)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise LiveTailError("SerializationException", "The request body is not JSON.")
        if not isinstance(body, dict):
            raise LiveTailError("SerializationException", "The request body is not a JSON object.")
        account, region = _account_and_region(environ)
        session = Session(logs_backends[account][region], account, region, body)
    except LiveTailError as err:
        return _json_error(start_response, err)
    start_response("200 OK", [("Content-Type", "application/vnd.amazon.eventstream"),
                              ("x-amzn-RequestId", str(uuid.uuid4()))])
    return _stream(session, settings)


def configure(changes: dict) -> dict:
    if not isinstance(changes, dict):
        raise ValueError("a JSON object")
    unknown = set(changes) - set(_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(_DEFAULTS)}")
    if "session_seconds" in changes and changes["session_seconds"] is None:
        changes = dict(changes, session_seconds=SESSION_SECONDS)
    if "end_with" in changes and changes["end_with"] is None:
        changes = dict(changes, end_with=_DEFAULTS["end_with"])
    with _LOCK:
        _SETTINGS.update(changes)
        return dict(_SETTINGS)


def reset() -> None:
    with _LOCK:
        _SETTINGS.clear()
        _SETTINGS.update(_DEFAULTS)


class LiveTail:
    """WSGI middleware: StartLiveTail and its test settings; everything else goes to ``app``."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET") == TARGET:
            return start_live_tail(environ, start_response)
        if environ.get("PATH_INFO") == CONTROL:
            return self._control(environ, start_response)
        return self.app(environ, start_response)

    def _control(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        status = "200 OK"
        try:
            if environ.get("REQUEST_METHOD", "GET").upper() == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                raw = environ["wsgi.input"].read(length) if length > 0 else b"{}"
                body = configure(json.loads(raw or b"{}"))
            else:
                with _LOCK:
                    body = dict(_SETTINGS)
        except ValueError as e:
            status, body = "400 Bad Request", {"message": f"bad settings: {e}"}
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]
