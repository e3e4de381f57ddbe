"""The emulator keeps connections alive: one connection serves requests in turn, whatever the
application read of each request's body, and closes when the client asks for it."""
import http.client
import json
import urllib.parse

import pytest


@pytest.fixture
def conn(endpoint):
    url = urllib.parse.urlsplit(endpoint)
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    c.connect()
    try:
        c.request("GET", "/hover-compat/requests")
        first = c.getresponse()
        first.read()
    except (OSError, http.client.HTTPException) as e:
        pytest.skip(f"no request counter on {endpoint}: {e}")
    if first.status != 200:  # e.g. a real LocalStack: not this emulator
        pytest.skip(f"no request counter on {endpoint}")
    assert (first.getheader("Connection") or "").lower() != "close"
    yield c
    c.close()


def _sqs_list(conn, body: bytes, chunked: bool = False):
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    conn.request("POST", "/", body=iter([body]) if chunked else body, headers=headers, encode_chunked=chunked)
    resp = conn.getresponse()
    return resp.status, resp.read()


def test_one_connection_serves_requests_in_turn(conn):
    sock = conn.sock
    for _ in range(3):
        status, body = _sqs_list(conn, b"Action=ListQueues&Version=2012-11-05")
        assert status == 200, body
        assert b"ListQueuesResponse" in body
    # a body the application does not read (a GET of the counter) does not spill into the next request
    conn.request("GET", "/hover-compat/requests", body=b"x" * 5000, headers={"Content-Type": "text/plain"})
    resp = conn.getresponse()
    assert resp.status == 200
    assert "counts" in json.loads(resp.read())
    status, body = _sqs_list(conn, b"Action=ListQueues&Version=2012-11-05", chunked=True)
    assert status == 200, body
    assert b"ListQueuesResponse" in body
    assert conn.sock is sock, "the emulator closed the connection"


def test_closes_when_the_client_asks(conn):
    conn.request("GET", "/hover-compat/requests", headers={"Connection": "close"})
    resp = conn.getresponse()
    assert resp.getheader("Connection", "").lower() == "close"
    resp.read()
    assert conn.sock is None
