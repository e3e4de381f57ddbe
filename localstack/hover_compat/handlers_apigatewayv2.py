"""CloudFormation handlers for AWS::ApiGatewayV2::{Api,Integration,Route,Stage}.

Corrects: moto 5.2.5 has no CloudFormation model for any ApiGatewayV2 type; it
reports them CREATE_COMPLETE without creating anything, drops ``Ref``s to them
and fails ``Fn::GetAtt`` on them. These handlers create, update and delete the
resources on moto's apigatewayv2 backend.
"""
from typing import Any

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.core.common_models import CloudFormationModel

from ._base import HandlerMixin, as_bool, as_int, pascal_to_camel

MODULE = "moto.apigatewayv2.hover_compat"


def _backend(account_id: str, region_name: str):
    return apigatewayv2_backends[account_id][region_name]


def _tags(props: dict) -> dict:
    tags = props.get("Tags") or {}
    if isinstance(tags, list):  # tolerate the list form
        tags = {t["Key"]: t["Value"] for t in tags}
    return tags


class HoverCfnApiGatewayV2Api(HandlerMixin, CloudFormationModel):
    """AWS::ApiGatewayV2::Api — Ref: ApiId; GetAtt: ApiEndpoint, ApiId."""

    __module__ = MODULE
    CFN_ATTRIBUTES = {"ApiEndpoint": "api_endpoint", "ApiId": "api_id"}

    def __init__(self, account_id: str, region_name: str, props: dict, api: Any):
        self._init_common(account_id, region_name, props)
        self.api_id = api.api_id
        self.api_endpoint = api.api_endpoint

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Api"

    @property
    def physical_resource_id(self) -> str:
        return self.api_id

    @staticmethod
    def _args(props: dict) -> dict:
        cors = props.get("CorsConfiguration")
        return dict(
            api_key_selection_expression=props.get("ApiKeySelectionExpression"),
            cors_configuration=pascal_to_camel(cors) if cors is not None else None,
            description=props.get("Description"),
            disable_schema_validation=as_bool(props.get("DisableSchemaValidation")),
            disable_execute_api_endpoint=as_bool(props.get("DisableExecuteApiEndpoint")),
            name=props.get("Name"),
            route_selection_expression=props.get("RouteSelectionExpression"),
            version=props.get("Version"),
        )

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "HoverCfnApiGatewayV2Api":
        props = cloudformation_json.get("Properties", {})
        api = _backend(account_id, region_name).create_api(
            protocol_type=props.get("ProtocolType", "HTTP"), tags=_tags(props), **cls._args(props)
        )
        return cls(account_id, region_name, props, api)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: "HoverCfnApiGatewayV2Api", new_resource_name: str,
        cloudformation_json: dict, account_id: str, region_name: str,
    ) -> "HoverCfnApiGatewayV2Api":
        props = cloudformation_json.get("Properties", {})
        if props.get("ProtocolType", "HTTP") != original_resource.properties.get("ProtocolType", "HTTP"):
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        backend = _backend(account_id, region_name)
        api = backend.update_api(api_id=original_resource.api_id, **cls._args(props))
        backend.tag_resource(api.arn, _tags(props))
        original_resource.properties = props
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).delete_api(self.api_id)


class HoverCfnApiGatewayV2Integration(HandlerMixin, CloudFormationModel):
    """AWS::ApiGatewayV2::Integration — Ref: IntegrationId."""

    __module__ = MODULE
    CFN_ATTRIBUTES = {"IntegrationId": "integration_id"}

    def __init__(self, account_id: str, region_name: str, props: dict, api_id: str, integration: Any):
        self._init_common(account_id, region_name, props)
        self.api_id = api_id
        self.integration_id = integration.id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Integration"

    @property
    def physical_resource_id(self) -> str:
        return self.integration_id

    @staticmethod
    def _args(props: dict) -> dict:
        tls = props.get("TlsConfig")
        return dict(
            connection_id=props.get("ConnectionId"),
            connection_type=props.get("ConnectionType", "INTERNET"),
            content_handling_strategy=props.get("ContentHandlingStrategy"),
            credentials_arn=props.get("CredentialsArn"),
            description=props.get("Description"),
            integration_method=props.get("IntegrationMethod"),
            integration_subtype=props.get("IntegrationSubtype"),
            integration_type=props.get("IntegrationType"),
            integration_uri=props.get("IntegrationUri"),
            passthrough_behavior=props.get("PassthroughBehavior"),
            payload_format_version=props.get("PayloadFormatVersion"),
            request_parameters=props.get("RequestParameters"),
            request_templates=props.get("RequestTemplates"),
            response_parameters=props.get("ResponseParameters"),
            template_selection_expression=props.get("TemplateSelectionExpression"),
            timeout_in_millis=as_int(props.get("TimeoutInMillis")),
            tls_config=pascal_to_camel(tls) if tls is not None else None,
        )

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "HoverCfnApiGatewayV2Integration":
        props = cloudformation_json.get("Properties", {})
        api_id = props["ApiId"]
        integration = _backend(account_id, region_name).create_integration(api_id=api_id, **cls._args(props))
        return cls(account_id, region_name, props, api_id, integration)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: "HoverCfnApiGatewayV2Integration", new_resource_name: str,
        cloudformation_json: dict, account_id: str, region_name: str,
    ) -> "HoverCfnApiGatewayV2Integration":
        props = cloudformation_json.get("Properties", {})
        if props["ApiId"] != original_resource.api_id:  # replacement
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        _backend(account_id, region_name).update_integration(
            api_id=original_resource.api_id, integration_id=original_resource.integration_id, **cls._args(props)
        )
        original_resource.properties = props
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name)
        if self.api_id in backend.apis:
            backend.apis[self.api_id].integrations.pop(self.integration_id, None)


class HoverCfnApiGatewayV2Route(HandlerMixin, CloudFormationModel):
    """AWS::ApiGatewayV2::Route — Ref: RouteId."""

    __module__ = MODULE
    CFN_ATTRIBUTES = {"RouteId": "route_id"}

    def __init__(self, account_id: str, region_name: str, props: dict, api_id: str, route: Any):
        self._init_common(account_id, region_name, props)
        self.api_id = api_id
        self.route_id = route.route_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Route"

    @property
    def physical_resource_id(self) -> str:
        return self.route_id

    @staticmethod
    def _args(props: dict) -> dict:
        return dict(
            api_key_required=as_bool(props.get("ApiKeyRequired", False)),
            authorization_scopes=props.get("AuthorizationScopes"),
            authorization_type=props.get("AuthorizationType", "NONE"),
            authorizer_id=props.get("AuthorizerId"),
            model_selection_expression=props.get("ModelSelectionExpression"),
            operation_name=props.get("OperationName"),
            request_models=props.get("RequestModels"),
            request_parameters=props.get("RequestParameters"),
            route_key=props.get("RouteKey"),
            route_response_selection_expression=props.get("RouteResponseSelectionExpression"),
            target=props.get("Target"),
        )

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "HoverCfnApiGatewayV2Route":
        props = cloudformation_json.get("Properties", {})
        api_id = props["ApiId"]
        route = _backend(account_id, region_name).create_route(api_id=api_id, **cls._args(props))
        return cls(account_id, region_name, props, api_id, route)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: "HoverCfnApiGatewayV2Route", new_resource_name: str,
        cloudformation_json: dict, account_id: str, region_name: str,
    ) -> "HoverCfnApiGatewayV2Route":
        props = cloudformation_json.get("Properties", {})
        if props["ApiId"] != original_resource.api_id:
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        backend = _backend(account_id, region_name)
        route = backend.get_route(original_resource.api_id, original_resource.route_id)
        args = cls._args(props)
        # moto's Route.update() ignores empty values; set the fields outright so
        # that a property removed from the template is removed from the route.
        route.api_key_required = args["api_key_required"]
        route.authorization_scopes = args["authorization_scopes"]
        route.authorization_type = args["authorization_type"]
        route.authorizer_id = args["authorizer_id"]
        route.model_selection_expression = args["model_selection_expression"]
        route.operation_name = args["operation_name"]
        route.request_models = args["request_models"]
        route.request_parameters = args["request_parameters"] or {}
        route.route_key = args["route_key"]
        route.route_response_selection_expression = args["route_response_selection_expression"]
        route.target = args["target"]
        original_resource.properties = props
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name)
        if self.api_id in backend.apis:
            backend.apis[self.api_id].routes.pop(self.route_id, None)


class HoverCfnApiGatewayV2Stage(HandlerMixin, CloudFormationModel):
    """AWS::ApiGatewayV2::Stage — Ref: the stage name."""

    __module__ = MODULE
    CFN_ATTRIBUTES: dict = {}

    def __init__(self, account_id: str, region_name: str, props: dict, api_id: str, stage_name: str):
        self._init_common(account_id, region_name, props)
        self.api_id = api_id
        self.stage_name = stage_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Stage"

    @property
    def physical_resource_id(self) -> str:
        return self.stage_name

    @staticmethod
    def _config(props: dict) -> dict:
        config: dict = {"stageName": props["StageName"]}
        for cfn_key, api_key in (
            ("AutoDeploy", "autoDeploy"),
            ("Description", "description"),
            ("ClientCertificateId", "clientCertificateId"),
            ("StageVariables", "stageVariables"),
            ("Tags", "tags"),
        ):
            if cfn_key in props:
                value = props[cfn_key]
                config[api_key] = as_bool(value) if cfn_key == "AutoDeploy" else value
        for cfn_key, api_key in (
            ("DefaultRouteSettings", "defaultRouteSettings"),
            ("AccessLogSettings", "accessLogSettings"),
            ("RouteSettings", "routeSettings"),
        ):
            if cfn_key in props:
                config[api_key] = pascal_to_camel(props[cfn_key])
        return config

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "HoverCfnApiGatewayV2Stage":
        props = cloudformation_json.get("Properties", {})
        api_id = props["ApiId"]
        stage = _backend(account_id, region_name).create_stage(api_id, cls._config(props))
        return cls(account_id, region_name, props, api_id, stage.name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: "HoverCfnApiGatewayV2Stage", new_resource_name: str,
        cloudformation_json: dict, account_id: str, region_name: str,
    ) -> "HoverCfnApiGatewayV2Stage":
        props = cloudformation_json.get("Properties", {})
        # moto has no UpdateStage; a stage is cheap to rebuild with the same
        # name, which is what the API shows after an update.
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, {"Properties": props}, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name)
        if self.api_id in backend.apis:
            backend.apis[self.api_id].stages.pop(self.stage_name, None)


HANDLERS = [
    HoverCfnApiGatewayV2Api,
    HoverCfnApiGatewayV2Integration,
    HoverCfnApiGatewayV2Route,
    HoverCfnApiGatewayV2Stage,
]
