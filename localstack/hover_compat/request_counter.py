"""Request counter: a WSGI middleware around moto's server application.

Not a mend: a test aid. Every request the emulator receives is counted under
``service:Action``; the counts are served as JSON so a test can assert which
calls a command made (e.g. that a no-op deploy made no CloudFormation write).

    GET  /hover-compat/requests        -> {"counts": {"cloudformation:DescribeStacks": 2, ...},
                                           "total": 2, "since": "2026-01-01T00:00:00Z"}
    POST /hover-compat/requests/reset  -> the counts up to now (same shape), then zeroes them

How a request is named:

* service: the signing name in the SigV4 credential scope of the
  ``Authorization`` header (``cloudformation``, ``lambda``, ``sqs``, ``s3``,
  ``apigateway``...), else the ``X-Amz-Target`` prefix, else ``unknown``;
* action: the ``X-Amz-Target`` operation (JSON protocols), else the
  ``Action`` parameter of the query string or form body (query protocols:
  CloudFormation, IAM, STS, SQS-query), else the operation whose HTTP method
  and URI template match the request in the botocore model of the service
  (REST protocols: Lambda, S3, CloudFront, API Gateway), else the HTTP method.

moto's own ``/moto-api`` calls and the ``/hover-compat/`` endpoints are not counted.
"""
import io
import json
import re
import threading
import time
from collections import Counter
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

PATH = "/hover-compat/requests"
RESET_PATH = PATH + "/reset"

_DATE_SUFFIX = re.compile(r"\d{4}_\d{2}_\d{2}$")  # CloudFront: ListDistributions2020_05_31
_MAX_FORM_BODY = 10 * 1024 * 1024


class RequestCounter:
    """WSGI middleware counting requests per ``service:Action``."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._since = time.time()
        self._routers: dict = {}

    # -- the endpoint -------------------------------------------------------

    def snapshot(self, reset: bool = False) -> dict:
        with self._lock:
            counts = dict(sorted(self._counts.items()))
            since = self._since
            if reset:
                self._counts.clear()
                self._since = time.time()
        return {
            "counts": counts,
            "total": sum(counts.values()),
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since)),
        }

    def _serve(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "")
        if path == RESET_PATH and method == "POST":
            status, body = "200 OK", self.snapshot(reset=True)
        elif path == PATH and method == "GET":
            status, body = "200 OK", self.snapshot()
        else:
            status, body = "405 Method Not Allowed", {"message": f"GET {PATH} or POST {RESET_PATH}"}
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    # -- counting -----------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in (PATH, RESET_PATH):
            return self._serve(environ, start_response)
        if not path.startswith(("/moto-api", "/hover-compat/")):
            try:
                key = self.name(environ)
            except Exception:  # never let counting break a request
                key = "unknown:unknown"
            with self._lock:
                self._counts[key] += 1
        return self.app(environ, start_response)

    def name(self, environ: dict) -> str:
        service = _signing_service(environ)
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            prefix, _, operation = target.rpartition(".")
            return f"{service or prefix.lower() or 'unknown'}:{operation}"
        action = _query_action(environ)
        if action:
            return f"{service or 'unknown'}:{action}"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if service:
            operation = self._rest_operation(service, environ)
            if operation:
                return f"{_rest_service_name(service, environ)}:{operation}"
        return f"{service or 'unknown'}:{method}"

    def _rest_operation(self, service: str, environ: dict) -> Any:
        """The operation of a REST request, matched on method + URI by moto's router."""
        from moto.core.request import Request

        name = _rest_service_name(service, environ)
        router = self._routers.get(name)
        if router is None:
            from moto.core.routing import get_service_router

            try:
                router = get_service_router(name)
            except Exception:
                router = False
            self._routers[name] = router
        if not router:
            return None
        # Match on a copy without the body: the request must reach moto untouched.
        bare = dict(environ)
        bare["wsgi.input"] = io.BytesIO(b"")
        bare["CONTENT_LENGTH"] = "0"
        try:
            operation, _ = router.match(Request(bare))
        except Exception:
            return None
        return _DATE_SUFFIX.sub("", operation.name)


def _signing_service(environ: dict) -> Any:
    auth = environ.get("HTTP_AUTHORIZATION") or ""
    match = re.search(r"Credential=[^/,\s]+/\d+/[^/]+/([^/]+)/aws4_request", auth)
    return match.group(1).lower() if match else None


def _rest_service_name(service: str, environ: dict) -> str:
    """Signing name -> botocore service name, where they differ."""
    if service == "apigateway" and environ.get("PATH_INFO", "").startswith("/v2/"):
        return "apigatewayv2"
    return service


def _query_action(environ: dict) -> Any:
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if action:
        return action[0]
    if not (environ.get("CONTENT_TYPE") or "").startswith("application/x-www-form-urlencoded"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= _MAX_FORM_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)  # put the body back for moto
    action = parse_qs(body.decode("utf-8", "replace")).get("Action")
    return action[0] if action else None


def make_server_class(request_handler=None):
    """moto's ThreadedMotoServer with its application behind Live Tail (``live_tail.LiveTail``), wrapped in a RequestCounter,
    itself behind the runtime stand-in's endpoints (``control.Control``); its connections are
    served by ``request_handler`` (moto's own by default)."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from .control import Control
    from .live_tail import LiveTail

    handler = request_handler or MotoRequestHandler

    class CountingMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:  # same as moto 5.2.5's, plus the middleware
            # Live Tail streams its answer, which moto's responses cannot: it sits in front of moto.
            self.counter = RequestCounter(LiveTail(DomainDispatcherApplication(create_backend_app)))
            app = Control(self.counter)
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=handler)
            self._server_ready_event.set()
            self._server.serve_forever()

    return CountingMotoServer
