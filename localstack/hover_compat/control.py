"""Test endpoints of the runtime stand-in (a WSGI middleware, like the request counter).

    POST /hover-compat/lambda/responses    body: a rule (see lambda_runtime.py)
                                           -> {"rules": [every rule in force]}
    POST /hover-compat/lambda/reset        clears the rules and the record
                                           -> {"rules": N, "invocations": N} (how many were cleared)
    GET  /hover-compat/lambda/invocations  -> [{"function", "qualifier", "payload"}, ...] in order
                                           (``?function=NAME`` keeps one function's)

``POST /moto-api/reset`` (moto's own reset) also clears them, and empties the
local registry (``ecr_registry.py``) so that ECR and the registry start over
together.
"""
import json
from typing import Callable, Iterable
from urllib.parse import parse_qs

from .lambda_runtime import RUNTIME, RuleError

PREFIX = "/hover-compat/lambda"
RESPONSES = PREFIX + "/responses"
RESET = PREFIX + "/reset"
INVOCATIONS = PREFIX + "/invocations"
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
        else:
            status = "404 Not Found"
            body = {"message": f"POST {RESPONSES}, POST {RESET} or GET {INVOCATIONS}"}
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


def reset_all() -> None:
    RUNTIME.reset()
    from . import ecr_registry

    ecr_registry.wipe()


def _read(environ: dict) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    return environ["wsgi.input"].read(min(length, _MAX_BODY))
