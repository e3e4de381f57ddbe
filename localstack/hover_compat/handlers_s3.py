"""CloudFormation handler for AWS::S3::BucketPolicy.

Corrects: moto 5.2.5 has no CloudFormation model for AWS::S3::BucketPolicy;
the policy is reported created but never reaches the bucket. This handler
puts, replaces and deletes the policy on moto's s3 backend.
"""
import json
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from ._base import HandlerMixin

MODULE = "moto.s3.hover_compat"


def _backend(account_id: str, region_name: str):
    return s3_backends[account_id][get_partition(region_name)]


def _policy_bytes(document: Any) -> bytes:
    if isinstance(document, (dict, list)):
        document = json.dumps(document)
    return document.encode("utf-8")


class HoverCfnS3BucketPolicy(HandlerMixin, CloudFormationModel):
    """AWS::S3::BucketPolicy — Ref: the bucket name."""

    __module__ = MODULE
    CFN_ATTRIBUTES: dict = {}

    def __init__(self, account_id: str, region_name: str, props: dict):
        self._init_common(account_id, region_name, props)
        self.bucket = props["Bucket"]

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @property
    def physical_resource_id(self) -> str:
        return self.bucket

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "HoverCfnS3BucketPolicy":
        props = cloudformation_json.get("Properties", {})
        _backend(account_id, region_name).put_bucket_policy(props["Bucket"], _policy_bytes(props["PolicyDocument"]))
        return cls(account_id, region_name, props)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: "HoverCfnS3BucketPolicy", new_resource_name: str,
        cloudformation_json: dict, account_id: str, region_name: str,
    ) -> "HoverCfnS3BucketPolicy":
        props = cloudformation_json.get("Properties", {})
        if props["Bucket"] != original_resource.bucket:
            original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, {"Properties": props}, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name)
        if self.bucket in backend.buckets:
            backend.delete_bucket_policy(self.bucket)


HANDLERS = [HoverCfnS3BucketPolicy]
