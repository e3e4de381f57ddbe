# Secrets at init: both file formats decrypted with KMS, dotenv parsed, manifest variables win, init errors without values.
import base64
import json
import os
from pathlib import Path
import shutil
import time

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conftest import FakeAws, php

PLAIN = b"""# the stage's secrets
HOVER_TEST_SECRET=s3cr3t-value-123
export HOVER_EXPORTED="double \\"quoted\\"\\nnext line"
HOVER_SINGLE='single $NOT_EXPANDED # not a comment'
HOVER_MANIFEST_WINS=from-secrets
HOVER_COMMENTED=value # trailing comment

HOVER_EMPTY=
"""


def v1(plain, stage="shop-dev", key=None):
    key = key or os.urandom(32)
    nonce = os.urandom(12)
    data = AESGCM(key).encrypt(nonce, plain, stage.encode())
    b = lambda x: base64.b64encode(x).decode()
    return f"hover-secrets/1\nstage: {stage}\nkey: {b(FakeAws.KMS_PREFIX + key)}\nnonce: {b(nonce)}\ndata: {b(data)}\n"


def original(plain, blob_prefix=FakeAws.KMS_PREFIX):
    key = os.urandom(16).hex().encode()  # 32 ASCII hex characters used as the key bytes
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ct = enc.update(padder.update(plain) + padder.finalize()) + enc.finalize()
    return f"{ct.hex()}------{(blob_prefix + key).hex()}------{iv.hex()}"


@pytest.fixture(scope="module")
def staged_runtime(sandbox):
    target = sandbox / "runtime-with-build"
    if not target.exists():
        shutil.copytree(sandbox / "runtime", target)
        (target / "build.json").write_text(json.dumps(
            {"build_id": "b-123", "stage": "dev", "name": "shop-dev", "hover_version": "0.1.0"}))
    return target


def app_with(sandbox, tmp_path, secrets):
    root = tmp_path / "app"
    shutil.copytree(sandbox / "app", root)
    if secrets is not None:
        (root / ".hover").mkdir()
        (root / ".hover" / "secrets.env").write_text(secrets)
    return root


def echo_env(rt):
    ev = {"version": "2.0", "rawPath": "/echo", "rawQueryString": "", "headers": {"host": "x"},
          "requestContext": {"http": {"method": "GET", "sourceIp": "1.1.1.1"}}, "isBase64Encoded": False}
    kind, answer = rt.invoke(ev)
    assert kind == "response", answer
    return json.loads(answer["body"])["server"]


@pytest.mark.parametrize("fmt", [v1, original])
def test_both_formats_load_and_the_manifest_wins(runtime, sandbox, staged_runtime, tmp_path, fake_aws, fmt):
    root = app_with(sandbox, tmp_path, fmt(PLAIN))
    n = len(fake_aws.of("Decrypt"))
    rt = runtime("shop-dev-http", runtime_dir=staged_runtime, task_root=root,
                 env={"AWS_ENDPOINT_URL_KMS": fake_aws.url, "HOVER_MANIFEST_WINS": "from-manifest"})
    env = echo_env(rt)
    assert env["HOVER_TEST_SECRET"] == "s3cr3t-value-123"
    assert env["HOVER_EXPORTED"] == 'double "quoted"\nnext line'
    assert env["HOVER_SINGLE"] == "single $NOT_EXPANDED # not a comment"
    assert env["HOVER_COMMENTED"] == "value"
    assert env["HOVER_EMPTY"] == ""
    assert env["HOVER_MANIFEST_WINS"] == "from-manifest"
    calls = fake_aws.of("Decrypt")[n:]
    assert len(calls) == 1
    assert calls[0]["headers"]["x-amz-target"] == "TrentService.Decrypt"
    assert calls[0]["headers"]["content-type"] == "application/x-amz-json-1.1"
    assert "/us-east-1/kms/aws4_request" in calls[0]["headers"]["authorization"]
    assert "hover runtime 0.1.0 build b-123 role http" in rt.output()
    assert "s3cr3t" not in rt.output()


def wait_init_error(rt):
    assert rt.api.wait_for(lambda: rt.api.init_errors, 10), rt.output()
    assert rt.proc.wait(timeout=10) == 1
    headers, error = rt.api.init_errors[0]
    assert headers["Lambda-Runtime-Function-Error-Type"] == error["errorType"]
    assert error["stackTrace"] == []
    assert not rt.api.next_calls, "the runtime asked for an event after an init error"
    return error


@pytest.mark.parametrize("fmt", [v1, original])
def test_kms_refusal_is_an_init_error_without_values(runtime, sandbox, staged_runtime, tmp_path, fake_aws, fmt):
    fake_aws.fail["Decrypt"] = (400, {"__type": "AccessDeniedException", "message": "The ciphertext refers to a key you cannot use"})
    try:
        root = app_with(sandbox, tmp_path, fmt(PLAIN))
        rt = runtime("shop-dev-cli", runtime_dir=staged_runtime, task_root=root, env={"AWS_ENDPOINT_URL": fake_aws.url})
        error = wait_init_error(rt)
    finally:
        del fake_aws.fail["Decrypt"]
    assert error["errorType"] == "Hover.SecretsError"
    assert error["errorMessage"] == (".hover/secrets.env: KMS cannot decrypt its data key: AccessDeniedException: "
                                     "The ciphertext refers to a key you cannot use")
    assert "s3cr3t" not in rt.output()


def test_tampered_file_is_an_init_error(runtime, sandbox, staged_runtime, tmp_path, fake_aws):
    text = v1(PLAIN).splitlines()
    data = bytearray(base64.b64decode(text[4].split(": ")[1]))
    data[3] ^= 1
    text[4] = "data: " + base64.b64encode(bytes(data)).decode()
    root = app_with(sandbox, tmp_path, "\n".join(text))
    rt = runtime("shop-dev-http", runtime_dir=staged_runtime, task_root=root, env={"AWS_ENDPOINT_URL": fake_aws.url})
    error = wait_init_error(rt)
    assert error["errorType"] == "Hover.SecretsError"
    assert "does not decrypt" in error["errorMessage"]
    assert "s3cr3t" not in json.dumps(error) + rt.output()


def test_other_stage_is_an_init_error(runtime, sandbox, staged_runtime, tmp_path, fake_aws):
    root = app_with(sandbox, tmp_path, v1(PLAIN, stage="shop-prod"))
    rt = runtime("shop-dev-http", runtime_dir=staged_runtime, task_root=root, env={"AWS_ENDPOINT_URL": fake_aws.url})
    error = wait_init_error(rt)
    assert "holds the secrets of stage `shop-prod`, not of `shop-dev`" in error["errorMessage"]


def test_garbage_file_is_an_init_error(runtime, sandbox, staged_runtime, tmp_path, fake_aws):
    root = app_with(sandbox, tmp_path, "SECRET=plain-text-by-mistake\n")
    rt = runtime("shop-dev-queue", runtime_dir=staged_runtime, task_root=root, env={"AWS_ENDPOINT_URL": fake_aws.url})
    error = wait_init_error(rt)
    assert "not a hover secrets file" in error["errorMessage"]
    assert "plain-text-by-mistake" not in error["errorMessage"]


def test_bad_dotenv_line_names_the_line_not_the_value(runtime, sandbox, staged_runtime, tmp_path, fake_aws):
    root = app_with(sandbox, tmp_path, v1(b"GOOD=1\nthis line holds s3cr3t\n"))
    rt = runtime("shop-dev-http", runtime_dir=staged_runtime, task_root=root, env={"AWS_ENDPOINT_URL": fake_aws.url})
    error = wait_init_error(rt)
    assert "line 2 is not KEY=VALUE" in error["errorMessage"]
    assert "s3cr3t" not in json.dumps(error) + rt.output()


@pytest.mark.parametrize("secrets", [None, "", "\n"])
def test_missing_or_empty_file_means_no_secrets(runtime, sandbox, staged_runtime, tmp_path, secrets):
    root = app_with(sandbox, tmp_path, secrets)
    rt = runtime("shop-dev-http", runtime_dir=staged_runtime, task_root=root, env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert "HOVER_TEST_SECRET" not in echo_env(rt)


def test_wrong_role_is_an_init_error(runtime):
    rt = runtime("shop-dev-worker")
    error = wait_init_error(rt)
    assert error["errorType"] == "Hover.ConfigError"
    assert "shop-dev-worker" in error["errorMessage"] and "-http, -cli, -queue" in error["errorMessage"]


def test_storage_and_defaults(runtime):
    rt = runtime("shop-dev-http", env={"LOG_CHANNEL": "custom"})
    env = echo_env(rt)
    assert env["APP_STORAGE"] == "/tmp/storage"
    assert env["VIEW_COMPILED_PATH"] == "/tmp/storage/framework/views"
    assert env["APP_CONFIG_CACHE"] == "/tmp/storage/bootstrap/cache/config.php"
    assert env["APP_ROUTES_CACHE"].startswith("/tmp/storage/bootstrap/cache/")
    assert env["LOG_CHANNEL"] == "custom"
    for d in ["app/public", "framework/cache/data", "framework/sessions", "framework/views", "logs", "bootstrap/cache"]:
        assert os.path.isdir("/tmp/storage/" + d)


def test_the_image_s_route_and_package_caches_are_used_from_a_writable_copy(runtime, sandbox, tmp_path):
    root = tmp_path / "app"
    shutil.copytree(sandbox / "app", root)
    cache = root / "bootstrap" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    token = os.urandom(8).hex()
    (cache / "routes-v7.php").write_text(f"<?php // routes {token}\n")
    (cache / "config.php").write_text(f"<?php return ['built' => '{token}'];\n")
    rt = runtime("shop-dev-http", task_root=root)
    env = echo_env(rt)
    copied = Path(env["APP_ROUTES_CACHE"])
    assert copied.parent.parent == Path("/tmp/storage/bootstrap/cache")
    assert copied.read_text() == f"<?php // routes {token}\n"
    # Another application (another task root) on the same /tmp does not see this one's caches.
    other = runtime("shop-dev-http")
    theirs = Path(echo_env(other)["APP_ROUTES_CACHE"])
    assert theirs.parent != copied.parent and not theirs.exists()
    # The configuration is read at cold start (secrets included), never taken from the build.
    config = Path(env["APP_CONFIG_CACHE"])
    assert not config.exists() or token not in config.read_text()


@pytest.mark.parametrize("text,expected", [
    ("A=1\r\nB=2", {"A": "1", "B": "2"}),
    ('M="line1\nline2"\nN=3', {"M": "line1\nline2", "N": "3"}),
    ("  export  X = spaced  ", {"X": "spaced"}),
    ("P=#notcomment", {"P": "#notcomment"}),
    ("Q='a\\nb'", {"Q": "a\\nb"}),
    ("R=\"tab\\there\"", {"R": "tab\there"}),
    ("S=a=b=c", {"S": "a=b=c"}),
    ("DOT.KEY=1", {"DOT.KEY": "1"}),
])
def test_dotenv(text, expected):
    assert php("dotenv", text) == {"ok": expected}


@pytest.mark.parametrize("text,why", [
    ("1A=x", "line 1 is not KEY=VALUE"),
    ("A=1\nB='open", "line 2 opens a ' quote that is never closed"),
    ('A="x" y', "line 1 has text after the closing quote"),
])
def test_dotenv_errors(text, why):
    assert php("dotenv", text) == {"error": "InvalidArgumentException", "message": why}
