"""Common plumbing of the CloudFormation handlers.

moto's metaclass takes the service of a model from its class's ``__module__``
(``moto.<service>.<anything>``), and moto's CloudFormation only looks at
*direct* subclasses of ``CloudFormationModel``; handler classes therefore
subclass it directly and set ``__module__`` in their body.
"""
from typing import Any


class HandlerMixin:
    """Shared behaviour: keep ids, properties, account and region."""

    account_id: str
    region_name: str
    properties: dict

    def _init_common(self, account_id: str, region_name: str, properties: dict) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.properties = properties

    def is_created(self) -> bool:
        return True

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in getattr(cls, "CFN_ATTRIBUTES", {})

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        attrs = getattr(self, "CFN_ATTRIBUTES", {})
        if attribute_name in attrs:
            return getattr(self, attrs[attribute_name])
        raise UnformattedGetAttTemplateException()

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str
    ) -> None:
        # Deletion goes through the instance's delete(); nothing to do here.
        return None


def pascal_to_camel(value: Any) -> Any:
    """CloudFormation's PascalCase keys -> the camelCase of REST/JSON APIs (recursive)."""
    if isinstance(value, dict):
        return {(k[:1].lower() + k[1:]): pascal_to_camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [pascal_to_camel(v) for v in value]
    return value


def as_int(value: Any) -> Any:
    return int(value) if value is not None and value != "" else None


def as_bool(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return str(value).lower() == "true"
