"""What invokes functions besides Invoke: queues, EventBridge rules and the HTTP API.

Owns:

* SQS event source mappings in host mode (``HOVER_EMULATOR_RUNTIME=host``):
  moto delivers inline inside ``SendMessage``; here that is switched off and a
  background poller per enabled mapping of an image function receives like
  Lambda does (the mapping's batch size, the queue's visibility timeout,
  receive counts growing, moto's redrive to the dead-letter queue after
  ``maxReceiveCount``), invokes the mapping's target synchronously with the
  SQS event, and deletes the records not listed in ``batchItemFailures`` (a
  function error leaves them all to come back after the visibility timeout).
  A supervisor starts pollers for new mappings and stops those of deleted or
  disabled mappings.
* ``fire_rule``: ``POST /hover-compat/events/fire`` ``{"rule": NAME}``
  (optional ``"region"``, ``"event_bus"``) delivers each Lambda target of the
  rule its ``Input`` (else a Scheduled Event), asynchronously as EventBridge
  does, and answers the targets invoked.
* ``http_request``: ``/hover-compat/http/{api-id}/{path}`` turns an HTTP
  request into an API Gateway HTTP API payload 2.0 event, invokes the function
  of the matching route's AWS_PROXY integration (``$default`` unless a
  ``METHOD /path`` route matches exactly) synchronously, and turns the answer
  back into HTTP as API Gateway does for payload 2.0.

The last two work in both modes: without host mode the runtime stand-in
(``lambda_runtime.py``) answers.
"""
import base64
import json
import logging
import threading
import uuid
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any, Optional
from urllib.parse import parse_qsl

from . import host_runtime

log = logging.getLogger("hover_compat.host_triggers")

DEFAULT_ACCOUNT = "123456789012"
POLL_INTERVAL = 0.15


# --------------------------------------------------------------------------
# invoking a function by name or ARN, in either mode


def invoke(account: str, region: str, function: str, payload: bytes) -> tuple:
    """(answer bytes, function error type or None); raises on an unknown function."""
    from .lambda_runtime import RUNTIME, split_function_name

    backend = host_runtime.lambda_backend(account, region)
    name, qualifier = split_function_name(function)
    fn = backend.get_function(function if function.startswith("arn:") else name, qualifier)
    if fn.package_type != "Image":
        headers: dict = {}
        out = fn.invoke(payload.decode("utf-8"), {}, headers)
        return (out if isinstance(out, bytes) else str(out or "").encode()), headers.get("X-Amz-Function-Error")
    if host_runtime.enabled():
        return host_runtime.invoke(backend, function if function.startswith("arn:") else name, qualifier, payload)
    return RUNTIME.invoke(fn.function_name, qualifier, payload)


# --------------------------------------------------------------------------
# SQS pollers


_suppress = threading.local()


class _Mappings(dict):
    """A queue's mappings; empty to moto's inline delivery inside ``add_message``."""

    def items(self):  # type: ignore[override]
        if getattr(_suppress, "on", False):
            return []
        return super().items()


def _install_sqs() -> None:
    from moto.sqs.models import Queue

    if getattr(Queue.add_message, "_hover_host", False):
        return
    original_init = Queue.__init__
    original_add = Queue.add_message

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.lambda_event_source_mappings = _Mappings(self.lambda_event_source_mappings)

    def add_message(self, message):
        if not host_runtime.enabled():
            return original_add(self, message)
        _suppress.on = True
        try:
            return original_add(self, message)
        finally:
            _suppress.on = False

    add_message._hover_host = True  # type: ignore[attr-defined]
    Queue.__init__ = __init__
    Queue.add_message = add_message


class Poller:
    def __init__(self, account: str, region: str, uuid_: str) -> None:
        self.account, self.region, self.uuid = account, region, uuid_
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=f"sqs-poller-{uuid_[:8]}", daemon=True)

    def _mapping(self):
        backend = host_runtime.lambda_backend(self.account, self.region)
        esm = backend._event_source_mappings.get(self.uuid)
        return esm if esm is not None and esm.enabled else None

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                worked = self._once()
            except Exception as e:  # noqa: BLE001 - a poller keeps polling
                log.warning("poller of mapping %s: %s", self.uuid, e)
                worked = False
            if not worked:
                self.stop.wait(POLL_INTERVAL)

    def _once(self) -> bool:
        from moto.sqs.models import sqs_backends

        from .lambda_runtime import _sqs_record

        esm = self._mapping()
        if esm is None:
            self.stop.set()
            return False
        sqs = sqs_backends[self.account][self.region]
        queue = next((q for q in list(sqs.queues.values()) if q.queue_arn == esm.event_source_arn), None)
        if queue is None:
            return False
        messages = sqs.receive_message(queue.name, int(esm.batch_size or 10), 0, int(queue.visibility_timeout))
        if not messages:
            return False
        records = [_sqs_record(self.region, m, queue.queue_arn) for m in messages]
        try:
            answer, error = invoke(self.account, self.region, esm.function_arn,
                                   json.dumps({"Records": records}).encode())
        except Exception as e:  # noqa: BLE001 - the function is gone: the messages come back later
            log.warning("mapping %s: could not invoke %s: %s", self.uuid, esm.function_arn, e)
            return True
        if error:
            return True  # every message comes back after the visibility timeout
        failed = set()
        reports = "ReportBatchItemFailures" in (esm.function_response_types or [])
        try:
            doc = json.loads(answer or b"null")
        except ValueError:
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("batchItemFailures"), list):
            for item in doc["batchItemFailures"]:
                if isinstance(item, dict):
                    failed.add(item.get("itemIdentifier"))
            if not reports:
                # Without ReportBatchItemFailures Lambda ignores the list: the batch succeeded.
                failed = set()
            elif failed - {m.id for m in messages}:
                return True  # an identifier that is not in the batch: the whole batch failed
        for m in messages:
            if m.id not in failed:
                try:
                    sqs.delete_message(queue.name, m.receipt_handle)
                except Exception as e:  # noqa: BLE001
                    log.warning("mapping %s: could not delete message %s: %s", self.uuid, m.id, e)
        return True


class Supervisor:
    def __init__(self) -> None:
        self.pollers: dict = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread: Optional[threading.Thread] = None

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._loop, name="sqs-supervisor", daemon=True)
            self.thread.start()

    def _loop(self) -> None:
        while not self.stopped.wait(POLL_INTERVAL):
            try:
                self.scan()
            except Exception as e:  # noqa: BLE001
                log.warning("event source mapping scan: %s", e)

    def scan(self) -> None:
        from moto.awslambda.models import lambda_backends

        wanted = set()
        for account, regions in list(lambda_backends.items()):
            for region, backend in list(regions.items()):
                for esm in list(backend._event_source_mappings.values()):
                    if esm.enabled and esm.event_source_arn.split(":")[2] == "sqs":
                        wanted.add((account, region, esm.uuid))
        with self.lock:
            for key in list(self.pollers):
                if key not in wanted or self.pollers[key].stop.is_set():
                    self.pollers.pop(key).stop.set()
            for key in wanted - set(self.pollers):
                poller = Poller(*key)
                self.pollers[key] = poller
                poller.thread.start()

    def shutdown(self) -> None:
        self.stopped.set()
        with self.lock:
            for p in self.pollers.values():
                p.stop.set()
            self.pollers.clear()

    def describe(self) -> list:
        with self.lock:
            return [{"account": k[0], "region": k[1], "uuid": k[2]} for k in self.pollers]


SUPERVISOR = Supervisor()


def install() -> None:
    _install_sqs()


def start() -> None:
    """Host mode: start the mapping supervisor (server.py, after configure)."""
    if host_runtime.enabled():
        SUPERVISOR.start()


# --------------------------------------------------------------------------
# EventBridge rules


class FireError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def fire_rule(spec: Any) -> dict:
    from moto.events.models import events_backends

    if not isinstance(spec, dict) or not isinstance(spec.get("rule"), str) or not spec["rule"]:
        raise FireError(400, 'body: {"rule": NAME} (optional "region", "event_bus", "account")')
    name = spec["rule"]
    account = str(spec.get("account") or DEFAULT_ACCOUNT)
    bus_name = str(spec.get("event_bus") or "default").split("/")[-1]
    regions = [spec["region"]] if spec.get("region") else list(events_backends[account].keys())
    found = []
    for region in regions:
        backend = events_backends[account][region]
        bus = backend.event_buses.get(bus_name)
        if bus is not None and name in bus.rules:
            found.append((region, bus.rules[name]))
    if not found:
        where = spec.get("region") or "any region"
        raise FireError(404, f"rule {name} not found on event bus {bus_name} in {where} of account {account}")
    invoked = []
    for region, rule in found:
        for target in list(rule.targets):
            arn = target.get("Arn", "")
            if ":lambda:" not in arn or ":function:" not in arn:
                invoked.append({"id": target.get("Id"), "arn": arn, "region": region, "invoked": False,
                                "reason": "not a Lambda function"})
                continue
            if target.get("Input") is not None:
                payload = str(target["Input"]).encode()
            else:
                payload = json.dumps({
                    "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                    "source": "aws.events", "account": account,
                    "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "region": region, "resources": [rule.arn], "detail": {},
                }).encode()
            threading.Thread(target=_deliver, args=(account, region, arn, payload), daemon=True).start()
            invoked.append({"id": target.get("Id"), "arn": arn, "region": region, "invoked": True})
    return {"rule": name, "targets": invoked}


def _deliver(account: str, region: str, arn: str, payload: bytes) -> None:
    try:
        invoke(account, region, arn, payload)
    except Exception as e:  # noqa: BLE001
        log.warning("rule target %s: %s", arn, e)


# --------------------------------------------------------------------------
# the HTTP API (payload 2.0)

TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
              "application/ecmascript", "application/x-javascript")


def _is_text(content_type: str) -> bool:
    ct = content_type.split(";")[0].strip().lower()
    return bool(ct) and (ct.startswith(TEXT_TYPES) or ct.endswith("+json") or ct.endswith("+xml"))


def _find_api(api_id: str) -> tuple:
    from moto.apigatewayv2.models import apigatewayv2_backends

    for account, regions in list(apigatewayv2_backends.items()):
        for region, backend in list(regions.items()):
            if api_id in backend.apis:
                return account, region, backend.apis[api_id]
    raise FireError(404, f"HTTP API {api_id} not found")


def _route(api: Any, method: str, path: str) -> Any:
    routes = list(api.routes.values())
    for key in (f"{method} {path}", f"ANY {path}", "$default"):
        for r in routes:
            if r.route_key == key:
                return r
    return None


def _function_of(integration: Any) -> str:
    uri = integration.integration_uri or ""
    if uri.startswith("arn:aws:apigateway:") and "/functions/" in uri:
        uri = uri.split("/functions/", 1)[1].rsplit("/invocations", 1)[0]
    return uri


def build_event(environ: dict, api_id: str, account: str, region: str, route_key: str, path: str) -> dict:
    method = environ.get("REQUEST_METHOD", "GET").upper()
    raw_query = environ.get("QUERY_STRING", "")
    headers: dict = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key.replace("_", "-").lower()
        else:
            continue
        if value == "" and key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            continue
        headers[name] = value
    cookies = []
    if "cookie" in headers:
        cookies = [c.strip() for c in headers.pop("cookie").replace(",", ";").split(";") if c.strip()]
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    headers["host"] = domain
    headers.setdefault("x-forwarded-for", environ.get("REMOTE_ADDR", "127.0.0.1"))
    headers.setdefault("x-forwarded-port", "443")
    headers.setdefault("x-forwarded-proto", "https")
    now = datetime.now(timezone.utc)
    request_id = base64.b32encode(uuid.uuid4().bytes[:10]).decode().rstrip("=")[:14] + "="
    event: dict = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if raw_query:
        params: dict = {}
        for k, v in parse_qsl(raw_query, keep_blank_values=True):
            params[k] = f"{params[k]},{v}" if k in params else v
        event["queryStringParameters"] = params
    event["requestContext"] = {
        "accountId": account,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": api_id,
        "http": {
            "method": method,
            "path": path,
            "protocol": environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "sourceIp": environ.get("REMOTE_ADDR", "127.0.0.1"),
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    body = _read_body(environ)
    if body:
        if _is_text(headers.get("content-type", "")):
            try:
                event["body"] = body.decode("utf-8")
                event["isBase64Encoded"] = False
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(body).decode()
                event["isBase64Encoded"] = True
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


def _read_body(environ: dict) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def http_request(environ: dict, api_id: str, path: str) -> tuple:
    """(status line, [(header, value)...], body bytes) for one request to the HTTP API."""
    try:
        account, region, api = _find_api(api_id)
    except FireError as e:
        return _plain(404, {"message": str(e)})
    method = environ.get("REQUEST_METHOD", "GET").upper()
    route = _route(api, method, path)
    if route is None or not (route.target or "").startswith("integrations/"):
        return _plain(404, {"message": "Not Found"})
    integration = api.integrations.get(route.target.split("/", 1)[1])
    if integration is None or (integration.integration_type or "").upper() != "AWS_PROXY":
        return _plain(500, {"message": "Internal Server Error"})
    event = build_event(environ, api_id, account, region, route.route_key, path)
    request_id = event["requestContext"]["requestId"]
    try:
        answer, error = invoke(account, region, _function_of(integration), json.dumps(event).encode())
    except Exception as e:  # noqa: BLE001 - no such function: what API Gateway answers
        log.warning("HTTP API %s: %s", api_id, e)
        return _plain(500, {"message": "Internal Server Error"}, request_id)
    if error:
        return _plain(500, {"message": "Internal Server Error"}, request_id)
    return to_http(answer, request_id)


def _plain(status: int, doc: dict, request_id: Optional[str] = None) -> tuple:
    body = json.dumps(doc).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if request_id:
        headers.append(("apigw-requestid", request_id))
    return _status(status), headers, body


def _status(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


def to_http(answer: bytes, request_id: str) -> tuple:
    """A function's answer -> HTTP, as API Gateway maps payload 2.0 responses."""
    try:
        doc = json.loads(answer or b"")
    except ValueError:
        return _plain(500, {"message": "Internal Server Error"}, request_id)
    if not isinstance(doc, dict) or "statusCode" not in doc:
        body = answer if isinstance(doc, (dict, list)) else json.dumps(doc).encode() if not isinstance(doc, str) else doc.encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                   ("apigw-requestid", request_id)]
        return _status(200), headers, body
    try:
        status = int(doc["statusCode"])
    except (TypeError, ValueError):
        return _plain(500, {"message": "Internal Server Error"}, request_id)
    headers = []
    for k, v in (doc.get("headers") or {}).items():
        if k.lower() in ("content-length", "transfer-encoding", "connection"):
            continue
        headers.append((str(k), v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list)) else str(v).lower() if isinstance(v, bool) else str(v)))
    for cookie in doc.get("cookies") or []:
        headers.append(("Set-Cookie", str(cookie)))
    body = doc.get("body")
    if body is None:
        data = b""
    elif doc.get("isBase64Encoded"):
        try:
            data = base64.b64decode(str(body))
        except ValueError:
            return _plain(500, {"message": "Internal Server Error"}, request_id)
    else:
        data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    headers.append(("Content-Length", str(len(data))))
    headers.append(("apigw-requestid", request_id))
    return _status(status), headers, data


def shutdown() -> None:
    SUPERVISOR.shutdown()
