"""End-to-end tests of the hover binary against an AWS endpoint (normally the local emulator).

Run from the repository root, after `cargo build --bin hover`:

    localstack/run "$HOVER_EMULATOR_PYTHON" -m pytest -q tests/e2e

Every test works on stages with a unique `name` (`e2e-<8 hex>`), so tests can run in parallel
against one endpoint; each stage is torn down at the end of its test.
"""
import hashlib
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

HOVER_TIMEOUT = 180


@pytest.fixture(scope="session")
def endpoint():
    url = os.environ.get("AWS_ENDPOINT_URL")
    if not url:
        pytest.skip(
            "AWS_ENDPOINT_URL is not set: run the end-to-end tests through the emulator, "
            'e.g. `localstack/run "$HOVER_EMULATOR_PYTHON" -m pytest -q tests/e2e`'
        )
    return url.rstrip("/")


@pytest.fixture(scope="session")
def hover_bin():
    path = os.environ.get("HOVER_BIN")
    if not path:
        target = os.environ.get("CARGO_TARGET_DIR", str(Path.home() / ".cache/hover/target"))
        path = str(Path(target) / "debug" / "hover")
    if not os.access(path, os.X_OK):
        pytest.fail(f"hover binary not found at {path}: run `cargo build --bin hover` or set HOVER_BIN")
    return path


class Aws:
    """boto3 clients for one region against the test endpoint."""

    def __init__(self, endpoint, region):
        import boto3
        import botocore.config

        self.region = region
        self._session = boto3.session.Session(
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
            region_name=region,
        )
        self._endpoint = endpoint
        self._config = botocore.config.Config(retries={"max_attempts": 2}, read_timeout=60)
        self._clients = {}

    def __getattr__(self, service):
        if service.startswith("_"):
            raise AttributeError(service)
        name = service.rstrip("_").replace("_", "-")
        if name not in self._clients:
            self._clients[name] = self._session.client(name, endpoint_url=self._endpoint, config=self._config)
        return self._clients[name]


@pytest.fixture(scope="session")
def aws_factory(endpoint):
    cache = {}

    def make(region="us-east-1"):
        if region not in cache:
            cache[region] = Aws(endpoint, region)
        return cache[region]

    return make


@pytest.fixture
def aws(aws_factory):
    return aws_factory("us-east-1")


class Result:
    def __init__(self, args, proc):
        self.args = args
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def __repr__(self):
        return (
            f"hover {' '.join(self.args)} -> exit {self.code}\n"
            f"--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-4000:]}"
        )


def run_hover(hover_bin, args, cwd=None, env=None, stdin=subprocess.DEVNULL, stdin_text=None):
    full_env = dict(os.environ)
    full_env["NO_COLOR"] = "1"
    full_env.pop("AWS_PROFILE", None)
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [hover_bin, "--no-color", *args],
        cwd=cwd,
        env=full_env,
        stdin=None if stdin_text is not None else stdin,
        input=stdin_text,
        capture_output=True,
        text=True,
        timeout=HOVER_TIMEOUT,
    )
    return Result(args, proc)


def register_image(aws, repository, tag):
    """What tools/push_image.py does: a stand-in image `<repository>:<tag>` in ECR."""
    try:
        aws.ecr.create_repository(repositoryName=repository, imageTagMutability="MUTABLE")
    except aws.ecr.exceptions.RepositoryAlreadyExistsException:
        pass
    digest = hashlib.sha256(f"{repository}:{tag}".encode()).hexdigest()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7023,
            "digest": "sha256:" + digest,
        },
        "layers": [],
    }
    aws.ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)


def changes_summary(plan):
    """`address: actions [attribute(cause)...]` for every change of a JSON plan, for messages."""
    lines = []
    for rc in plan["resource_changes"]:
        actions = rc["change"]["actions"]
        if actions == ["no-op"]:
            continue
        attrs = ", ".join(f"{a['name']}({a['cause']})" for a in rc.get("changed_attributes", []))
        lines.append(f"{rc['address']}: {actions} {attrs}")
    return "\n".join(lines) or "(no changes)"


class Stage:
    """A hover stage in a temporary project directory: manifest, image, commands, teardown."""

    def __init__(self, hover_bin, aws_factory, manifest, root, template_dir):
        self.hover_bin = hover_bin
        self.name = f"e2e-{uuid.uuid4().hex[:8]}"
        self.key = self.name  # the stage file is .hover/<name>.yml: unique template file names too
        self.dir = Path(root) / self.name
        (self.dir / ".hover").mkdir(parents=True)
        self.template_dir = template_dir
        self.templates_saved = 0
        self.image_tag = None
        self.manifest = None
        self.write(manifest)
        self.aws = aws_factory(self.region)

    @property
    def region(self):
        return self.manifest.get("region", "us-east-1")

    @property
    def manifest_path(self):
        return self.dir / ".hover" / f"{self.key}.yml"

    def write(self, manifest):
        """Writes the manifest (a dict, or YAML text) with this stage's unique name."""
        if isinstance(manifest, str):
            text = manifest.replace("{name}", self.name)
            self.manifest = yaml.safe_load(text)
        else:
            self.manifest = json.loads(json.dumps(manifest))
            self.manifest["name"] = self.name
            text = yaml.safe_dump(self.manifest, sort_keys=False)
        assert self.manifest["name"] == self.name
        self.manifest_path.write_text(text)

    def edit(self, change):
        """Applies `change(manifest_dict)` and rewrites the manifest."""
        manifest = json.loads(json.dumps(self.manifest))
        change(manifest)
        self.write(manifest)

    def register_image(self, tag=None):
        self.image_tag = tag or f"build-{uuid.uuid4().hex[:10]}"
        register_image(self.aws, self.name, self.image_tag)
        return self.image_tag

    def hover(self, *args, env=None, stdin=subprocess.DEVNULL, stdin_text=None):
        return run_hover(self.hover_bin, ["--dir", str(self.dir), *args], env=env, stdin=stdin,
                         stdin_text=stdin_text)

    def _tag_args(self, image_tag):
        tag = image_tag if image_tag is not None else self.image_tag
        return ["--image-tag", tag] if tag else []

    def plan_json(self, image_tag=None):
        r = self.hover("plan", self.key, "--json", *self._tag_args(image_tag))
        assert r.code == 0, r
        return json.loads(r.stdout)

    def plan_text(self, image_tag=None):
        r = self.hover("plan", self.key, *self._tag_args(image_tag))
        assert r.code == 0, r
        return r.stdout

    def plan_exit(self, image_tag=None):
        """`hover plan --detailed-exitcode`: the Result (0 no changes, 2 changes, 1 error)."""
        return self.hover("plan", self.key, "--detailed-exitcode", *self._tag_args(image_tag))

    def apply(self, image_tag=None):
        r = self.hover("apply", self.key, "--auto-approve", *self._tag_args(image_tag))
        assert r.code == 0, r
        assert "Apply complete!" in r.stdout, r
        self.save_template()
        return r

    def assert_no_changes(self):
        r = self.plan_exit()
        if r.code != 0:
            detail = self.hover("plan", self.key, "--json")
            summary = changes_summary(json.loads(detail.stdout)) if detail.code == 0 else detail
            pytest.fail(f"re-plan of {self.name} is not empty (exit {r.code}):\n{summary}\n\n{r}")
        assert "No changes." in r.stdout, r

    def template(self, image_tag=None):
        r = self.hover("template", self.key, *self._tag_args(image_tag))
        assert r.code == 0, r
        return json.loads(r.stdout)

    def save_template(self):
        """Saves `hover template` output for the CI's cfn-lint run (HOVER_TEMPLATE_DIR)."""
        if not self.template_dir or not self.image_tag:
            return
        r = self.hover("template", self.key, "--image-tag", self.image_tag)
        assert r.code == 0, r
        json.loads(r.stdout)
        suffix = "" if self.templates_saved == 0 else f".{self.templates_saved}"
        Path(self.template_dir, f"{self.key}{suffix}.json").write_text(r.stdout)
        self.templates_saved += 1

    # -- teardown ----------------------------------------------------------------------------

    def destroy(self):
        aws = self.aws
        errors = []

        def attempt(what, fn):
            try:
                fn()
            except Exception as e:  # best effort: report, keep cleaning
                text = str(e)
                if not any(s in text for s in ("does not exist", "NotFound", "NoSuch", "not found")):
                    errors.append(f"{what}: {e}")

        def delete_stack():
            aws.cloudformation.describe_stacks(StackName=self.name)
            aws.cloudformation.delete_stack(StackName=self.name)
            waiter = aws.cloudformation.get_waiter("stack_delete_complete")
            waiter.wait(StackName=self.name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})

        def delete_bucket():
            bucket = f"{self.name}-assets"
            listing = aws.s3.list_objects_v2(Bucket=bucket)
            for obj in listing.get("Contents", []):
                aws.s3.delete_object(Bucket=bucket, Key=obj["Key"])
            aws.s3.delete_bucket(Bucket=bucket)

        def delete_key():
            alias = f"alias/{self.name}-secrets-key"
            key_id = aws.kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"]
            aws.kms.delete_alias(AliasName=alias)
            aws.kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

        attempt("stack", delete_stack)
        attempt("bucket", delete_bucket)
        attempt("kms key", delete_key)
        attempt("ecr repository", lambda: aws.ecr.delete_repository(repositoryName=self.name, force=True))
        return errors


@pytest.fixture
def stage(hover_bin, aws_factory, endpoint, tmp_path):
    """Factory: `stage(manifest)` makes a stage with a unique name; all are destroyed afterwards."""
    made = []
    template_dir = os.environ.get("HOVER_TEMPLATE_DIR")

    def make(manifest):
        s = Stage(hover_bin, aws_factory, manifest, tmp_path, template_dir)
        made.append(s)
        return s

    yield make
    problems = []
    for s in made:
        problems += [f"{s.name} {p}" for p in s.destroy()]
    if problems:
        # Leftovers do not fail the test (the emulator is thrown away), but are worth seeing.
        print("teardown problems:\n" + "\n".join(problems))


@pytest.fixture
def proxy(endpoint):
    """A fault proxy in front of the emulator (`fault_proxy.py`), stopped after the test."""
    from fault_proxy import FaultProxy

    p = FaultProxy(endpoint).start()
    yield p
    p.stop()
