"""Handlers for the types moto skips: each created by a CREATE change set,
read back through its direct API, changed by an UPDATE change set, deleted."""
import copy
import json
import uuid

import pytest

import cfn
from mend_checks import ACCOUNT, IMAGE, REGION, ROLE, _fn


def _uid() -> str:
    return uuid.uuid4().hex[:8]


def _stack(aws, name, tpl):
    c = aws("cloudformation")
    stack = cfn.create(c, name, tpl)
    return c, stack["StackId"]


def test_lambda_alias(aws, stack_name):
    fname = f"alias-{_uid()}"
    alias = {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Fn"}, "Name": "live", "FunctionVersion": "$LATEST"}}
    tpl = {"Resources": {"Role": ROLE, "Fn": _fn(fname), "Alias": alias},
           "Outputs": {"AliasArn": {"Value": {"Ref": "Alias"}}}}
    c, sid = _stack(aws, stack_name, tpl)
    lam = aws("lambda")
    try:
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fname}:live"
        got = lam.get_alias(FunctionName=fname, Name="live")
        assert got["AliasArn"] == arn and got["FunctionVersion"] == "$LATEST"
        assert cfn.outputs(c.describe_stacks(StackName=sid)["Stacks"][0])["AliasArn"] == arn
        assert cfn.physical_ids(c, sid)["Alias"] == arn

        tpl2 = copy.deepcopy(tpl)
        tpl2["Resources"]["Alias"]["Properties"]["Description"] = "traffic"
        cfn.update(c, stack_name, tpl2)
        assert lam.get_alias(FunctionName=fname, Name="live")["Description"] == "traffic"

        tpl3 = copy.deepcopy(tpl2)
        del tpl3["Resources"]["Alias"]
        del tpl3["Outputs"]
        cfn.update(c, stack_name, tpl3)
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.get_alias(FunctionName=fname, Name="live")
    finally:
        cfn.delete(c, sid)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=fname)


def _http_api_template(name: str) -> dict:
    uri = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}-http:live"
    return {
        "Resources": {
            "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": f"{name}-api", "ProtocolType": "HTTP"}},
            "Integration": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
                "ApiId": {"Ref": "Api"}, "IntegrationType": "AWS_PROXY", "IntegrationUri": uri,
                "PayloadFormatVersion": "2.0", "TimeoutInMillis": 29000}},
            "Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
                "ApiId": {"Ref": "Api"}, "RouteKey": "$default", "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "Integration"}]]}}},
            "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "$default", "AutoDeploy": True}},
        },
        "Outputs": {
            "ApiId": {"Value": {"Ref": "Api"}},
            "ApiIdAtt": {"Value": {"Fn::GetAtt": ["Api", "ApiId"]}},
            "ApiEndpoint": {"Value": {"Fn::GetAtt": ["Api", "ApiEndpoint"]}},
            "IntegrationId": {"Value": {"Ref": "Integration"}},
            "RouteId": {"Value": {"Ref": "Route"}},
            "StageName": {"Value": {"Ref": "Stage"}},
        },
    }


def test_apigatewayv2_api_integration_route_stage(aws, stack_name):
    name = f"h-{_uid()}"
    tpl = _http_api_template(name)
    c, sid = _stack(aws, stack_name, tpl)
    gw = aws("apigatewayv2")
    try:
        out = cfn.outputs(c.describe_stacks(StackName=sid)["Stacks"][0])
        api_id = out["ApiId"]
        assert out["ApiIdAtt"] == api_id
        apis = {a["ApiId"]: a for a in gw.get_apis()["Items"]}
        assert apis[api_id]["Name"] == f"{name}-api" and apis[api_id]["ProtocolType"] == "HTTP"
        assert out["ApiEndpoint"] == apis[api_id]["ApiEndpoint"]
        integrations = gw.get_integrations(ApiId=api_id)["Items"]
        assert [i["IntegrationId"] for i in integrations] == [out["IntegrationId"]]
        assert integrations[0]["IntegrationType"] == "AWS_PROXY"
        assert integrations[0]["PayloadFormatVersion"] == "2.0"
        assert integrations[0]["IntegrationUri"].endswith(f"{name}-http:live")
        routes = gw.get_routes(ApiId=api_id)["Items"]
        assert [(r["RouteId"], r["RouteKey"], r["Target"]) for r in routes] == [
            (out["RouteId"], "$default", f"integrations/{out['IntegrationId']}")]
        stages = gw.get_stages(ApiId=api_id)["Items"]
        assert [(s["StageName"], s["AutoDeploy"]) for s in stages] == [("$default", True)]
        assert out["StageName"] == "$default"

        tpl2 = copy.deepcopy(tpl)
        r = tpl2["Resources"]
        r["Api"]["Properties"]["Description"] = "changed"
        r["Integration"]["Properties"]["TimeoutInMillis"] = 15000
        r["Route"]["Properties"]["RouteKey"] = "ANY /{proxy+}"
        r["Stage"]["Properties"]["AutoDeploy"] = False
        cfn.update(c, stack_name, tpl2)
        assert gw.get_api(ApiId=api_id)["Description"] == "changed"
        assert gw.get_integration(ApiId=api_id, IntegrationId=out["IntegrationId"])["TimeoutInMillis"] == 15000
        assert gw.get_route(ApiId=api_id, RouteId=out["RouteId"])["RouteKey"] == "ANY /{proxy+}"
        assert gw.get_stage(ApiId=api_id, StageName="$default")["AutoDeploy"] is False
    finally:
        cfn.delete(c, sid)
    assert api_id not in {a["ApiId"] for a in gw.get_apis()["Items"]}


def _cdn_template(name: str) -> dict:
    return {
        "Resources": {
            "Oac": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {"OriginAccessControlConfig": {
                "Name": f"{name}-assets", "OriginAccessControlOriginType": "s3", "SigningBehavior": "always", "SigningProtocol": "sigv4"}}},
            "Distribution": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
                "Comment": name, "Enabled": True, "HttpVersion": "http2and3",
                "Aliases": [f"{name}.example.test"],
                "ViewerCertificate": {"AcmCertificateArn": f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/abc",
                                      "SslSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"},
                "Origins": [
                    {"Id": "app", "DomainName": f"abc123.execute-api.{REGION}.amazonaws.com",
                     "CustomOriginConfig": {"OriginProtocolPolicy": "https-only", "HTTPSPort": 443, "OriginSSLProtocols": ["TLSv1.2"]}},
                    {"Id": "assets", "DomainName": f"{name}-assets.s3.{REGION}.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""},
                     "OriginAccessControlId": {"Fn::GetAtt": ["Oac", "Id"]}}],
                "DefaultCacheBehavior": {"TargetOriginId": "app", "ViewerProtocolPolicy": "redirect-to-https",
                                         "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                                         "CachedMethods": ["GET", "HEAD"], "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                                         "OriginRequestPolicyId": "b689b0a8-53d0-40ab-baf2-68738e2966ac", "Compress": True},
                "CacheBehaviors": [{"PathPattern": "/assets/*", "TargetOriginId": "assets", "ViewerProtocolPolicy": "redirect-to-https",
                                    "AllowedMethods": ["GET", "HEAD"], "CachedMethods": ["GET", "HEAD"],
                                    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6", "Compress": True}]}}},
        },
        "Outputs": {
            "DistId": {"Value": {"Ref": "Distribution"}},
            "DistIdAtt": {"Value": {"Fn::GetAtt": ["Distribution", "Id"]}},
            "CdnDomain": {"Value": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
            "OacId": {"Value": {"Ref": "Oac"}},
        },
    }


def test_cloudfront_distribution_and_origin_access_control(aws, stack_name):
    name = f"cdn-{_uid()}"
    tpl = _cdn_template(name)
    c, sid = _stack(aws, stack_name, tpl)
    cf = aws("cloudfront")
    try:
        out = cfn.outputs(c.describe_stacks(StackName=sid)["Stacks"][0])
        dist_id, oac_id = out["DistId"], out["OacId"]
        assert out["DistIdAtt"] == dist_id
        oac = cf.get_origin_access_control(Id=oac_id)["OriginAccessControl"]["OriginAccessControlConfig"]
        assert oac["Name"] == f"{name}-assets" and oac["SigningProtocol"] == "sigv4"
        dists = {d["Id"]: d for d in cf.list_distributions()["DistributionList"].get("Items", [])}
        assert dists[dist_id]["DomainName"] == out["CdnDomain"]
        cfg = cf.get_distribution_config(Id=dist_id)
        assert cfg["ETag"]
        dc = cfg["DistributionConfig"]
        assert dc["Comment"] == name and dc["HttpVersion"] == "http2and3"
        assert dc["Aliases"]["Items"] == [f"{name}.example.test"]
        assert dc["ViewerCertificate"]["ACMCertificateArn"].endswith("certificate/abc")
        assert dc["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
        origins = {o["Id"]: o for o in dc["Origins"]["Items"]}
        assert origins["app"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
        assert origins["app"]["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == ["TLSv1.2"]
        assert origins["assets"]["OriginAccessControlId"] == oac_id
        assert sorted(dc["DefaultCacheBehavior"]["AllowedMethods"]["Items"]) == sorted(["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"])
        assert dc["CacheBehaviors"]["Items"][0]["PathPattern"] == "/assets/*"

        tpl2 = copy.deepcopy(tpl)
        tpl2["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["Comment"] = f"{name}-v2"
        tpl2["Resources"]["Oac"]["Properties"]["OriginAccessControlConfig"]["Description"] = "v2"
        cfn.update(c, stack_name, tpl2)
        assert cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["Comment"] == f"{name}-v2"
        assert cf.get_origin_access_control(Id=oac_id)["OriginAccessControl"]["OriginAccessControlConfig"]["Description"] == "v2"
    finally:
        cfn.delete(c, sid)
    assert dist_id not in {d["Id"] for d in cf.list_distributions()["DistributionList"].get("Items", [])}
    assert oac_id not in {o["Id"] for o in cf.list_origin_access_controls()["OriginAccessControlList"].get("Items", [])}


def test_s3_bucket_policy(aws, stack_name):
    bucket = f"assets-{_uid()}"
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket)

    def tpl(sid: str) -> dict:
        return {"Resources": {"Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": bucket, "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Sid": sid, "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
                                                    "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}}}}}

    c, sid = _stack(aws, stack_name, tpl("one"))
    try:
        assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Sid"] == "one"
        cfn.update(c, stack_name, tpl("two"))
        assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Sid"] == "two"
    finally:
        cfn.delete(c, sid)
    with pytest.raises(s3.exceptions.ClientError) as err:
        s3.get_bucket_policy(Bucket=bucket)
    assert err.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    s3.delete_bucket(Bucket=bucket)
