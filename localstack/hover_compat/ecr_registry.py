"""ECR on a real local registry.

moto's ECR knows nothing of image pushes: ``GetAuthorizationToken`` answers a
fixed token (``AWS:<account>-auth-token``), an ``https://*.amazonaws.com``
endpoint and an expiry in 2015, and images exist only through ``PutImage``.
``localstack/start`` runs Debian's ``docker-registry`` on 127.0.0.1 with
htpasswd authentication (user ``AWS``, a random password per start) and passes
its address and password to the server (``HOVER_REGISTRY``,
``HOVER_REGISTRY_PASSWORD``). With them, this module makes ECR front it:

* ``GetAuthorizationToken``: ``authorizationToken`` = base64(``AWS:<password>``),
  ``proxyEndpoint`` = ``http://<HOVER_REGISTRY>``, ``expiresAt`` 12 hours ahead.
  A client logs in with them and pushes ``<proxy host>/<repository>:<tag>``
  (on AWS the proxy host is the host of the repository URI).
* ``DescribeImages``, ``ListImages`` and ``BatchGetImage`` first copy the
  registry's tags of repository N (``GET /v2/N/tags/list``) into moto's ECR
  repository N, with the registry's manifest, media type and digest, so they
  see what was pushed. Images put through ``PutImage`` alone stay as they are.
* ``BatchDeleteImage`` also deletes from the registry: a digest left without a
  tag is deleted (``DELETE /v2/N/manifests/<digest>``); a tag removed from a
  digest that keeps other tags is removed by deleting the digest and putting
  the manifest back under the remaining tags (the registry API has no tag
  deletion). ``DeleteRepository`` (force) deletes the repository's manifests.
* ``POST /moto-api/reset`` empties the registry (every manifest of every
  repository) along with moto's state.

Without ``HOVER_REGISTRY`` (e.g. a plain moto, or a real LocalStack) nothing
is changed.
"""
import base64
import json
import logging
import os
import threading
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import Optional

log = logging.getLogger("hover_compat.ecr_registry")

MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


class Registry:
    """A small client of the registry's HTTP API (basic authentication)."""

    def __init__(self, address: str, password: str, user: str = "AWS") -> None:
        self.address = address
        self.user = user
        self.password = password
        self.base = f"http://{address}"
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._auth = f"Basic {token}"

    @property
    def token(self) -> str:
        return base64.b64encode(f"{self.user}:{self.password}".encode()).decode()

    def request(self, method: str, path: str, data: Optional[bytes] = None, headers: Optional[dict] = None) -> tuple:
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", self._auth)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def catalog(self) -> list:
        names: list = []
        while True:
            query = "?n=1000" + (f"&last={names[-1]}" if names else "")
            status, _, body = self.request("GET", "/v2/_catalog" + query)
            if status != 200:
                raise RuntimeError(f"registry: GET /v2/_catalog answered {status}: {body[:200]!r}")
            page = json.loads(body).get("repositories") or []
            names.extend(page)
            if len(page) < 1000:
                return names

    def tags(self, name: str) -> list:
        status, _, body = self.request("GET", f"/v2/{name}/tags/list")
        if status == 404:
            return []
        if status != 200:
            raise RuntimeError(f"registry: GET /v2/{name}/tags/list answered {status}: {body[:200]!r}")
        return sorted(json.loads(body).get("tags") or [])

    def manifest(self, name: str, reference: str, head: bool = False) -> Optional[tuple]:
        """(manifest text, media type, digest), or None when absent (text is None with head)."""
        status, headers, body = self.request(
            "HEAD" if head else "GET", f"/v2/{name}/manifests/{reference}", headers={"Accept": ", ".join(MANIFEST_TYPES)})
        if status != 200:
            return None
        headers = {k.lower(): v for k, v in headers.items()}
        text = None if head else body.decode("utf-8")
        return text, headers.get("content-type", "").split(";")[0], headers.get("docker-content-digest")

    def delete_manifest(self, name: str, digest: str) -> None:
        status, _, body = self.request("DELETE", f"/v2/{name}/manifests/{digest}")
        if status not in (202, 404):
            raise RuntimeError(f"registry: DELETE /v2/{name}/manifests/{digest} answered {status}: {body[:200]!r}")

    def put_manifest(self, name: str, tag: str, text: str, media_type: str) -> None:
        status, _, body = self.request("PUT", f"/v2/{name}/manifests/{tag}", data=text.encode("utf-8"),
                                       headers={"Content-Type": media_type})
        if status != 201:
            raise RuntimeError(f"registry: PUT /v2/{name}/manifests/{tag} answered {status}: {body[:200]!r}")


REGISTRY: Optional[Registry] = None
_lock = threading.RLock()
_quiet = threading.local()  # set while this module itself drives moto's ECR


def configure_from_env() -> Optional[Registry]:
    global REGISTRY
    address = os.environ.get("HOVER_REGISTRY")
    password = os.environ.get("HOVER_REGISTRY_PASSWORD")
    REGISTRY = Registry(address, password) if address and password else None
    return REGISTRY


def _digests(repository) -> dict:
    """digest -> (tags, manifest text, media type) of a moto ECR repository."""
    out: dict = {}
    for image in repository.images:
        out[image.get_image_digest()] = (list(image.image_tags), image.image_manifest, image.image_manifest_media_type)
    return out


def sync(backend, repository_name: str) -> None:
    """Copy the registry's tags of one repository into moto's ECR repository."""
    registry = REGISTRY
    repository = backend.repositories.get(repository_name)
    if registry is None or repository is None or getattr(_quiet, "on", False):
        return
    with _lock:
        try:
            tags = registry.tags(repository_name)
        except Exception as e:  # the registry is down or answers oddly: ECR still answers
            log.warning("could not read the registry's tags of %s: %s", repository_name, e)
            return
        for tag in tags:
            try:
                head = registry.manifest(repository_name, tag, head=True)
                if head is None or not head[2]:
                    continue
                digest = head[2]
                if any(tag in i.image_tags and i.get_image_digest() == digest for i in repository.images):
                    continue
                got = registry.manifest(repository_name, digest)
                if got is None:
                    continue
                text, media_type, _ = got
                _quiet.on = True
                try:
                    backend.put_image(repository_name, text, tag, media_type or None, digest)
                finally:
                    _quiet.on = False
            except Exception as e:  # e.g. an immutable tag pushed again: ECR keeps the first
                log.warning("could not copy %s:%s from the registry: %s", repository_name, tag, e)


def wipe() -> None:
    """Delete every manifest of every repository of the registry."""
    registry = REGISTRY
    if registry is None:
        return
    with _lock:
        try:
            for name in registry.catalog():
                _delete_repository_images(registry, name)
        except Exception as e:
            log.warning("could not empty the registry: %s", e)


def _delete_repository_images(registry: Registry, name: str) -> None:
    digests = set()
    for tag in registry.tags(name):
        head = registry.manifest(name, tag, head=True)
        if head and head[2]:
            digests.add(head[2])
    for digest in digests:
        registry.delete_manifest(name, digest)


def install() -> None:
    from moto.ecr.models import ECRBackend
    from moto.ecr.responses import ECRResponse

    if getattr(ECRBackend.describe_images, "_hover_registry", False):
        return
    configure_from_env()

    original_token = ECRResponse.get_authorization_token

    def get_authorization_token(self):
        registry = REGISTRY
        if registry is None:
            return original_token(self)
        from moto.core.responses import ActionResult

        registry_ids = self._get_param("registryIds") or [self.current_account]
        expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=12)
        data = [{"authorizationToken": registry.token, "expiresAt": expires, "proxyEndpoint": registry.base}
                for _ in registry_ids]
        return ActionResult({"authorizationData": data})

    ECRResponse.get_authorization_token = get_authorization_token

    def reading(name: str) -> None:
        original = getattr(ECRBackend, name)

        def wrapper(self, repository_name, *args, **kwargs):
            sync(self, repository_name)
            return original(self, repository_name, *args, **kwargs)

        wrapper.__name__ = name
        wrapper._hover_registry = True  # type: ignore[attr-defined]
        setattr(ECRBackend, name, wrapper)

    for name in ("describe_images", "list_images", "batch_get_image"):
        reading(name)

    original_delete = ECRBackend.batch_delete_image
    original_delete_repository = ECRBackend.delete_repository

    def batch_delete_image(self, repository_name, registry_id=None, image_ids=None):
        if REGISTRY is None or getattr(_quiet, "on", False):
            return original_delete(self, repository_name, registry_id, image_ids)
        sync(self, repository_name)
        repository = self.repositories.get(repository_name)
        before = _digests(repository) if repository is not None else {}
        result = original_delete(self, repository_name, registry_id, image_ids)
        after = _digests(repository) if repository is not None else {}
        with _lock:
            for digest, (tags, text, media_type) in before.items():
                left = after.get(digest, ([], None, None))[0]
                if set(left) == set(tags):
                    continue
                try:
                    if REGISTRY.manifest(repository_name, digest, head=True) is None:
                        continue  # not in the registry (an image put through PutImage only)
                    REGISTRY.delete_manifest(repository_name, digest)
                    for tag in left:
                        REGISTRY.put_manifest(repository_name, tag, text, media_type or json.loads(text).get("mediaType"))
                except Exception as e:
                    log.warning("could not delete %s@%s from the registry: %s", repository_name, digest, e)
        return result

    def delete_repository(self, repository_name, registry_id=None, force=False):
        sync(self, repository_name)  # a repository holding pushed images is not empty
        repository = original_delete_repository(self, repository_name, registry_id, force)
        if REGISTRY is not None:
            with _lock:
                try:
                    _delete_repository_images(REGISTRY, repository_name)
                except Exception as e:
                    log.warning("could not delete the registry's images of %s: %s", repository_name, e)
        return repository

    ECRBackend.batch_delete_image = batch_delete_image
    ECRBackend.delete_repository = delete_repository
