"""ECR in front of the local registry: the token, pushes seen by ECR, deletions."""
import base64
import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _token(aws) -> tuple:
    data = aws("ecr").get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
    return user, password, data


def _get(url: str, auth=None, method: str = "GET", data=None, headers=None) -> tuple:
    req = urllib.request.Request(url, method=method, data=data)
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture
def repository(aws):
    name = f"reg-{uuid.uuid4().hex[:8]}"
    aws("ecr").create_repository(repositoryName=name)
    yield name
    try:
        aws("ecr").delete_repository(repositoryName=name, force=True)
    except aws("ecr").exceptions.RepositoryNotFoundException:
        pass


def _push_manifest(base: str, auth: tuple, name: str, tags: list, content: bytes) -> str:
    """Push a one-layer image through the registry API; returns its manifest digest."""
    def blob(data: bytes) -> dict:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        status, headers, body = _get(f"{base}/v2/{name}/blobs/uploads/", auth, "POST", b"")
        assert status == 202, (status, body)
        location = {k.lower(): v for k, v in headers.items()}["location"]
        url = (location if location.startswith("http") else base + location)
        url += ("&" if "?" in url else "?") + f"digest={digest}"
        status, _, body = _get(url, auth, "PUT", data, {"Content-Type": "application/octet-stream"})
        assert status == 201, (status, body)
        return {"digest": digest, "size": len(data)}

    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    cfg, layer = blob(config), blob(content)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **cfg},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **layer}],
    }).encode()
    for tag in tags:
        status, headers, body = _get(f"{base}/v2/{name}/manifests/{tag}", auth, "PUT", manifest,
                                     {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        assert status == 201, (status, body)
    return "sha256:" + hashlib.sha256(manifest).hexdigest()


def _registry_tags(base: str, auth: tuple, name: str) -> list:
    status, _, body = _get(f"{base}/v2/{name}/tags/list", auth)
    return sorted(json.loads(body).get("tags") or []) if status == 200 else []


def test_start_exports_the_registry(registry_address):
    host, port = registry_address.split(":")
    assert host == "127.0.0.1" and port.isdigit()


def test_the_registry_demands_the_ecr_token(aws, registry_address):
    user, password, data = _token(aws)
    assert user == "AWS"
    assert data["proxyEndpoint"] == f"http://{registry_address}"
    import datetime
    assert data["expiresAt"] > datetime.datetime.now(datetime.timezone.utc), data["expiresAt"]
    url = f"http://{registry_address}/v2/"
    assert _get(url)[0] == 401
    assert _get(url, ("AWS", password + "x"))[0] == 401
    assert _get(url, ("AWS", "test"))[0] == 401
    assert _get(url, ("someone", password))[0] == 401
    assert _get(url, ("AWS", password))[0] == 200


def test_pushed_image_is_seen_by_ecr(aws, registry_address, repository, buildah, tmp_path):
    ecr = aws("ecr")
    user, password, data = _token(aws)
    host = data["proxyEndpoint"].split("://", 1)[1]
    (tmp_path / "hello.txt").write_text("hello\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\nCMD [\"/hello\"]\n")
    image = f"{host}/{repository}:build-1"
    buildah("bud", "--isolation", "chroot", "-t", image, str(tmp_path))
    buildah("login", "--username", user, "--password-stdin", "--tls-verify=false", host, input=password.encode())
    buildah("push", "--tls-verify=false", image)

    auth = ("AWS", password)
    assert _registry_tags(f"http://{registry_address}", auth, repository) == ["build-1"]
    status, headers, _ = _get(f"http://{registry_address}/v2/{repository}/manifests/build-1", auth, "HEAD",
                              headers={"Accept": "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"})
    assert status == 200
    digest = {k.lower(): v for k, v in headers.items()}["docker-content-digest"]

    details = ecr.describe_images(repositoryName=repository)["imageDetails"]
    assert [(d["imageTags"], d["imageDigest"]) for d in details] == [(["build-1"], digest)], details
    assert ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": "build-1"}])["imageDetails"][0]["imageDigest"] == digest
    got = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": "build-1"}])
    assert not got["failures"] and got["images"][0]["imageId"] == {"imageTag": "build-1", "imageDigest": digest}
    manifest = json.loads(got["images"][0]["imageManifest"])
    assert manifest["schemaVersion"] == 2 and len(manifest["layers"]) == 1
    assert ecr.list_images(repositoryName=repository)["imageIds"] == [{"imageDigest": digest, "imageTag": "build-1"}]
    missing = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": "build-2"}])
    assert not missing["images"] and missing["failures"][0]["failureCode"] == "ImageNotFound"

    # a wrong password is refused by buildah's login too
    bad = buildah("login", "--username", "AWS", "--password-stdin", "--tls-verify=false", host, input=b"wrong", check=False)
    assert bad.returncode != 0


def test_deleting_images_deletes_them_from_the_registry(aws, registry_address, repository):
    ecr = aws("ecr")
    _, password, _ = _token(aws)
    base, auth = f"http://{registry_address}", ("AWS", password)
    one = _push_manifest(base, auth, repository, ["a", "b"], b"one")
    two = _push_manifest(base, auth, repository, ["c"], b"two")
    # never described before: the delete still finds it
    out = ecr.batch_delete_image(repositoryName=repository, imageIds=[{"imageTag": "a"}])
    assert not out["failures"], out
    assert _registry_tags(base, auth, repository) == ["b", "c"], "the other tag of the same image must stay"
    assert {d["imageDigest"]: d["imageTags"] for d in ecr.describe_images(repositoryName=repository)["imageDetails"]} == {one: ["b"], two: ["c"]}
    out = ecr.batch_delete_image(repositoryName=repository, imageIds=[{"imageDigest": two}])
    assert not out["failures"], out
    assert _registry_tags(base, auth, repository) == ["b"]
    assert _get(f"{base}/v2/{repository}/manifests/{two}", auth)[0] == 404
    # a repository holding pushed images is not empty
    with pytest.raises(ecr.exceptions.RepositoryNotEmptyException):
        ecr.delete_repository(repositoryName=repository)
    ecr.delete_repository(repositoryName=repository, force=True)
    assert _registry_tags(base, auth, repository) == []


def test_a_retagged_push_moves_the_tag(aws, registry_address, repository):
    ecr = aws("ecr")
    _, password, _ = _token(aws)
    base, auth = f"http://{registry_address}", ("AWS", password)
    first = _push_manifest(base, auth, repository, ["latest"], b"first")
    assert ecr.describe_images(repositoryName=repository)["imageDetails"][0]["imageDigest"] == first
    second = _push_manifest(base, auth, repository, ["latest"], b"second")
    got = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": "latest"}])["images"]
    assert [i["imageId"]["imageDigest"] for i in got] == [second]


def test_put_image_alone_still_works(aws, registry_address, endpoint):
    """tools/push_image.py registers a stand-in image through PutImage only."""
    name = f"put-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint}
    subprocess.run([sys.executable, str(ROOT / "tools" / "push_image.py"), "--region", "us-east-1",
                    "--repository", name, "--tag", "t1"], check=True, env=env, capture_output=True)
    ecr = aws("ecr")
    try:
        details = ecr.describe_images(repositoryName=name)["imageDetails"]
        assert [d["imageTags"] for d in details] == [["t1"]]
        out = ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageTag": "t1"}])
        assert not out["failures"], out
    finally:
        ecr.delete_repository(repositoryName=name, force=True)


def test_moto_reset_empties_the_registry(aws, registry_address, endpoint):
    from conftest import http_json

    name = f"wipe-{uuid.uuid4().hex[:8]}"
    _, password, _ = _token(aws)
    base, auth = f"http://{registry_address}", ("AWS", password)
    _push_manifest(base, auth, name, ["x"], b"x")
    assert _registry_tags(base, auth, name) == ["x"]
    status, _ = http_json(endpoint, "POST", "/moto-api/reset")
    assert status == 200
    assert _registry_tags(base, auth, name) == []
    # ECR starts over too
    aws("ecr").create_repository(repositoryName=name)
    try:
        assert aws("ecr").describe_images(repositoryName=name)["imageDetails"] == []
    finally:
        aws("ecr").delete_repository(repositoryName=name, force=True)
