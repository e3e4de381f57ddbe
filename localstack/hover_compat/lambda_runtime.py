"""A runtime stand-in for image functions (the default; see host_runtime.py for host mode).

With ``HOVER_EMULATOR_RUNTIME=host`` the moto wiring below hands image
functions' invocations to ``host_runtime`` instead (real processes); the
record of invocations is kept in both modes, rules only apply to the stand-in.

moto runs a function by starting its image in Docker; there is no Docker
engine here, so moto's ``Invoke`` of an image function fails (and so does an
SQS ``SendMessage`` to a queue mapped to one, with HTTP 500). This module
answers in the container's place, following hover's runtime contract, for
every function whose ``PackageType`` is ``Image`` (Zip functions keep moto's
own behaviour):

* ``{"command": c}`` -> ``{"output": base64("ran: c\\n"), "exit_code": 0}``;
* ``{"warmer_ping": true}`` -> ``{"warm": true}``, and
  ``{"warmer": true, "containers": n}`` -> ``{"warm": true, "containers": n}``;
* an SQS event (``Records`` from ``aws:sqs``) -> ``{"batchItemFailures": []}``;
* an API Gateway (payload 2.0) event -> a 200 text response;
* anything else -> ``{}``.

Tests change what a function answers with rules, and read every invocation
back (see ``control.py`` for the HTTP endpoints):

    {"function": NAME, "match": SUBSTRING, "exit_code": N, "output": TEXT,
     "error": TEXT or null, "error_type": TEXT (optional), "times": N (optional)}

A rule applies to an invocation of NAME (a function name; ``NAME:qualifier``
limits it to that qualifier) when SUBSTRING is in the command (command
payloads) or in the payload's JSON text or an SQS record's body (any other
payload); the empty SUBSTRING matches every invocation. The rule added last
wins. With ``error`` the invocation is a function error (response header
``X-Amz-Function-Error: Unhandled``, body ``{"errorMessage": error,
"errorType": error_type or "Error", "stackTrace": []}``). Otherwise a command
answers ``{"output": base64(output), "exit_code": exit_code}``; an SQS event
answers every record as a batch item failure when ``exit_code`` is not 0, else
no failure; any other payload answers like a command. ``times`` makes a rule
expire after that many uses.

Invocations are recorded in order as ``{"function", "qualifier", "payload"}``:
the function's name, the qualifier as invoked (a version number or alias name
as a string, ``$LATEST`` when so named, null when none), and the parsed JSON
payload (the text when it is not JSON).
"""
import base64
import json
import threading
from typing import Any, Optional

from . import host_runtime

def split_function_name(value: str) -> tuple:
    """A Lambda FunctionName (name, ``name:qualifier``, full or partial ARN,
    qualified or not) -> (name, qualifier or None)."""
    parts = value.split(":")
    if value.startswith("arn:"):
        parts = parts[6:]  # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:Q]
    elif len(parts) >= 3 and parts[1] == "function":
        parts = parts[2:]  # ACCOUNT:function:NAME[:Q]
    return parts[0], (parts[1] if len(parts) > 1 and parts[1] else None)


class RuleError(ValueError):
    pass


class Runtime:
    """Rules and the record of invocations, shared by every request thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list = []
        self._invocations: list = []

    # -- control ------------------------------------------------------------

    def add_rule(self, spec: Any) -> dict:
        if not isinstance(spec, dict):
            raise RuleError("a rule is a JSON object")
        function = spec.get("function")
        if not isinstance(function, str) or not function:
            raise RuleError('"function" (a function name) is required')
        match = spec.get("match", "")
        if not isinstance(match, str):
            raise RuleError('"match" must be a string')
        exit_code = spec.get("exit_code", 0)
        if not isinstance(exit_code, int) or isinstance(exit_code, bool):
            raise RuleError('"exit_code" must be an integer')
        output = spec.get("output", "")
        if not isinstance(output, str):
            raise RuleError('"output" must be a string')
        error = spec.get("error")
        if error is not None and not isinstance(error, str):
            raise RuleError('"error" must be a string or null')
        error_type = spec.get("error_type") or "Error"
        times = spec.get("times")
        if times is not None and (not isinstance(times, int) or times < 1):
            raise RuleError('"times" must be a positive integer')
        name, qualifier = split_function_name(function)
        rule = {
            "function": function, "match": match, "exit_code": exit_code, "output": output,
            "error": error, "error_type": str(error_type), "times": times,
            "_name": name, "_qualifier": qualifier,
        }
        with self._lock:
            self._rules.append(rule)
            return {"rules": [self._public(r) for r in self._rules]}

    def reset(self) -> dict:
        with self._lock:
            cleared = {"rules": len(self._rules), "invocations": len(self._invocations)}
            self._rules.clear()
            self._invocations.clear()
        return cleared

    def invocations(self, function: Optional[str] = None) -> list:
        with self._lock:
            return [dict(i) for i in self._invocations if function is None or i["function"] == function]

    @staticmethod
    def _public(rule: dict) -> dict:
        return {k: v for k, v in rule.items() if not k.startswith("_")}

    # -- invocation ---------------------------------------------------------

    def invoke(self, function: str, qualifier: Optional[str], body: Any) -> tuple:
        """Record one invocation and answer it: (payload bytes, function error type or None)."""
        text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else (body or "")
        try:
            payload = json.loads(text) if text.strip() else {}
        except ValueError:
            payload = text
        with self._lock:
            self._invocations.append({"function": function, "qualifier": qualifier, "payload": payload})
            rule = self._rule_for(function, qualifier, payload, text)
        return _answer(function, payload, rule)

    def record(self, function: str, qualifier: Optional[str], body: Any) -> None:
        """Record an invocation answered elsewhere (by a real container in host mode)."""
        text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else (body or "")
        try:
            payload = json.loads(text) if text.strip() else {}
        except ValueError:
            payload = text
        with self._lock:
            self._invocations.append({"function": function, "qualifier": qualifier, "payload": payload})

    def _rule_for(self, function: str, qualifier: Optional[str], payload: Any, text: str) -> Optional[dict]:
        if isinstance(payload, dict) and "command" in payload:
            haystacks = [str(payload["command"])]
        else:
            haystacks = [text, json.dumps(payload, ensure_ascii=False)]
            for record in _sqs_records(payload):
                haystacks.append(str(record.get("body", "")))
        for rule in reversed(self._rules):
            if rule["_name"] != function:
                continue
            if rule["_qualifier"] is not None and rule["_qualifier"] != qualifier:
                continue
            if not any(rule["match"] in h for h in haystacks):
                continue
            if rule["times"] is not None:
                rule["times"] -= 1
                if rule["times"] <= 0:
                    self._rules.remove(rule)
            return rule
        return None


def _sqs_records(payload: Any) -> list:
    if not isinstance(payload, dict) or not isinstance(payload.get("Records"), list):
        return []
    return [r for r in payload["Records"] if isinstance(r, dict) and r.get("eventSource") == "aws:sqs"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _answer(function: str, payload: Any, rule: Optional[dict]) -> tuple:
    if rule is not None and rule["error"] is not None:
        body = {"errorMessage": rule["error"], "errorType": rule["error_type"], "stackTrace": []}
        return _json(body), "Unhandled"
    records = _sqs_records(payload)
    if records:
        failed = rule is not None and rule["exit_code"] != 0
        failures = [{"itemIdentifier": r.get("messageId")} for r in records] if failed else []
        return _json({"batchItemFailures": failures}), None
    if rule is not None:
        return _json({"output": _b64(rule["output"]), "exit_code": rule["exit_code"]}), None
    if isinstance(payload, dict):
        if "command" in payload:
            return _json({"output": _b64(f"ran: {payload['command']}\n"), "exit_code": 0}), None
        if payload.get("warmer_ping"):
            return _json({"warm": True}), None
        if payload.get("warmer"):
            return _json({"warm": True, "containers": payload.get("containers", 1)}), None
        http = (payload.get("requestContext") or {}).get("http") if isinstance(payload.get("requestContext"), dict) else None
        if isinstance(http, dict):
            text = f"{function}: {http.get('method', 'GET')} {payload.get('rawPath', '/')}\n"
            return _json({"statusCode": 200, "headers": {"content-type": "text/plain; charset=utf-8"}, "body": text}), None
    return _json({}), None


RUNTIME = Runtime()


# --------------------------------------------------------------------------
# moto wiring


def install() -> None:
    """Answer Invoke (and SQS deliveries) of image functions with RUNTIME."""
    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.sqs.models import sqs_backends

    if getattr(LambdaBackend.invoke, "_hover_runtime", False):
        return
    original_invoke = LambdaBackend.invoke
    original_send_sqs_batch = LambdaBackend.send_sqs_batch
    original_delete_esm = LambdaBackend.delete_event_source_mapping

    def invoke(self, function_name, qualifier, body, headers, response_headers):
        # Raises ResourceNotFoundException (404) for an unknown function,
        # version or alias, as the service does.
        fn = self.get_function(function_name, qualifier)
        if fn.package_type != "Image":
            return original_invoke(self, function_name, qualifier, body, headers, response_headers)
        name, named_qualifier = split_function_name(str(function_name))
        invoked_qualifier = named_qualifier or qualifier or None
        response_headers["X-Amz-Executed-Version"] = str(fn.version)
        invocation_type = (headers or {}).get("X-Amz-Invocation-Type")
        if invocation_type == "DryRun":
            response_headers["Content-Length"] = "0"
            return b""
        if host_runtime.enabled():
            if invocation_type == "Event":
                host_runtime.invoke_async(self, function_name, qualifier, _bytes(body))
                response_headers["Content-Length"] = "0"
                return b""
            payload, error = host_runtime.invoke(self, function_name, qualifier, _bytes(body))
        else:
            payload, error = RUNTIME.invoke(fn.function_name, invoked_qualifier, body)
        if error:
            response_headers["X-Amz-Function-Error"] = error
        # The log tail (moto's response keeps it only when LogType=Tail was asked).
        response_headers["x-amz-log-result"] = _log_tail(fn)
        response_headers["Content-Length"] = str(len(payload))
        return payload

    def send_sqs_batch(self, function_arn, messages, queue_arn):
        """One invocation per batch, on the function the mapping names
        (with its qualifier, e.g. the ``live`` alias)."""
        esm = None
        for queue in sqs_backends[self.account_id][self.region_name].queues.values():
            if queue.queue_arn == queue_arn:
                esm = queue.lambda_event_source_mappings.get(function_arn)
        target = getattr(esm, "function_arn", None) or function_arn
        try:
            fn = self.get_function(target)
        except Exception:
            return False  # function, version or alias gone: the messages stay
        if fn.package_type != "Image":
            return original_send_sqs_batch(self, function_arn, messages, queue_arn)
        records = [_sqs_record(self.region_name, m, queue_arn) for m in messages]
        if not records:
            return True
        _, qualifier = split_function_name(target)
        payload, error = RUNTIME.invoke(fn.function_name, qualifier, json.dumps({"Records": records}))
        if error:
            return False
        try:
            return not json.loads(payload).get("batchItemFailures")
        except (ValueError, AttributeError):
            return False

    def delete_event_source_mapping(self, uuid):
        """Also unhooks the mapping from its queue (moto keeps delivering to
        a deleted mapping otherwise)."""
        esm = original_delete_esm(self, uuid)
        if esm is not None:
            for queue in sqs_backends[self.account_id][self.region_name].queues.values():
                for key, mapped in list(dict.items(queue.lambda_event_source_mappings)):
                    if mapped is esm:
                        del queue.lambda_event_source_mappings[key]
        return esm

    original_function_invoke = LambdaFunction.invoke

    def function_invoke(self, body, request_headers, response_headers):
        """Other paths that run a function directly (InvokeAsync, SNS
        subscriptions...): answered the same way, recorded with the version
        run as the qualifier (null for $LATEST)."""
        if self.package_type != "Image":
            return original_function_invoke(self, body, request_headers, response_headers)
        qualifier = None if str(self.version) == "$LATEST" else str(self.version)
        if host_runtime.enabled():
            backend = host_runtime.lambda_backend(self.account_id, self.region)
            payload, error = host_runtime.invoke(backend, self.function_name, qualifier, _bytes(body))
        else:
            payload, error = RUNTIME.invoke(self.function_name, qualifier, body)
        if error:
            response_headers["X-Amz-Function-Error"] = error
        return payload

    invoke._hover_runtime = True  # type: ignore[attr-defined]
    LambdaBackend.invoke = invoke
    LambdaFunction.invoke = function_invoke
    LambdaBackend.send_sqs_batch = send_sqs_batch
    LambdaBackend.delete_event_source_mapping = delete_event_source_mapping


def _bytes(body: Any) -> bytes:
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    return (body or "").encode("utf-8")


def _log_tail(fn: Any) -> str:
    import uuid

    rid = str(uuid.uuid4())
    text = (f"START RequestId: {rid} Version: {fn.version}\n"
            f"END RequestId: {rid}\n"
            f"REPORT RequestId: {rid}\tDuration: 1.00 ms\tBilled Duration: 1 ms\t"
            f"Memory Size: {fn.memory_size} MB\tMax Memory Used: 64 MB\t\n")
    return _b64(text)


def _sqs_record(region: str, message: Any, queue_arn: str) -> dict:
    import hashlib

    body = message.body
    attributes = {
        "ApproximateReceiveCount": str(getattr(message, "approximate_receive_count", 1) or 1),
        "SentTimestamp": str(getattr(message, "sent_timestamp", "") or ""),
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": str(getattr(message, "approximate_first_receive_timestamp", "") or ""),
    }
    if queue_arn.endswith(".fifo"):
        attributes["MessageGroupId"] = message.group_id
        attributes["MessageDeduplicationId"] = message.deduplication_id
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": body,
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode("utf-8")).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
