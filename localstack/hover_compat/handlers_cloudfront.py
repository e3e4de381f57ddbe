"""CloudFormation handlers for AWS::CloudFront::{Distribution,OriginAccessControl}.

Corrects: moto 5.2.5 has no CloudFormation model for either type; a
Distribution is reported CREATE_COMPLETE but never created, and ``Ref`` /
``Fn::GetAtt`` on it are dropped or fail. moto's cloudfront backend does
support distributions and origin access controls through its direct API, so
these handlers translate the CloudFormation property shapes (plain lists,
``AcmCertificateArn``, ``OriginSSLProtocols``, behaviour-level
``CachedMethods``...) into the API shapes and call that backend.
"""
from typing import Any

from moto.cloudfront.models import cloudfront_backends
from moto.core.common_models import CloudFormationModel
from moto.moto_api._internal import mock_random
from moto.utilities.utils import get_partition

from ._base import HandlerMixin

MODULE = "moto.cloudfront.hover_compat"


def _backend(account_id: str, region_name: str):
    return cloudfront_backends[account_id][get_partition(region_name)]


def _items(values: Any) -> dict:
    values = list(values or [])
    out: dict = {"Quantity": len(values)}
    if values:
        out["Items"] = values
    return out


def _behavior(cfn: dict) -> dict:
    out = {k: v for k, v in cfn.items() if k not in ("AllowedMethods", "CachedMethods", "FunctionAssociations", "LambdaFunctionAssociations", "TrustedSigners", "TrustedKeyGroups")}
    allowed = cfn.get("AllowedMethods") or ["GET", "HEAD"]
    cached = cfn.get("CachedMethods") or ["GET", "HEAD"]
    out["AllowedMethods"] = {**_items(allowed), "CachedMethods": _items(cached)}
    if "TrustedSigners" in cfn:
        out["TrustedSigners"] = {"Enabled": bool(cfn["TrustedSigners"]), **_items(cfn["TrustedSigners"])}
    if "TrustedKeyGroups" in cfn:
        out["TrustedKeyGroups"] = {"Enabled": bool(cfn["TrustedKeyGroups"]), **_items(cfn["TrustedKeyGroups"])}
    return out


def _origin(cfn: dict) -> dict:
    out: dict = {"Id": cfn["Id"], "DomainName": cfn["DomainName"]}
    for key in ("OriginPath", "ConnectionAttempts", "ConnectionTimeout", "OriginAccessControlId", "OriginShield"):
        if key in cfn:
            out[key] = cfn[key]
    if "S3OriginConfig" in cfn:
        out["S3OriginConfig"] = {"OriginAccessIdentity": (cfn["S3OriginConfig"] or {}).get("OriginAccessIdentity", "")}
    if "CustomOriginConfig" in cfn:
        c = cfn["CustomOriginConfig"]
        out["CustomOriginConfig"] = {
            "HTTPPort": c.get("HTTPPort", 80),
            "HTTPSPort": c.get("HTTPSPort", 443),
            "OriginProtocolPolicy": c.get("OriginProtocolPolicy"),
            "OriginSslProtocols": _items(c.get("OriginSSLProtocols") or ["TLSv1.2"]),
            "OriginReadTimeout": c.get("OriginReadTimeout", 30),
            "OriginKeepaliveTimeout": c.get("OriginKeepaliveTimeout", 5),
        }
    headers = cfn.get("OriginCustomHeaders") or []
    out["CustomHeaders"] = _items([{"HeaderName": h["HeaderName"], "HeaderValue": h["HeaderValue"]} for h in headers])
    return out


def distribution_config_to_api(cfn: dict, caller_reference: str) -> dict:
    """CloudFormation DistributionConfig -> CloudFront API DistributionConfig."""
    api: dict = {
        "CallerReference": caller_reference,
        "Comment": cfn.get("Comment", ""),
        "Enabled": cfn.get("Enabled", True),
        "Aliases": _items(cfn.get("Aliases")),
        "Origins": _items([_origin(o) for o in cfn.get("Origins") or []]),
        "DefaultCacheBehavior": _behavior(cfn.get("DefaultCacheBehavior") or {}),
        "CacheBehaviors": _items([_behavior(b) for b in cfn.get("CacheBehaviors") or []]),
        "CustomErrorResponses": _items(cfn.get("CustomErrorResponses")),
        "PriceClass": cfn.get("PriceClass", "PriceClass_All"),
        "HttpVersion": cfn.get("HttpVersion", "http1.1"),
        "IsIPV6Enabled": cfn.get("IPV6Enabled", False),
        "DefaultRootObject": cfn.get("DefaultRootObject", ""),
        "WebACLId": cfn.get("WebACLId", ""),
    }
    vc = cfn.get("ViewerCertificate")
    if vc:
        cert: dict = {}
        if vc.get("AcmCertificateArn"):
            cert["ACMCertificateArn"] = vc["AcmCertificateArn"]
            cert["CloudFrontDefaultCertificate"] = False
        if vc.get("IamCertificateId"):
            cert["IAMCertificateId"] = vc["IamCertificateId"]
            cert["CloudFrontDefaultCertificate"] = False
        if "CloudFrontDefaultCertificate" in vc:
            cert["CloudFrontDefaultCertificate"] = vc["CloudFrontDefaultCertificate"]
        if vc.get("SslSupportMethod"):
            cert["SSLSupportMethod"] = vc["SslSupportMethod"]
        if vc.get("MinimumProtocolVersion"):
            cert["MinimumProtocolVersion"] = vc["MinimumProtocolVersion"]
        api["ViewerCertificate"] = cert
    if cfn.get("Logging"):
        api["Logging"] = {"Enabled": True, **cfn["Logging"]}
    geo = (cfn.get("Restrictions") or {}).get("GeoRestriction")
    if geo:
        api["Restrictions"] = {"GeoRestriction": {"RestrictionType": geo.get("RestrictionType", "none"), **_items(geo.get("Locations"))}}
    return api


def _oac_ids(api_config: dict) -> dict:
    return {o["Id"]: o.get("OriginAccessControlId", "") for o in api_config["Origins"].get("Items", [])}


def _keep_origin_access_control_ids(dist: Any, by_id: dict) -> None:
    """moto's Origin model drops OriginAccessControlId; keep it on the object
    so that GetDistribution(Config) shows it."""
    for origin in dist.distribution_config.Origins["Items"]:
        origin.origin_access_control_id = by_id.get(origin.id, "")


class HoverCfnCloudFrontDistribution(HandlerMixin, CloudFormationModel):
    """AWS::CloudFront::Distribution — Ref: Id; GetAtt: DomainName, Id."""

    __module__ = MODULE
    CFN_ATTRIBUTES = {"DomainName": "domain_name", "Id": "distribution_id"}

    def __init__(self, account_id: str, region_name: str, props: dict, dist: Any, caller_reference: str):
        self._init_common(account_id, region_name, props)
        self.distribution_id = dist.distribution_id
        self.domain_name = dist.domain_name
        self.caller_reference = caller_reference

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::Distribution"

    @property
    def physical_resource_id(self) -> str:
        return self.distribution_id

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "HoverCfnCloudFrontDistribution":
        props = cloudformation_json.get("Properties", {})
        caller_reference = f"{resource_name}-{mock_random.get_random_hex(8)}"
        api_config = distribution_config_to_api(props["DistributionConfig"], caller_reference)
        tags = [{"Key": t["Key"], "Value": t["Value"]} for t in props.get("Tags") or []]
        oac_ids = _oac_ids(api_config)
        # moto's backend turns the config's dicts into its own objects in place.
        dist, _, _ = _backend(account_id, region_name).create_distribution(api_config, tags)
        _keep_origin_access_control_ids(dist, oac_ids)
        return cls(account_id, region_name, props, dist, caller_reference)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: "HoverCfnCloudFrontDistribution", new_resource_name: str,
        cloudformation_json: dict, account_id: str, region_name: str,
    ) -> "HoverCfnCloudFrontDistribution":
        props = cloudformation_json.get("Properties", {})
        api_config = distribution_config_to_api(props["DistributionConfig"], original_resource.caller_reference)
        backend = _backend(account_id, region_name)
        oac_ids = _oac_ids(api_config)
        dist, _, _ = backend.update_distribution(api_config, original_resource.distribution_id, True)
        _keep_origin_access_control_ids(dist, oac_ids)
        original_resource.properties = props
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name)
        if self.distribution_id in backend.distributions:
            backend.delete_distribution(self.distribution_id, True)


class HoverCfnCloudFrontOriginAccessControl(HandlerMixin, CloudFormationModel):
    """AWS::CloudFront::OriginAccessControl — Ref: Id; GetAtt: Id.

    Corrects: moto 5.2.5 has no CloudFormation model for this type (its
    cloudfront backend supports origin access controls through the API).
    """

    __module__ = MODULE
    CFN_ATTRIBUTES = {"Id": "control_id"}

    def __init__(self, account_id: str, region_name: str, props: dict, control: Any):
        self._init_common(account_id, region_name, props)
        self.control_id = control.id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::OriginAccessControl"

    @property
    def physical_resource_id(self) -> str:
        return self.control_id

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
    ) -> "HoverCfnCloudFrontOriginAccessControl":
        props = cloudformation_json.get("Properties", {})
        control = _backend(account_id, region_name).create_origin_access_control(dict(props["OriginAccessControlConfig"]))
        return cls(account_id, region_name, props, control)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: "HoverCfnCloudFrontOriginAccessControl", new_resource_name: str,
        cloudformation_json: dict, account_id: str, region_name: str,
    ) -> "HoverCfnCloudFrontOriginAccessControl":
        props = cloudformation_json.get("Properties", {})
        _backend(account_id, region_name).update_origin_access_control(
            original_resource.control_id, dict(props["OriginAccessControlConfig"])
        )
        original_resource.properties = props
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).origin_access_controls.pop(self.control_id, None)


HANDLERS = [HoverCfnCloudFrontDistribution, HoverCfnCloudFrontOriginAccessControl]
