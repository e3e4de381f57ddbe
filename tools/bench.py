#!/usr/bin/env python3
"""The benchmark behind tools/bench (run it through tools/bench, which builds hover, installs the
AWS CLI and starts the emulator).

Every figure is the median of --runs runs of a whole process: wall time (a monotonic clock around
the process), CPU (user + system) and peak RSS of the process as the kernel accounts them
(wait4), and the requests the emulator counted (GET /hover-compat/requests). Timings are only
compared within one run of the benchmark.

Environment: AWS_ENDPOINT_URL (the emulator), HOVER_BIN (hover), HOVER_BENCH_AWS (the AWS CLI).
"""
import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import boto3
import yaml

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
TABLE = json.loads((ROOT / "localstack" / "quota_table.json").read_text())


def http_json(url, method="GET"):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def timed(cmd, env=None, cwd=None):
    """Runs cmd; returns (wall s, cpu s, peak RSS MiB, exit code, output, end time). CPU and peak
    RSS are the command's own, as GNU time reports them (a child forked from this Python process
    would carry its peak)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as usage:
        start = time.monotonic()
        proc = subprocess.run(["/usr/bin/time", "-o", usage.name, "-f", "%U %S %M", *cmd], env=env, cwd=cwd,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        end = time.time()
        wall = time.monotonic() - start
        fields = usage.read().split()[-3:]
    user, system, rss_kib = (float(f) for f in fields) if len(fields) == 3 else (float("nan"),) * 3
    return wall, user + system, rss_kib / 1024, proc.returncode, proc.stdout.decode("utf-8", "replace"), end


def median(values):
    return statistics.median(values) if values else float("nan")


class Bench:
    def __init__(self, args):
        self.args = args
        self.endpoint = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
        self.hover_bin = os.environ["HOVER_BIN"]
        self.aws_cli = os.environ["HOVER_BENCH_AWS"]
        self.work = Path(tempfile.mkdtemp(prefix="hover-bench-"))
        self.session = boto3.session.Session(region_name=REGION)
        self.proxy = None

    # -- plumbing -----------------------------------------------------------

    def client(self, name):
        return self.session.client(name, endpoint_url=self.endpoint)

    def env(self, endpoint=None, extra=None):
        env = dict(os.environ)
        env["AWS_ENDPOINT_URL"] = endpoint or self.endpoint
        env["NO_COLOR"] = "1"
        env.pop("AWS_PROFILE", None)
        env.update(extra or {})
        return env

    def requests(self, reset=False):
        return http_json(f"{self.endpoint}/hover-compat/requests" + ("/reset" if reset else ""), "POST" if reset else "GET")

    def start_proxy(self):
        self.proxy = subprocess.Popen(
            [sys.executable, str(ROOT / "localstack" / "quota_proxy.py"), "--upstream", self.endpoint],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.proxy.stdout.readline()
        self.proxy_url = line.strip().rsplit(" ", 1)[-1]

    def proxy_stats(self, reset=False):
        return http_json(f"{self.proxy_url}/quota-proxy/" + ("reset" if reset else "stats"), "POST" if reset else "GET")

    def stage(self, manifest):
        name = f"bench-{uuid.uuid4().hex[:8]}"
        d = self.work / name
        (d / ".hover").mkdir(parents=True)
        manifest = dict(manifest, name=name, region=REGION)
        (d / ".hover" / f"{name}.yml").write_text(yaml.safe_dump(manifest, sort_keys=False))
        ecr = self.client("ecr")
        ecr.create_repository(repositoryName=name, imageTagMutability="MUTABLE")
        digest = hashlib.sha256(name.encode()).hexdigest()
        image = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                 "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023, "digest": "sha256:" + digest},
                 "layers": []}
        ecr.put_image(repositoryName=name, imageManifest=json.dumps(image), imageTag="v1")
        return name, d

    def hover(self, d, *args, endpoint=None, extra=None):
        return timed([self.hover_bin, "--no-color", "--dir", str(d), *args], env=self.env(endpoint, extra))

    def check(self, result, what):
        if result[3] not in (0, 2):
            raise SystemExit(f"{what} failed (exit {result[3]}):\n{result[4][-3000:]}")
        return result

    # -- plans of growing stages -------------------------------------------

    def quota_bound(self, allowed):
        """The least time AWS's quotas allow for these calls: per family, the calls beyond the
        burst at the family's rate; the largest family bounds the whole."""
        per_family = {}
        for op, n in allowed.items():
            family = TABLE["operations"].get(op)
            if family:
                per_family[family] = per_family.get(family, 0) + n
        bound, worst = 0.0, "-"
        for family, n in per_family.items():
            f = TABLE["families"][family]
            t = max(0.0, (n - f["burst"]) / f["per_second"])
            if t > bound:
                bound, worst = t, family
        return bound, worst

    @staticmethod
    def phases(result, log):
        """Where a plan's time under the quota simulator goes, from the proxy's log: (until the
        first read beyond the stack, from there to the last answer, from the last answer to the
        process's exit), in seconds."""
        end = result[5]
        start = end - result[0]
        reads = [e[0] for e in log if not e[2].startswith(("cloudformation:", "sts:"))]
        first = min(reads) if reads else start
        last = max((e[1] for e in log), default=first)
        return first - start, last - first, end - last

    def plans(self):
        rows = []
        for workers in self.args.workers:
            queue = {f"w{i}": {"queues": [f"q{i}"]} for i in range(workers)}
            name, d = self.stage({"queue": queue})
            self.check(self.hover(d, "apply", name, "--image-tag", "v1", "--auto-approve"), f"apply of {workers} workers")
            samples = []
            for _ in range(self.args.runs):
                self.requests(reset=True)
                r = self.check(self.hover(d, "plan", name, "--detailed-exitcode"), "plan")
                if r[3] != 0:
                    raise SystemExit(f"the plan of an applied stage has changes:\n{r[4][-3000:]}")
                samples.append((r[0], r[1], r[2], self.requests()["total"]))
            under = []
            for _ in range(self.args.runs):
                self.proxy_stats(reset=True)
                r = self.check(self.hover(d, "plan", name, "--detailed-exitcode", endpoint=self.proxy_url), "plan under quotas")
                stats = self.proxy_stats()
                bound, family = self.quota_bound(stats["allowed"])
                under.append((r[0], sum(stats["throttled"].values()), bound, family, r[3], self.phases(r, stats["log"])))
            rows.append({
                "workers": workers,
                "requests": median([s[3] for s in samples]),
                "wall": median([s[0] for s in samples]),
                "cpu": median([s[1] for s in samples]),
                "rss": median([s[2] for s in samples]),
                "quota_wall": median([u[0] for u in under]),
                "throttled": max(u[1] for u in under),
                "bound": median([u[2] for u in under]),
                "bound_family": under[0][3],
                "phases": [median([u[5][i] for u in under]) for i in range(3)],
            })
        return rows

    # -- hover against aws cloudformation deploy ----------------------------

    def template(self, d, name, path):
        r = subprocess.run([self.hover_bin, "--no-color", "--dir", str(d), "template", name, "--image-tag", "v1"],
                           env=self.env(), capture_output=True, text=True, check=True)
        path.write_text(r.stdout)

    def aws_deploy(self, name, template, *extra):
        return timed([self.aws_cli, "cloudformation", "deploy", "--stack-name", name, "--template-file", str(template),
                      "--capabilities", "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "--no-fail-on-empty-changeset", *extra],
                     env=self.env(extra={"AWS_DEFAULT_REGION": REGION}))

    def delete_stack(self, name):
        cfn = self.client("cloudformation")
        cfn.delete_stack(StackName=name)
        for _ in range(100):
            try:
                status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
            except Exception:
                return
            if status == "DELETE_COMPLETE":
                return
            time.sleep(0.1)

    def set_memory(self, d, name, memory, template):
        path = d / ".hover" / f"{name}.yml"
        manifest = yaml.safe_load(path.read_text())
        manifest.setdefault("http", {})["memory"] = memory
        path.write_text(yaml.safe_dump(manifest, sort_keys=False))
        self.template(d, name, template)

    def lag(self, result, stats):
        """Seconds from the end of ExecuteChangeSet (the emulator's stack is complete when it
        answers) to the tool's exit."""
        ends = [e[1] for e in stats["log"] if e[2] == "cloudformation:ExecuteChangeSet"]
        return result[5] - max(ends) if ends else float("nan")

    def deploys(self):
        concept = {
            "environment": {"APP_ENV": "dev"},
            "http": {"memory": 512, "timeout": 28},
            "queue": {"default": {"queues": ["default", "notifications"]}, "priority": {"queues": ["priority"]}},
        }
        name, d = self.stage(concept)
        t_a, t_b = self.work / f"{name}-a.json", self.work / f"{name}-b.json"
        self.set_memory(d, name, 1024, t_b)
        self.set_memory(d, name, 512, t_a)
        out = {k: {"hover": [], "aws": []} for k in ("preview", "create", "noop", "update", "lag")}
        for _ in range(self.args.runs):
            # create: a new stack from the same template (the stack is deleted between runs)
            out["create"]["hover"].append(self.check(self.hover(d, "apply", name, "--image-tag", "v1", "--auto-approve"), "hover create")[0])
            self.delete_stack(name)
            out["create"]["aws"].append(self.check(self.aws_deploy(name, t_a), "aws create")[0])
            # no-op apply on the created stack
            out["noop"]["hover"].append(self.check(self.hover(d, "apply", name, "--image-tag", "v1", "--auto-approve"), "hover no-op")[0])
            out["noop"]["aws"].append(self.check(self.aws_deploy(name, t_a), "aws no-op")[0])
            # preview of a one-property change (nothing executed)
            self.set_memory(d, name, 1024, t_b)
            out["preview"]["hover"].append(self.check(self.hover(d, "plan", name, "--image-tag", "v1"), "hover preview")[0])
            out["preview"]["aws"].append(self.check(self.aws_deploy(name, t_b, "--no-execute-changeset"), "aws preview")[0])
            # one-property update, through the proxy (no quota reached) to time the end of the operation
            self.proxy_stats(reset=True)
            r = self.check(self.hover(d, "apply", name, "--image-tag", "v1", "--auto-approve", endpoint=self.proxy_url), "hover update")
            out["update"]["hover"].append(r[0])
            out["lag"]["hover"].append(self.lag(r, self.proxy_stats()))
            self.set_memory(d, name, 512, t_a)
            self.proxy_stats(reset=True)
            env_endpoint = self.proxy_url
            r = timed([self.aws_cli, "cloudformation", "deploy", "--stack-name", name, "--template-file", str(t_a),
                       "--capabilities", "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "--no-fail-on-empty-changeset"],
                      env=self.env(env_endpoint, {"AWS_DEFAULT_REGION": REGION}))
            self.check(r, "aws update")
            out["update"]["aws"].append(r[0])
            out["lag"]["aws"].append(self.lag(r, self.proxy_stats()))
            self.delete_stack(name)
        return {k: {tool: median(v) for tool, v in tools.items()} for k, tools in out.items()}

    # -- report --------------------------------------------------------------

    def run(self):
        self.start_proxy()
        try:
            deploys = self.deploys() if not self.args.skip_deploys else None
            plans = self.plans()
        finally:
            self.proxy.terminate()
            shutil.rmtree(self.work, ignore_errors=True)
        print(f"hover against `aws cloudformation deploy`, same stage and template (medians of {self.args.runs}):\n")
        if deploys:
            print("| step | hover | aws cloudformation deploy | hover faster by |")
            print("|---|---|---|---|")
            labels = {"preview": "preview of a one-property change", "create": "create", "noop": "no-op apply",
                      "update": "one-property update", "lag": "end of the operation → reported"}
            for key, label in labels.items():
                h, a = deploys[key]["hover"], deploys[key]["aws"]
                ratio = f"{a / h:.1f}×" if h > 0 else "-"
                print(f"| {label} | {h:.2f} s | {a:.2f} s | {ratio} |")
            print()
        print(f"`hover plan` of an applied stage with no change, N queue workers (medians of {self.args.runs}):\n")
        print("| workers | requests | wall | CPU | peak RSS | under the quota simulator | least time the quotas allow (family) | throttled |")
        print("|---|---|---|---|---|---|---|---|")
        for r in plans:
            print(f"| {r['workers']} | {r['requests']:.0f} | {r['wall']:.2f} s | {r['cpu']:.2f} s | {r['rss']:.1f} MiB | "
                  f"{r['quota_wall']:.2f} s | {r['bound']:.2f} s ({r['bound_family']}) | {r['throttled']} |")
        print(f"\nUnder the quota simulator, where the time goes (medians of {self.args.runs}):\n")
        print("| workers | start and stack read | reads (first beyond the stack → last answer) | last answer → exit |")
        print("|---|---|---|---|")
        for r in plans:
            stack, reads, after = r["phases"]
            print(f"| {r['workers']} | {stack:.2f} s | {reads:.2f} s | {after:.2f} s |")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--workers", default="1,10,50,100", type=lambda s: [int(x) for x in s.split(",") if x])
    p.add_argument("--skip-deploys", action="store_true", help="only the plans")
    Bench(p.parse_args()).run()


if __name__ == "__main__":
    main()
