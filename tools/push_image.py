#!/usr/bin/env python3
"""Registers a stand-in image `<repository>:<tag>` in ECR (creating the repository if needed), as a
deploy would after building and pushing the application image. For emulators and tests."""
import argparse
import hashlib
import json

import boto3


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--region", required=True)
    p.add_argument("--repository", required=True)
    p.add_argument("--tag", required=True)
    a = p.parse_args()
    ecr = boto3.client("ecr", region_name=a.region)
    try:
        ecr.create_repository(repositoryName=a.repository, imageTagMutability="MUTABLE")
    except ecr.exceptions.RepositoryAlreadyExistsException:
        pass
    digest = hashlib.sha256(a.tag.encode()).hexdigest()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023, "digest": "sha256:" + digest},
        "layers": [],
    }
    ecr.put_image(repositoryName=a.repository, imageManifest=json.dumps(manifest), imageTag=a.tag)
    print(f"image {a.repository}:{a.tag} registered")


if __name__ == "__main__":
    main()
