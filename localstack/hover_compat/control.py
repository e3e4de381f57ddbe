"""Test endpoints of the runtime stand-in and of host mode (a WSGI middleware, like the request counter).

    POST /hover-compat/lambda/responses    body: a rule (see lambda_runtime.py)
                                           -> {"rules": [every rule in force]}
    POST /hover-compat/lambda/reset        clears the rules and the record
                                           -> {"rules": N, "invocations": N} (how many were cleared)
    GET  /hover-compat/lambda/invocations  -> [{"function", "qualifier", "payload"}, ...] in order
                                           (``?function=NAME`` keeps one function's)

    GET  /hover-compat/lambda/containers   -> [{"function", "version", "region", "id", "pid", "state"
                                           (starting|idle|busy), "invocations", "started_at"}, ...]
                                           (always [] with the stand-in)
    POST /hover-compat/lambda/containers/stop  body {"function": NAME, "region"?: R} -> {"stopped": N}
                                           (every container of the function: the next invocation
                                           starts cold)
    GET  /hover-compat/lambda/mode         -> {"mode": "host" | "stand-in", "pollers": [...]}
    POST /hover-compat/events/fire         body {"rule": NAME, "region"?: R} -> {"rule", "targets": [...]}
    ANY  /hover-compat/http/{api-id}/{path} -> the HTTP API's answer (payload 2.0, see host_triggers.py)

``POST /moto-api/reset`` (moto's own reset) also clears them, stops every
container (host mode), and empties the local registry (``ecr_registry.py``) so
that ECR and the registry start over together.
"""
import json
from typing import Callable, Iterable
from urllib.parse import parse_qs

from . import host_runtime, host_triggers
from .lambda_runtime import RUNTIME, RuleError

PREFIX = "/hover-compat/lambda"
RESPONSES = PREFIX + "/responses"
RESET = PREFIX + "/reset"
INVOCATIONS = PREFIX + "/invocations"
CONTAINERS = PREFIX + "/containers"
CONTAINERS_STOP = CONTAINERS + "/stop"
MODE = PREFIX + "/mode"
FIRE = "/hover-compat/events/fire"
HTTP = "/hover-compat/http/"
MOTO_RESET = "/moto-api/reset"
_MAX_BODY = 1024 * 1024


class Control:
    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith(PREFIX):
            return self._serve(path, method, environ, start_response)
        if path == FIRE:
            return self._fire(method, environ, start_response)
        if path.startswith(HTTP):
            api_id, _, rest = path[len(HTTP):].partition("/")
            # PATH_INFO is percent-decoded by the server; API Gateway's rawPath keeps the encoding.
            raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
            if raw:
                raw_path = raw.split("?", 1)[0]
                raw_rest = raw_path[len(HTTP) + len(api_id):] if raw_path.startswith(HTTP + api_id) else "/" + rest
                rest_path = raw_rest or "/"
            else:
                rest_path = "/" + rest
            status, headers, body = host_triggers.http_request(environ, api_id, rest_path)
            start_response(status, headers)
            return [body]
        if path == MOTO_RESET and method == "POST":
            result = self.app(environ, start_response)
            reset_all()
            return result
        return self.app(environ, start_response)

    def _serve(self, path: str, method: str, environ: dict, start_response: Callable) -> Iterable[bytes]:
        status, body = "200 OK", None
        if path == RESPONSES and method == "POST":
            try:
                body = RUNTIME.add_rule(json.loads(_read(environ) or b"null"))
            except (ValueError, RuleError) as e:
                status, body = "400 Bad Request", {"message": f"bad rule: {e}"}
        elif path == RESET and method == "POST":
            body = RUNTIME.reset()
        elif path == INVOCATIONS and method == "GET":
            function = parse_qs(environ.get("QUERY_STRING", "")).get("function", [None])[0]
            body = RUNTIME.invocations(function)
        elif path == CONTAINERS and method == "GET":
            body = host_runtime.MANAGER.containers()
        elif path == CONTAINERS_STOP and method == "POST":
            try:
                spec = json.loads(_read(environ) or b"null")
                if not isinstance(spec, dict) or not isinstance(spec.get("function"), str):
                    raise ValueError('"function" (a function name) is required')
                body = {"stopped": host_runtime.stop_function(spec["function"], spec.get("region"))}
            except ValueError as e:
                status, body = "400 Bad Request", {"message": f"bad body: {e}"}
        elif path == MODE and method == "GET":
            body = {"mode": "host" if host_runtime.enabled() else "stand-in",
                    "pollers": host_triggers.SUPERVISOR.describe()}
        else:
            status = "404 Not Found"
            body = {"message": f"POST {RESPONSES}, POST {RESET}, GET {INVOCATIONS}, GET {CONTAINERS}, POST {CONTAINERS_STOP} or GET {MODE}"}
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


    def _fire(self, method: str, environ: dict, start_response: Callable) -> Iterable[bytes]:
        status = "200 OK"
        if method != "POST":
            status, body = "405 Method Not Allowed", {"message": f"POST {FIRE}"}
        else:
            try:
                body = host_triggers.fire_rule(json.loads(_read(environ) or b"null"))
            except ValueError as e:
                status, body = "400 Bad Request", {"message": f"bad body: {e}"}
            except host_triggers.FireError as e:
                status, body = f"{e.status} {'Not Found' if e.status == 404 else 'Bad Request'}", {"message": str(e)}
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


def reset_all() -> None:
    RUNTIME.reset()
    host_runtime.reset()
    from . import ecr_registry, live_tail

    live_tail.reset()

    ecr_registry.wipe()


def _read(environ: dict) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    return environ["wsgi.input"].read(min(length, _MAX_BODY))
