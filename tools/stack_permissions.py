#!/usr/bin/env python3
"""Extracts, from cfn-lint's bundled CloudFormation resource schemas, the IAM actions CloudFormation
needs to create, read, update and delete each resource type a stage's stack holds (the schemas'
`handlers.<verb>.permissions`): the source of the stack role's policy that `src/policy.rs`
generates (examples/ci/policy-stack.json).

    tools/stack_permissions.py            # prints the JSON
    tools/stack_permissions.py --check F  # exits 1 when F differs from what the schemas say
"""
import json
import os
import sys

import cfnlint

# The types of the stack's resources (hover makes the repository, bucket and key itself).
TYPES = [
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Stage",
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::Events::Rule",
    "AWS::IAM::Role",
    "AWS::Lambda::Alias",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup",
    "AWS::S3::BucketPolicy",
    "AWS::SQS::Queue",
]

VERBS = ["create", "read", "update", "delete"]


def permissions():
    base = os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas")
    with open(os.path.join(base, "providers", "us-east-1.json")) as f:
        providers = json.load(f)
    out = {}
    for t in TYPES:
        with open(os.path.join(base, "resources", providers[t] + ".json")) as f:
            schema = json.load(f)
        handlers = schema.get("handlers", {})
        actions = set()
        for verb in VERBS:
            actions.update(handlers.get(verb, {}).get("permissions", []))
        out[t] = sorted(actions)
    return out


def main():
    text = json.dumps(permissions(), indent=2, sort_keys=True) + "\n"
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with open(sys.argv[2]) as f:
            if f.read() != text:
                print(f"{sys.argv[2]} differs from cfn-lint's schemas; regenerate with tools/stack_permissions.py", file=sys.stderr)
                return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
