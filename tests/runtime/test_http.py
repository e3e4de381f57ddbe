# The http role: payload 2.0 to php-fpm and back (query, headers, cookies, bodies, status), deadline, FPM restarts.
import base64
import hashlib
import json
import time

import pytest


def event(path="/echo", method="GET", query="", headers=None, cookies=None, body=None, b64=False, ip="203.0.113.9"):
    ev = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "app.example.com", "user-agent": "pytest"} | (headers or {}),
        "requestContext": {
            "domainName": "app.example.com",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": ip, "userAgent": "pytest"},
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": b64,
    }
    if cookies is not None:
        ev["cookies"] = cookies
    if body is not None:
        ev["body"] = body
    return ev


@pytest.fixture(scope="module")
def http(runtimes):
    return runtimes("shop-dev-http")


def ok(rt, ev, **kw):
    kind, answer = rt.invoke(ev, **kw)
    assert kind == "response", answer
    return answer


def echo(rt, ev):
    answer = ok(rt, ev)
    assert answer["statusCode"] == 200, answer
    assert answer["isBase64Encoded"] is False
    return json.loads(answer["body"])


def test_raw_query_string_arrives_unchanged(http):
    got = echo(http, event(query="a[]=1&a[]=2&b=%20&c=%2B+x&empty"))
    assert got["server"]["QUERY_STRING"] == "a[]=1&a[]=2&b=%20&c=%2B+x&empty"
    assert got["server"]["REQUEST_URI"] == "/echo?a[]=1&a[]=2&b=%20&c=%2B+x&empty"
    assert got["get"] == {"a": ["1", "2"], "b": " ", "c": "+ x", "empty": ""}


def test_no_query_string(http):
    got = echo(http, event(path="/echo/deeper"))
    assert got["server"]["REQUEST_URI"] == "/echo/deeper"
    assert got["server"]["QUERY_STRING"] == ""


def test_cgi_variables(http, sandbox):
    got = echo(http, event(method="PUT", headers={"x-forwarded-proto": "https", "x-forwarded-port": "443",
                                                   "x-forwarded-for": "198.51.100.1, 10.0.0.1"}))
    s = got["server"]
    root = str(sandbox / "app")
    assert s["REQUEST_METHOD"] == "PUT"
    assert s["SCRIPT_FILENAME"] == root + "/public/index.php"
    assert s["DOCUMENT_ROOT"] == root + "/public"
    assert s["SCRIPT_NAME"] == "/index.php"
    assert s["SERVER_NAME"] == "app.example.com"
    assert s["SERVER_PORT"] == "443"
    assert s["HTTPS"] == "on"
    assert s["REMOTE_ADDR"] == "203.0.113.9"
    assert s["HTTP_X_FORWARDED_FOR"] == "198.51.100.1, 10.0.0.1"
    assert s["HTTP_X_FORWARDED_PROTO"] == "https"
    assert s["SERVER_PROTOCOL"] == "HTTP/1.1"


def test_plain_http_has_no_https_flag(http):
    s = echo(http, event(headers={"x-forwarded-proto": "http"}))["server"]
    assert "HTTPS" not in s
    assert s["SERVER_PORT"] == "80"


def test_every_header_arrives(http):
    headers = {"x-one": "1", "x-two": "a, b", "accept": "text/html", "x-with-dash-es": "ok",
               "authorization": "Bearer abc", "content-type": "application/x-www-form-urlencoded"}
    got = echo(http, event(method="POST", headers=headers, body="k=v&list[]=1"))
    received = {k.lower(): v for k, v in got["headers"].items()}
    for k, v in headers.items():
        assert received[k] == v, k
    assert received["content-length"] == str(len("k=v&list[]=1"))
    assert got["post"] == {"k": "v", "list": ["1"]}


def test_cookies_array_becomes_one_cookie_header(http):
    got = echo(http, event(cookies=["a=1", "b=two words", "c=%3D"]))
    assert got["server"]["HTTP_COOKIE"] == "a=1; b=two words; c=%3D"
    assert got["cookies"] == {"a": "1", "b": "two words", "c": "="}


def test_text_body_and_binary_body_in(http):
    got = echo(http, event(method="POST", body="plain body ü", headers={"content-type": "text/plain"}))
    assert base64.b64decode(got["body_b64"]).decode() == "plain body ü"
    raw = bytes(range(256)) * 3
    got = echo(http, event(method="POST", body=base64.b64encode(raw).decode(), b64=True,
                           headers={"content-type": "application/octet-stream"}))
    assert base64.b64decode(got["body_b64"]) == raw


def test_large_body_in(http):
    raw = bytes(i % 251 for i in range(1_500_000))
    answer = ok(http, event(path="/binary", method="POST", body=base64.b64encode(raw).decode(), b64=True))
    out = base64.b64decode(answer["body"])
    assert out[:32] == hashlib.sha256(raw).digest()


def test_binary_body_out(http):
    answer = ok(http, event(path="/binary", method="POST", body="x"))
    assert answer["isBase64Encoded"] is True
    assert answer["headers"]["content-type"] == "application/octet-stream"
    out = base64.b64decode(answer["body"])
    assert out == hashlib.sha256(b"x").digest() + bytes(range(256))


def test_set_cookie_twice_and_repeated_headers(http):
    answer = ok(http, event(path="/cookies"))
    assert answer["cookies"] == ["first=one; path=/", "second=two%3B%20with%20spaces; HttpOnly"]
    assert answer["headers"]["x-multi"] == "a, b"
    assert "set-cookie" not in answer["headers"]
    assert answer["body"] == "cookies set"
    assert answer["isBase64Encoded"] is False


@pytest.mark.parametrize("code", [201, 204, 301, 404, 418, 500, 503])
def test_status_codes(http, code):
    answer = ok(http, event(path=f"/status/{code}"))
    assert answer["statusCode"] == code


def test_redirect_status_from_location(http):
    answer = ok(http, event(path="/redirect"))
    assert answer["statusCode"] == 302
    assert answer["headers"]["location"] == "/elsewhere"


def test_application_stderr_goes_to_the_log(http):
    ok(http, event(path="/stderr"))
    deadline = time.time() + 5
    while "a line from the application" not in http.output() and time.time() < deadline:
        time.sleep(0.05)
    assert "a line from the application" in http.output()


def test_deadline_answers_an_error_then_serves_the_next_request(runtime):
    rt = runtime("shop-dev-http")
    assert ok(rt, event(path="/status/200"))["statusCode"] == 200
    started = time.time()
    kind, answer = rt.invoke(event(path="/sleep/10"), timeout=2.5)
    took = time.time() - started
    assert kind == "error", answer
    assert answer["errorType"] == "Hover.HttpTimeout"
    assert "/sleep/10" in answer["errorMessage"] and "2 s" in answer["errorMessage"], answer
    assert 1.2 <= took < 2.5, took
    got = echo(rt, event(query="after=timeout"))
    assert got["get"] == {"after": "timeout"}
    # and the restarted FPM keeps serving
    for _ in range(3):
        assert ok(rt, event(path="/status/204"))["statusCode"] == 204


def test_fpm_dying_is_survived(runtime):
    import os
    import signal
    from conftest import marked
    rt = runtime("shop-dev-http")
    assert ok(rt, event(path="/status/200"))["statusCode"] == 200
    masters = [p for p in marked(rt.mark, rt.proc.pid) if b"php-fpm: master" in open(f"/proc/{p}/cmdline", "rb").read()]
    assert len(masters) == 1, "no php-fpm master started by the runtime"
    assert int(open(f"/tmp/hover-fpm-{rt.proc.pid}/php-fpm.pid").read()) == masters[0]
    os.killpg(os.getpgid(masters[0]), signal.SIGKILL)
    time.sleep(0.2)
    kind, answer = rt.invoke(event(path="/status/201"))
    if kind == "error":  # the request that met a dead FPM may fail; the next one is served
        kind, answer = rt.invoke(event(path="/status/201"))
    assert kind == "response" and answer["statusCode"] == 201, answer


def test_more_than_max_requests(http):
    for i in range(260):
        assert ok(http, event(path="/status/200"))["statusCode"] == 200


def test_unsupported_event_is_an_invocation_error_and_the_loop_goes_on(http):
    kind, answer = http.invoke({"hello": "world"})
    assert kind == "error"
    assert answer["errorType"] == "Hover.UnsupportedEvent"
    kind, answer = http.invoke(b"not json")
    assert kind == "error" and answer["errorType"] == "Hover.BadEvent"
    assert ok(http, event(path="/status/202"))["statusCode"] == 202


def test_runtime_logs_its_build_line(http):
    assert "hover runtime unknown build unknown role http" in http.output()
