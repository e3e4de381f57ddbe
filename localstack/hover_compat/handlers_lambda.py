"""CloudFormation handler for AWS::Lambda::Alias.

Corrects: moto 5.2.5 has no CloudFormation model for AWS::Lambda::Alias; the
alias is reported CREATE_COMPLETE but never created, and ``Ref``s to it (the
alias ARN, used by event source mappings, rule targets, permissions and the
API integration) are dropped. This handler creates, updates and deletes the
alias on moto's lambda backend.
"""
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.core.common_models import CloudFormationModel

from ._base import HandlerMixin

MODULE = "moto.awslambda.hover_compat"


def _backend(account_id: str, region_name: str):
    return lambda_backends[account_id][region_name]


def _function_name(value: str) -> str:
    # FunctionName may be a name or an (unqualified) ARN.
    if value.startswith("arn:"):
        return value.split(":")[6]
    return value


class HoverCfnLambdaAlias(HandlerMixin, CloudFormationModel):
    """AWS::Lambda::Alias — Ref: the alias ARN; GetAtt: AliasArn."""

    __module__ = MODULE
    CFN_ATTRIBUTES = {"AliasArn": "arn"}

    def __init__(self, account_id: str, region_name: str, props: dict, alias: Any):
        self._init_common(account_id, region_name, props)
        self.arn = alias.arn
        self.name = alias.name
        self.function_name = _function_name(props["FunctionName"])

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "HoverCfnLambdaAlias":
        props = cloudformation_json.get("Properties", {})
        alias = _backend(account_id, region_name).create_alias(
            name=props["Name"],
            function_name=_function_name(props["FunctionName"]),
            function_version=str(props["FunctionVersion"]),
            description=props.get("Description", ""),
            routing_config=props.get("RoutingConfig"),
        )
        return cls(account_id, region_name, props, alias)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: "HoverCfnLambdaAlias", new_resource_name: str,
        cloudformation_json: dict, account_id: str, region_name: str,
    ) -> "HoverCfnLambdaAlias":
        props = cloudformation_json.get("Properties", {})
        if props["Name"] != original_resource.name or _function_name(props["FunctionName"]) != original_resource.function_name:
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        _backend(account_id, region_name).update_alias(
            name=original_resource.name,
            function_name=original_resource.function_name,
            function_version=str(props["FunctionVersion"]),
            description=props.get("Description", ""),
            routing_config=props.get("RoutingConfig") or {},
        )
        original_resource.properties = props
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name)
        try:
            backend.delete_alias(self.name, self.function_name)
        except Exception:  # the function is already gone: so is the alias
            pass


HANDLERS = [HoverCfnLambdaAlias]
