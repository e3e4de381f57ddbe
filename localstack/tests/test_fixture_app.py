"""The example application (examples/clouder) builds for real here, with
buildah and COPY steps only, and its image reaches ECR through the registry."""
import base64
import json
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "clouder"
DOCKERFILE = APP / ".hover" / ".Dockerfile"
ASSETS = {"css/app.css", "js/app.js", "favicon.ico", "robots.txt", "images/logo.svg", "fonts/figtree.woff2"}


@pytest.fixture
def staged_app(tmp_path):
    """A copy of the application with what `hover build` stages for build `x`: hover's runtime and
    the secrets file."""
    import shutil

    app = tmp_path / "app"
    shutil.copytree(APP, app, ignore=shutil.ignore_patterns("out"))
    (app / ".hover" / "out" / "x").mkdir(parents=True)
    shutil.copytree(ROOT / "runtime", app / ".hover" / "out" / "x" / "runtime")
    (app / ".hover" / "out" / "x" / "secrets.env").write_text("v1.sealed-secrets\n")
    return app


def test_dockerfile_has_hover_stages():
    text = DOCKERFILE.read_text()
    stages = [line.split()[-1] for line in text.splitlines() if line.upper().startswith("FROM ")]
    assert stages == ["base", "assets", "tests", "final"], stages
    assert all(line.split()[0].upper() in ("FROM", "COPY", "WORKDIR", "ARG", "ENV", "ENTRYPOINT")
               for line in text.splitlines() if line.strip() and not line.startswith("#"))
    ignored = (APP / ".hover" / ".gitignore").read_text().split()
    assert "out/" in ignored and "*-secrets.plain.env" in ignored


def test_assets_stage_exports_public(buildah, tmp_path):
    out = tmp_path / "out"
    buildah("bud", "--isolation", "chroot", "--target", "assets", "-f", str(DOCKERFILE),
            "--build-arg", "ASSET_URL=assets/test-build", "--output", f"type=local,dest={out}", str(APP))
    files = {str(p.relative_to(out / "public")) for p in (out / "public").rglob("*") if p.is_file()}
    assert files == ASSETS, files
    assert [p.name for p in out.iterdir()] == ["public"], "the export holds public/ only"
    assert (out / "public" / "css" / "app.css").read_bytes() == (APP / "public" / "css" / "app.css").read_bytes()


def test_final_image_builds_and_pushes(aws, registry_address, buildah, staged_app):
    ecr = aws("ecr")
    name = f"clouder-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name)
    try:
        data = ecr.get_authorization_token()["authorizationData"][0]
        user, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
        host = data["proxyEndpoint"].split("://", 1)[1]
        image = f"{host}/{name}:b42"
        buildah("bud", "--isolation", "chroot", "--target", "final", "-f", str(DOCKERFILE),
                "--build-arg", "ASSET_URL=assets/b42", "--build-arg", "HOVER_BUILD_ID=x", "-t", image, str(staged_app))
        config = json.loads(buildah("inspect", "--type", "image", image).stdout)["OCIv1"]["config"]
        assert config["Entrypoint"] == ["/opt/hover/bootstrap"]
        assert "ASSET_URL=assets/b42" in config["Env"]
        buildah("login", "--username", user, "--password-stdin", "--tls-verify=false", host, input=password.encode())
        buildah("push", "--tls-verify=false", image)
        details = ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": "b42"}])["imageDetails"]
        assert details[0]["imageTags"] == ["b42"]
    finally:
        ecr.delete_repository(repositoryName=name, force=True)


def test_final_image_holds_the_app(buildah, staged_app):
    image = f"localhost/clouder-check:{uuid.uuid4().hex[:8]}"
    buildah("bud", "--isolation", "chroot", "--target", "final", "-f", str(DOCKERFILE),
            "--build-arg", "ASSET_URL=assets/x", "--build-arg", "HOVER_BUILD_ID=x", "-t", image, str(staged_app))
    container = buildah("from", image).stdout.decode().strip()
    try:
        root = Path(buildah("mount", container).stdout.decode().strip())
        for path in ("opt/hover/bootstrap", "opt/hover/runtime.php", "var/task/artisan", "var/task/vendor/autoload.php",
                     "var/task/public/index.php", "var/task/routes/web.php", "var/task/bootstrap/app.php",
                     "var/task/app/Http/Controllers/HomeController.php"):
            assert (root / path).is_file(), path
        assert (root / "var/task/.hover/secrets.env").read_text() == "v1.sealed-secrets\n"
        assert not (root / "var/task/public/css").exists(), "assets are served from the bucket, not the image"
    finally:
        buildah("rm", container, check=False)


@pytest.mark.parametrize("target", ["tests"])
def test_other_stages_build(buildah, target):
    buildah("bud", "--isolation", "chroot", "--target", target, "-f", str(DOCKERFILE), str(APP))
