# Fixtures of the runtime tests: a fake Lambda Runtime API, a fake AWS endpoint, and runtime processes started on them.
import itertools
import json
import shutil
import subprocess

import pytest

from fakes import HERE, PHP, REPO, FakeAws, FakeRuntimeApi, RuntimeProcess, marked  # noqa: F401


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """Fresh copies of runtime/ and the test app (OPcache's file cache keys on paths and never revalidates)."""
    base = tmp_path_factory.mktemp("hover-runtime")
    shutil.copytree(REPO / "runtime", base / "runtime")
    shutil.copytree(HERE / "app", base / "app")
    return base


@pytest.fixture(scope="session")
def fake_aws():
    fake = FakeAws()
    yield fake
    fake.close()


_counter = itertools.count()


@pytest.fixture(scope="session")
def runtimes(sandbox, tmp_path_factory):
    """Starts runtime processes; every one is killed (with its process group) at the end of the session."""
    started = []

    def start(function="app-http", env=None, runtime_dir=None, task_root=None):
        log = tmp_path_factory.getbasetemp() / f"runtime-{next(_counter)}.log"
        rt = RuntimeProcess(runtime_dir or sandbox / "runtime", task_root or sandbox / "app", function, env or {}, log)
        started.append(rt)
        return rt

    yield start
    for rt in started:
        rt.stop()


@pytest.fixture
def runtime(runtimes):
    """A factory like `runtimes` whose processes are killed at the end of the test."""
    mine = []

    def start(*a, **kw):
        rt = runtimes(*a, **kw)
        mine.append(rt)
        return rt

    yield start
    for rt in mine:
        rt.stop()
        assert not marked(rt.mark, rt.proc.pid), "a process started by the runtime survived"


def php(code_or_fn, *args):
    """Runs a function of the runtime's classes through tests/runtime/harness.php; returns its JSON answer."""
    out = subprocess.run([PHP, str(HERE / "harness.php"), code_or_fn, json.dumps(list(args))],
                         capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr.decode() + out.stdout.decode()
    return json.loads(out.stdout)
