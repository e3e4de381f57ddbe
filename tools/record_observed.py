#!/usr/bin/env python3
"""Records the live state of a stage from a running emulator, for the golden plan cases in plans/.

Applies a base manifest with the hover binary, optionally changes things outside hover, and writes
what `hover observe` reads to a file. Run through the emulator wrapper:

    localstack/run "$HOVER_EMULATOR_PYTHON" tools/record_observed.py \
        --manifest plans/no-changes/.hover/dev.yml --tag v1 --out /tmp/observed.json [--drift]

With --original the stage is deployed as the original Hover did (tests/e2e/original_hover.py:
its template, created directly), for the take-over cases.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import push_image  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--manifest", required=True, help="the stage file to apply")
    p.add_argument("--tag", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--drift", action="store_true", help="change settings outside hover after applying")
    p.add_argument("--original", action="store_true", help="deploy with the original Hover's template instead")
    a = p.parse_args()
    hover = os.environ.get("HOVER_BIN") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/hover/target")), "debug", "hover"
    )
    stage = os.path.basename(a.manifest).rsplit(".", 1)[0]
    with tempfile.TemporaryDirectory() as project:
        os.makedirs(os.path.join(project, ".hover"))
        shutil.copy(a.manifest, os.path.join(project, ".hover", stage + ".yml"))
        name = None
        with open(a.manifest) as f:
            for line in f:
                if line.startswith("name:"):
                    name = line.split(":", 1)[1].strip()
        region = "us-east-1"
        sys.argv = ["push_image", "--region", region, "--repository", name, "--tag", a.tag]
        push_image.main()
        if a.original:
            import yaml
            import original_hover
            from conftest import Aws

            with open(a.manifest) as f:
                m = yaml.safe_load(f)
            aws = Aws(os.environ["AWS_ENDPOINT_URL"], region)
            role = (m.get("auth") or {}).get("lambda-role", "")
            if role:
                original_hover.lambda_role(aws, role.rsplit("/", 1)[-1].removesuffix("-lambda"))
            original_hover.deploy(aws, m, a.tag)
        else:
            subprocess.run([hover, "--dir", project, "apply", stage, "--image-tag", a.tag, "--auto-approve", "--no-color"],
                           check=True, stdout=subprocess.DEVNULL)
        if a.drift:
            boto3.client("lambda", region_name=region).update_function_configuration(
                FunctionName=f"{name}-http", MemorySize=2048)
            boto3.client("logs", region_name=region).put_retention_policy(
                logGroupName=f"/aws/lambda/{name}-cli", retentionInDays=90)
        out = subprocess.run([hover, "--dir", project, "observe", stage], check=True, capture_output=True, text=True)
        with open(a.out, "w") as f:
            f.write(out.stdout)
    print(f"recorded {a.out}")


if __name__ == "__main__":
    main()
