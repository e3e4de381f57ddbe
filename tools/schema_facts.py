#!/usr/bin/env python3
"""Extracts, from cfn-lint's bundled CloudFormation resource schemas, the facts hover's planner needs
for each resource type a stage uses: create-only (a change forces replacement), read-only (known
after apply) and write-only (cannot be read back) property paths.

    tools/schema_facts.py            # prints the JSON
    tools/schema_facts.py --check F  # exits 1 when F differs from what the schemas say
"""
import json
import os
import sys

import cfnlint

TYPES = [
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Stage",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::ECR::Repository",
    "AWS::Events::Rule",
    "AWS::IAM::Role",
    "AWS::KMS::Key",
    "AWS::Lambda::Alias",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::SQS::Queue",
]


def strip(paths):
    return sorted(p[len("/properties/"):] for p in paths or [] if p.startswith("/properties/"))


def facts():
    base = os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas")
    with open(os.path.join(base, "providers", "us-east-1.json")) as f:
        providers = json.load(f)
    out = {}
    for t in TYPES:
        with open(os.path.join(base, "resources", providers[t] + ".json")) as f:
            schema = json.load(f)
        out[t] = {
            "create_only": strip(schema.get("createOnlyProperties")),
            "read_only": strip(schema.get("readOnlyProperties")),
            "write_only": strip(schema.get("writeOnlyProperties")),
        }
    return out


def main():
    text = json.dumps(facts(), indent=2, sort_keys=True) + "\n"
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with open(sys.argv[2]) as f:
            if f.read() != text:
                print(f"{sys.argv[2]} differs from cfn-lint's schemas; regenerate with tools/schema_facts.py", file=sys.stderr)
                return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
