"""One check per mend of hover_compat: each raises (AssertionError or a
botocore ClientError) when the emulator shows the moto defect the mend
corrects. test_mends.py runs them against the emulator under test (must pass)
and against plain moto (must fail)."""
import copy
import json
import time
import uuid

import botocore.exceptions

import cfn

ACCOUNT = "123456789012"
REGION = "us-east-1"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mends:build-1"

ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        },
        "Policies": [{"PolicyName": "app", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}}],
    },
}


def _fn(name: str, **extra) -> dict:
    props = {
        "FunctionName": name,
        "PackageType": "Image",
        "Code": {"ImageUri": IMAGE},
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "MemorySize": 512,
        "Timeout": 30,
    }
    props.update(extra)
    return {"Type": "AWS::Lambda::Function", "Properties": props}


def _uid() -> str:
    return uuid.uuid4().hex[:8]


class _Stack:
    """Context manager: a stack created through a CREATE change set, deleted on exit."""

    def __init__(self, aws, name: str, template: dict):
        self.cfn = aws("cloudformation")
        self.name = name
        self.template = template

    def __enter__(self):
        self.stack = cfn.create(self.cfn, self.name, self.template)
        self.id = self.stack["StackId"]
        return self

    def update(self, template: dict) -> dict:
        self.stack = cfn.update(self.cfn, self.name, template)
        return self.stack

    def __exit__(self, *exc):
        try:
            cfn.delete(self.cfn, self.id)
        except Exception:
            if exc[0] is None:
                raise
        return False


def check_change_set_outputs(aws, name):
    tpl = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"out-{_uid()}"}}},
        "Outputs": {"QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}}, "QueueUrl": {"Value": {"Ref": "Queue"}}},
    }
    with _Stack(aws, name, tpl) as s:
        out = cfn.outputs(s.cfn.describe_stacks(StackName=s.id)["Stacks"][0])
        assert out.get("QueueArn", "").startswith("arn:aws:sqs:"), f"no Outputs after CREATE change set: {out}"
        tpl2 = copy.deepcopy(tpl)
        tpl2["Outputs"]["Extra"] = {"Value": "added"}
        s.update(tpl2)
        out = cfn.outputs(s.cfn.describe_stacks(StackName=s.id)["Stacks"][0])
        assert out.get("Extra") == "added", f"Outputs not refreshed by UPDATE change set: {out}"


def check_kms_key_policy_object(aws, name):
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}],
    }
    tpl = {"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": "secrets", "KeyPolicy": policy}}},
           "Outputs": {"KeyId": {"Value": {"Ref": "Key"}}}}
    with _Stack(aws, name, tpl) as s:
        key_id = cfn.physical_ids(s.cfn, s.id)["Key"]
        kms = aws("kms")
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert meta["Description"] == "secrets"
        got = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
        assert got["Statement"][0]["Sid"] == "root", got
        assert kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]


def check_kms_disabled_key_refused(aws, name):
    kms = aws("kms")
    key_id = kms.create_key(Description=name)["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)
    for call in (
        lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
        lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"),
        lambda: kms.decrypt(CiphertextBlob=blob),
    ):
        try:
            call()
        except kms.exceptions.DisabledException:
            continue
        raise AssertionError("a disabled key was used")
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def check_lambda_image_package_type(aws, name):
    fname = f"img-{_uid()}"
    tpl = {"Resources": {"Role": ROLE, "Fn": _fn(fname)}}
    with _Stack(aws, name, tpl):
        got = aws("lambda").get_function(FunctionName=fname)
        assert got["Configuration"]["PackageType"] == "Image", got["Configuration"]["PackageType"]
        assert got["Code"]["ImageUri"] == IMAGE, got["Code"]


def check_lambda_function_update(aws, name):
    fname = f"upd-{_uid()}"
    role2 = copy.deepcopy(ROLE)
    tpl = {"Resources": {"Role": ROLE, "Role2": role2, "Fn": _fn(
        fname, ReservedConcurrentExecutions=5, Environment={"Variables": {"A": "1"}},
        VpcConfig={"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]})}}
    with _Stack(aws, name, tpl) as s:
        lam = aws("lambda")
        tpl2 = copy.deepcopy(tpl)
        p = tpl2["Resources"]["Fn"]["Properties"]
        p.update(MemorySize=1024, Timeout=60, ReservedConcurrentExecutions=7,
                 Environment={"Variables": {"A": "2", "B": "3"}},
                 VpcConfig={"SubnetIds": ["subnet-2", "subnet-3"], "SecurityGroupIds": ["sg-2"]},
                 Role={"Fn::GetAtt": ["Role2", "Arn"]})
        p["Code"] = {"ImageUri": IMAGE.replace("build-1", "build-2")}
        s.update(tpl2)
        role2_arn = aws("iam").get_role(RoleName=cfn.physical_ids(s.cfn, s.id)["Role2"])["Role"]["Arn"]
        got = lam.get_function(FunctionName=fname)
        c = got["Configuration"]
        assert c["MemorySize"] == 1024 and c["Timeout"] == 60, c
        assert c["Environment"]["Variables"] == {"A": "2", "B": "3"}, c["Environment"]
        assert sorted(c["VpcConfig"]["SubnetIds"]) == ["subnet-2", "subnet-3"], c["VpcConfig"]
        assert c["VpcConfig"]["SecurityGroupIds"] == ["sg-2"], c["VpcConfig"]
        assert c["Role"] == role2_arn, (c["Role"], role2_arn)
        assert got["Code"]["ImageUri"].endswith(":build-2"), got["Code"]
        conc = lam.get_function_concurrency(FunctionName=fname)
        assert conc.get("ReservedConcurrentExecutions") == 7, f"reserved concurrency not updated: {conc}"
        # removing properties resets them
        tpl3 = copy.deepcopy(tpl2)
        for key in ("ReservedConcurrentExecutions", "VpcConfig", "Environment"):
            del tpl3["Resources"]["Fn"]["Properties"][key]
        s.update(tpl3)
        c = lam.get_function(FunctionName=fname)["Configuration"]
        assert not c.get("Environment", {}).get("Variables"), c.get("Environment")
        assert not (c.get("VpcConfig") or {}).get("SubnetIds"), c.get("VpcConfig")
        assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=fname)


def check_lambda_permission_lifecycle(aws, name):
    fname = f"perm-{_uid()}"
    perm = {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "FunctionName": {"Ref": "Fn"}, "Principal": "events.amazonaws.com",
        "SourceArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/x"}}
    tpl = {"Resources": {"Role": ROLE, "Fn": _fn(fname), "Perm": perm}}
    with _Stack(aws, name, tpl) as s:
        lam = aws("lambda")
        policy = json.loads(lam.get_policy(FunctionName=fname)["Policy"])
        assert len(policy["Statement"]) == 1, policy
        assert policy["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
        tpl2 = copy.deepcopy(tpl)
        del tpl2["Resources"]["Perm"]
        s.update(tpl2)
        try:
            statements = json.loads(lam.get_policy(FunctionName=fname)["Policy"])["Statement"]
        except lam.exceptions.ResourceNotFoundException:
            statements = []
        assert statements == [], f"policy statement left after the Permission was removed: {statements}"


def check_log_group_update(aws, name):
    group = f"/aws/lambda/lg-{_uid()}"
    tpl = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": group, "RetentionInDays": 14}}}}
    with _Stack(aws, name, tpl) as s:
        logs = aws("logs")
        tpl2 = copy.deepcopy(tpl)
        tpl2["Resources"]["Logs"]["Properties"]["RetentionInDays"] = 30
        s.update(tpl2)
        groups = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        assert groups and groups[0].get("retentionInDays") == 30, groups
        assert cfn.physical_ids(s.cfn, s.id).get("Logs") == group, "stack forgot the log group"


def check_sqs_queue_update(aws, name):
    q = f"q-{_uid()}"
    dlq = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{q}-dlq"}}
    tpl = {"Resources": {"Dlq": dlq, "Queue": {"Type": "AWS::SQS::Queue", "Properties": {
        "QueueName": q, "VisibilityTimeout": 40, "MessageRetentionPeriod": 345600,
        "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}, "maxReceiveCount": 3}}}}}
    with _Stack(aws, name, tpl) as s:
        sqs = aws("sqs")
        tpl2 = copy.deepcopy(tpl)
        p = tpl2["Resources"]["Queue"]["Properties"]
        p.update(VisibilityTimeout=70, MessageRetentionPeriod=86400)
        p["RedrivePolicy"]["maxReceiveCount"] = 5
        s.update(tpl2)
        url = sqs.get_queue_url(QueueName=q)["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["VisibilityTimeout"] == "70", attrs
        assert attrs["MessageRetentionPeriod"] == "86400", attrs
        assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 5, attrs["RedrivePolicy"]


def check_events_rule_update(aws, name):
    rule = f"r-{_uid()}"
    tpl = {"Resources": {"Rule": {"Type": "AWS::Events::Rule", "Properties": {
        "Name": rule, "ScheduleExpression": "rate(1 minute)", "State": "ENABLED",
        "Targets": [{"Id": "t", "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:x:live", "Input": '{"command":"schedule:run"}'}]}}}}
    with _Stack(aws, name, tpl) as s:
        ev = aws("events")
        tpl2 = copy.deepcopy(tpl)
        p = tpl2["Resources"]["Rule"]["Properties"]
        p["ScheduleExpression"] = "rate(5 minutes)"
        p["Targets"][0]["Input"] = '{"warmer":true,"containers":3}'
        s.update(tpl2)
        assert ev.describe_rule(Name=rule)["ScheduleExpression"] == "rate(5 minutes)"
        targets = ev.list_targets_by_rule(Rule=rule)["Targets"]
        assert [t["Input"] for t in targets] == ['{"warmer":true,"containers":3}'], targets


def check_iam_role_update(aws, name):
    tpl = {"Resources": {"Role": ROLE}}
    with _Stack(aws, name, tpl) as s:
        tpl2 = copy.deepcopy(tpl)
        tpl2["Resources"]["Role"]["Properties"]["Policies"] = [{"PolicyName": "other", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}}]
        s.update(tpl2)
        role = cfn.physical_ids(s.cfn, s.id)["Role"]
        iam = aws("iam")
        names = iam.list_role_policies(RoleName=role)["PolicyNames"]
        assert names == ["other"], names



def check_iam_role_inline_policy_json(aws, name):
    tpl = {"Resources": {"Role": ROLE}}
    with _Stack(aws, name, tpl) as s:
        role = cfn.physical_ids(s.cfn, s.id)["Role"]
        # boto3 URL-decodes and parses the document AWS answers; a repr stays a string.
        doc = aws("iam").get_role_policy(RoleName=role, PolicyName="app")["PolicyDocument"]
        assert isinstance(doc, dict), f"inline policy document is not JSON: {doc!r}"
        assert doc == ROLE["Properties"]["Policies"][0]["PolicyDocument"], doc


def check_iam_role_managed_policy_arns(aws, name):
    vpc = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
    xray = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
    tpl = {"Resources": {"Role": copy.deepcopy(ROLE)}}
    tpl["Resources"]["Role"]["Properties"]["ManagedPolicyArns"] = [vpc]
    with _Stack(aws, name, tpl) as s:
        role = cfn.physical_ids(s.cfn, s.id)["Role"]
        iam = aws("iam")

        def attached():
            return sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"])

        assert attached() == [vpc], f"ManagedPolicyArns not attached: {attached()}"
        tpl2 = copy.deepcopy(tpl)
        tpl2["Resources"]["Role"]["Properties"]["ManagedPolicyArns"] = [xray]
        s.update(tpl2)
        assert attached() == [xray], f"ManagedPolicyArns not kept in step: {attached()}"
    # leaving the block deleted the stack: the role went with its attachments
    assert not [r for r in aws("iam").list_roles()["Roles"] if r["RoleName"] == role], "role left behind"


def check_modify_without_update_handler(aws, name):
    # AWS::Lambda::LayerVersion has no moto update handler.
    bucket = f"layers-{_uid()}"
    aws("s3").create_bucket(Bucket=bucket)
    aws("s3").put_object(Bucket=bucket, Key="layer.zip", Body=b"PK\x05\x06" + b"\x00" * 18)
    tpl = {"Resources": {"Layer": {"Type": "AWS::Lambda::LayerVersion", "Properties": {
        "LayerName": f"layer-{_uid()}", "Description": "one", "Content": {"S3Bucket": bucket, "S3Key": "layer.zip"}}}}}
    with _Stack(aws, name, tpl) as s:
        tpl2 = copy.deepcopy(tpl)
        tpl2["Resources"]["Layer"]["Properties"]["Description"] = "two"
        s.update(tpl2)
        assert "Layer" in cfn.physical_ids(s.cfn, s.id), "stack forgot the modified resource"


def check_event_source_mapping_function_arn(aws, name):
    # Function and alias through the API, so that only the mapping goes through
    # CloudFormation (plain moto has no Lambda::Alias handler).
    uid = _uid()
    fname = f"esm-{uid}"
    lam, iam, sqs = aws("lambda"), aws("iam"), aws("sqs")
    role = iam.create_role(RoleName=f"esm-{uid}", AssumeRolePolicyDocument=json.dumps(ROLE["Properties"]["AssumeRolePolicyDocument"]))["Role"]["Arn"]
    lam.create_function(FunctionName=fname, PackageType="Image", Code={"ImageUri": IMAGE}, Role=role)
    version = lam.publish_version(FunctionName=fname)["Version"]
    alias_arn = lam.create_alias(FunctionName=fname, Name="live", FunctionVersion=version)["AliasArn"]
    unqualified = alias_arn.rsplit(":", 1)[0]
    direct: list = []
    queues = [sqs.create_queue(QueueName=f"esm-{uid}-{i}")["QueueUrl"] for i in range(3)]
    arns = [sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] for q in queues]
    mapping = {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
        "FunctionName": alias_arn, "EventSourceArn": arns[0], "BatchSize": 10,
        "FunctionResponseTypes": ["ReportBatchItemFailures"]}}
    tpl = {"Resources": {"Mapping": mapping}}

    def uuids(**kw):
        return {m["UUID"]: m["FunctionArn"] for m in lam.list_event_source_mappings(**kw)["EventSourceMappings"]}

    try:
        with _Stack(aws, name, tpl) as s:
            cfn_uuid = cfn.physical_ids(s.cfn, s.id)["Mapping"]
            got = lam.get_event_source_mapping(UUID=cfn_uuid)
            assert got["FunctionArn"] == alias_arn, f"FunctionArn not qualified: {got['FunctionArn']}"
            assert uuids(EventSourceArn=arns[0]) == {cfn_uuid: alias_arn}
            assert cfn_uuid in uuids(FunctionName=alias_arn), "not listed by its alias ARN"
            assert cfn_uuid in uuids(FunctionName=f"{fname}:live"), "not listed by NAME:alias"
            # an update through CloudFormation keeps the qualified ARN
            tpl2 = copy.deepcopy(tpl)
            tpl2["Resources"]["Mapping"]["Properties"]["BatchSize"] = 5
            s.update(tpl2)
            got = lam.get_event_source_mapping(UUID=cfn_uuid)
            assert got["BatchSize"] == 5 and got["FunctionArn"] == alias_arn, got

            # the direct API: NAME:alias, then an unqualified mapping
            made = lam.create_event_source_mapping(FunctionName=f"{fname}:live", EventSourceArn=arns[1], BatchSize=10)
            direct.append(made["UUID"])
            assert made["FunctionArn"] == alias_arn, made["FunctionArn"]
            plain = lam.create_event_source_mapping(FunctionName=fname, EventSourceArn=arns[2])
            direct.append(plain["UUID"])
            assert plain["FunctionArn"] == unqualified, plain["FunctionArn"]
            lam.update_event_source_mapping(UUID=made["UUID"], BatchSize=7, Enabled=False, FunctionResponseTypes=["ReportBatchItemFailures"])
            got = lam.get_event_source_mapping(UUID=made["UUID"])
            assert got["BatchSize"] == 7 and got["State"] in ("Disabled", "Disabling"), got
            assert got["FunctionResponseTypes"] == ["ReportBatchItemFailures"], got
            assert got["FunctionArn"] == alias_arn, got["FunctionArn"]
            assert set(uuids(FunctionName=alias_arn)) == {cfn_uuid, made["UUID"]}
            assert set(uuids(FunctionName=f"{fname}:live")) == {cfn_uuid, made["UUID"]}
            assert set(uuids(FunctionName=fname)) == {plain["UUID"]}, "unqualified name lists qualified mappings"
            assert set(uuids(FunctionName=unqualified)) == {plain["UUID"]}
    finally:
        for u in direct:
            lam.delete_event_source_mapping(UUID=u)
        lam.delete_function(FunctionName=fname)
        iam.delete_role(RoleName=f"esm-{uid}")
        for q in queues:
            sqs.delete_queue(QueueUrl=q)


def _api_image_function(aws, fname: str) -> str:
    """An image function through the API (plain moto creates them right); returns its role name."""
    iam = aws("iam")
    iam.create_role(RoleName=fname, AssumeRolePolicyDocument=json.dumps(ROLE["Properties"]["AssumeRolePolicyDocument"]))
    role = iam.get_role(RoleName=fname)["Role"]["Arn"]
    aws("lambda").create_function(FunctionName=fname, PackageType="Image", Code={"ImageUri": IMAGE}, Role=role, MemorySize=512)
    return fname


def _drop_api_function(aws, fname: str) -> None:
    try:
        aws("lambda").delete_function(FunctionName=fname)
    finally:
        aws("iam").delete_role(RoleName=fname)


def check_lambda_version_snapshot(aws, name):
    fname = f"snap-{_uid()}"
    tpl = {"Resources": {"Role": ROLE, "Fn": _fn(fname)}}
    with _Stack(aws, name, tpl) as s:
        lam = aws("lambda")
        v1 = lam.publish_version(FunctionName=fname, Description="build-1")
        assert v1["Version"] == "1" and v1["Description"] == "build-1", v1
        # what an apply does: the stack changes memory and image, then a version is published
        tpl2 = copy.deepcopy(tpl)
        tpl2["Resources"]["Fn"]["Properties"].update(MemorySize=1024, Code={"ImageUri": IMAGE.replace("build-1", "build-2")})
        s.update(tpl2)
        v2 = lam.publish_version(FunctionName=fname, Description="build-2")
        assert v2["Version"] == "2" and v2["MemorySize"] == 1024, v2
        # and later changes of $LATEST through the API
        lam.update_function_configuration(FunctionName=fname, MemorySize=2048)
        lam.update_function_code(FunctionName=fname, ImageUri=IMAGE.replace("build-1", "build-3"))
        for version, memory, tag, description in (("1", 512, "build-1", "build-1"), ("2", 1024, "build-2", "build-2")):
            got = lam.get_function(FunctionName=fname, Qualifier=version)
            c = got["Configuration"]
            assert c["Version"] == version and c["MemorySize"] == memory, (version, c)
            assert c["Description"] == description, (version, c["Description"])
            assert got["Code"]["ImageUri"].endswith(":" + tag), f"version {version} runs {got['Code']['ImageUri']}, published with {tag}"
            c = lam.get_function_configuration(FunctionName=f"{fname}:{version}")
            assert c["MemorySize"] == memory, c
        latest = lam.get_function(FunctionName=fname)
        assert latest["Code"]["ImageUri"].endswith(":build-3") and latest["Configuration"]["MemorySize"] == 2048
        v3 = lam.publish_version(FunctionName=fname, Description="build-3")
        assert v3["Version"] == "3", v3
        # nothing changed since version 3: the service answers version 3 again
        again = lam.publish_version(FunctionName=fname, Description="build-3 again")
        assert again["Version"] == "3", f"publishing without a change made version {again['Version']}"


def check_lambda_version_delete(aws, name):
    fname = _api_image_function(aws, f"vdel-{_uid()}")
    lam = aws("lambda")
    try:
        for memory in (512, 640, 768):
            lam.update_function_configuration(FunctionName=fname, MemorySize=memory)
            lam.publish_version(FunctionName=fname)
        lam.create_alias(FunctionName=fname, Name="live", FunctionVersion="3")
        lam.delete_function(FunctionName=fname, Qualifier="1")
        try:
            lam.delete_function(FunctionName=fname, Qualifier="3")
            raise AssertionError("a version the alias live points to was deleted")
        except lam.exceptions.ResourceConflictException:
            pass
        lam.update_function_configuration(FunctionName=fname, MemorySize=896)
        v = lam.publish_version(FunctionName=fname)
        assert v["Version"] == "4", f"the version after 3 is {v['Version']}"
        versions = [x["Version"] for x in lam.list_versions_by_function(FunctionName=fname)["Versions"]]
        assert versions == ["$LATEST", "2", "3", "4"], versions
        try:
            lam.get_function(FunctionName=fname, Qualifier="1")
            raise AssertionError("deleted version 1 still answers")
        except lam.exceptions.ResourceNotFoundException:
            pass
    finally:
        try:
            lam.delete_alias(FunctionName=fname, Name="live")
        finally:
            _drop_api_function(aws, fname)


def check_lambda_list_versions_pages(aws, name):
    fname = _api_image_function(aws, f"vpage-{_uid()}")
    lam = aws("lambda")
    try:
        for memory in (512, 640, 768, 896):
            lam.update_function_configuration(FunctionName=fname, MemorySize=memory)
            lam.publish_version(FunctionName=fname, Description=f"m{memory}")
        first = lam.list_versions_by_function(FunctionName=fname, MaxItems=2)
        assert [v["Version"] for v in first["Versions"]] == ["$LATEST", "1"], first["Versions"]
        assert first.get("NextMarker"), "no NextMarker on a partial page"
        second = lam.list_versions_by_function(FunctionName=fname, MaxItems=2, Marker=first["NextMarker"])
        assert [v["Version"] for v in second["Versions"]] == ["2", "3"], second["Versions"]
        third = lam.list_versions_by_function(FunctionName=fname, MaxItems=2, Marker=second["NextMarker"])
        assert [v["Version"] for v in third["Versions"]] == ["4"] and not third.get("NextMarker"), third
        pages = lam.get_paginator("list_versions_by_function").paginate(FunctionName=fname, PaginationConfig={"PageSize": 3})
        assert [v["Description"] for p in pages for v in p["Versions"]][1:] == ["m512", "m640", "m768", "m896"]
        try:
            lam.list_versions_by_function(FunctionName=f"{fname}-missing")
            raise AssertionError("versions of a missing function listed")
        except lam.exceptions.ResourceNotFoundException:
            pass
    finally:
        _drop_api_function(aws, fname)


def check_lambda_invoke_qualifier(aws, name):
    fname = _api_image_function(aws, f"invq-{_uid()}")
    lam = aws("lambda")
    try:
        lam.publish_version(FunctionName=fname)
        lam.create_alias(FunctionName=fname, Name="live", FunctionVersion="1")
        lam.update_function_configuration(FunctionName=fname, MemorySize=1024)
        lam.publish_version(FunctionName=fname)
        for missing in ("7", "blue"):
            try:
                lam.invoke(FunctionName=fname, Qualifier=missing, Payload=b"{}")
                raise AssertionError(f"Invoke with the missing qualifier {missing} was not refused")
            except lam.exceptions.ResourceNotFoundException:
                pass
            except botocore.exceptions.ClientError as e:
                raise AssertionError(f"Invoke with the missing qualifier {missing} answered {e}") from e
        for qualifier, executed in (("1", "1"), ("2", "2"), ("live", "1")):
            r = lam.invoke(FunctionName=fname, Qualifier=qualifier, Payload=b'{"command": "about"}')
            got = r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-executed-version")
            assert got == executed, f"Qualifier={qualifier} ran version {got}"
        # a payload key named like the parameter is only payload
        r = lam.invoke(FunctionName=fname, Payload=b'{"qualifier": "7"}')
        assert r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-executed-version") == "$LATEST", r["ResponseMetadata"]
    finally:
        try:
            lam.delete_alias(FunctionName=fname, Name="live")
        finally:
            _drop_api_function(aws, fname)


def check_lambda_alias_versions(aws, name):
    fname = _api_image_function(aws, f"alias-{_uid()}")
    lam = aws("lambda")
    try:
        v1 = lam.publish_version(FunctionName=fname, Description="b1")["Version"]
        alias = lam.create_alias(FunctionName=fname, Name="live", FunctionVersion="$LATEST")
        lam.update_function_configuration(FunctionName=fname, MemorySize=1024)
        v2 = lam.publish_version(FunctionName=fname, Description="b2")["Version"]
        assert (v1, v2) == ("1", "2")
        moved = lam.update_alias(FunctionName=fname, Name="live", FunctionVersion=v1)
        assert moved["FunctionVersion"] == "1" and moved["AliasArn"] == alias["AliasArn"], moved
        assert lam.get_alias(FunctionName=fname, Name="live")["FunctionVersion"] == "1"
        live = lam.get_function(FunctionName=fname, Qualifier="live")["Configuration"]
        assert live["Version"] == "1" and live["MemorySize"] == 512 and live["Description"] == "b1", live
        lam.update_alias(FunctionName=fname, Name="live", FunctionVersion=v2)
        live = lam.get_function_configuration(FunctionName=fname, Qualifier="live")
        assert live["Version"] == "2" and live["MemorySize"] == 1024, live
        assert lam.get_function_configuration(FunctionName=fname, Qualifier="1")["MemorySize"] == 512
        try:
            lam.update_alias(FunctionName=fname, Name="live", FunctionVersion="9")
            raise AssertionError("alias moved to a missing version")
        except lam.exceptions.ResourceNotFoundException:
            pass
    finally:
        try:
            lam.delete_alias(FunctionName=fname, Name="live")
        finally:
            _drop_api_function(aws, fname)


def _s3_origin(bucket: str, **extra) -> dict:
    return {"Id": "assets", "DomainName": f"{bucket}.s3.{REGION}.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}, **extra}


def check_cloudfront_s3_origin_config(aws, name):
    cf = aws("cloudfront")
    uid = _uid()
    oac = cf.create_origin_access_control(OriginAccessControlConfig={
        "Name": f"oac-{uid}", "SigningProtocol": "sigv4", "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]["Id"]
    behavior = {"TargetOriginId": "assets", "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}
    api = {"CallerReference": f"s3o-{uid}", "Comment": "", "Enabled": True, "DefaultCacheBehavior": behavior,
           "Origins": {"Quantity": 1, "Items": [_s3_origin(f"a-{uid}", OriginAccessControlId=oac)]}}

    def origin(dist_id: str) -> dict:
        return cf.get_distribution_config(Id=dist_id)["DistributionConfig"]["Origins"]["Items"][0]

    # the direct API
    made = cf.create_distribution(DistributionConfig=api)
    dist_id = made["Distribution"]["Id"]
    try:
        assert made["Distribution"]["DistributionConfig"]["Origins"]["Items"][0].get("S3OriginConfig") == {"OriginAccessIdentity": ""}, made
        got = origin(dist_id)
        assert got.get("S3OriginConfig") == {"OriginAccessIdentity": ""}, f"S3OriginConfig dropped: {got}"
        assert got.get("OriginAccessControlId") == oac, got
        got = cf.get_distribution(Id=dist_id)["Distribution"]["DistributionConfig"]["Origins"]["Items"][0]
        assert got.get("S3OriginConfig") == {"OriginAccessIdentity": ""}, got
        cfg = cf.get_distribution_config(Id=dist_id)
        cfg["DistributionConfig"]["Comment"] = "v2"
        cf.update_distribution(Id=dist_id, IfMatch=cfg["ETag"], DistributionConfig=cfg["DistributionConfig"])
        got = origin(dist_id)
        assert got.get("S3OriginConfig") == {"OriginAccessIdentity": ""} and got.get("OriginAccessControlId") == oac, got
    finally:
        etag = cf.get_distribution(Id=dist_id)["ETag"]
        cf.delete_distribution(Id=dist_id, IfMatch=etag)
        cf.delete_origin_access_control(Id=oac, IfMatch=cf.get_origin_access_control(Id=oac)["ETag"])

    # through CloudFormation
    tpl = {"Resources": {
        "Oac": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {"OriginAccessControlConfig": {
            "Name": f"oac-cfn-{uid}", "OriginAccessControlOriginType": "s3", "SigningBehavior": "always", "SigningProtocol": "sigv4"}}},
        "Distribution": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
            "Enabled": True, "DefaultCacheBehavior": behavior,
            "Origins": [_s3_origin(f"c-{uid}", OriginAccessControlId={"Fn::GetAtt": ["Oac", "Id"]})]}}}},
        "Outputs": {"DistId": {"Value": {"Ref": "Distribution"}}}}
    with _Stack(aws, name, tpl) as s:
        dist_id = cfn.outputs(s.cfn.describe_stacks(StackName=s.id)["Stacks"][0])["DistId"]
        assert origin(dist_id).get("S3OriginConfig") == {"OriginAccessIdentity": ""}
        tpl2 = copy.deepcopy(tpl)
        tpl2["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["Comment"] = "v2"
        s.update(tpl2)
        assert origin(dist_id).get("S3OriginConfig") == {"OriginAccessIdentity": ""}


def check_logs_filter_log_events(aws, name):
    """FilterLogEvents: timestamp order across streams, complete paging, bad patterns refused."""
    logs = aws("logs")
    group = f"/aws/lambda/{name}-logs"
    logs.create_log_group(logGroupName=group)
    now = int(time.time() * 1000) - 60_000
    for stream, stamps in (("a", [0, 3, 4]), ("b", [1, 2, 5])):
        stamps = [now + t for t in stamps]
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": t, "message": f"{stream} {t}"} for t in stamps])
    events = logs.filter_log_events(logGroupName=group, startTime=0)["events"]
    assert [e["timestamp"] - now for e in events] == list(range(6)), events
    paged, token = [], None
    while True:
        page = logs.filter_log_events(logGroupName=group, startTime=0, limit=2,
                                      **({"nextToken": token} if token else {}))
        paged += [e["message"] for e in page["events"]]
        token = page.get("nextToken")
        if not token:
            break
    assert paged == [e["message"] for e in events], paged
    assert [e["message"] for e in logs.filter_log_events(
        logGroupName=group, startTime=0, filterPattern='"b "')["events"]] == [f"b {now + t}" for t in (1, 2, 5)]
    try:
        logs.filter_log_events(logGroupName=group, filterPattern='{ $.level = "error"')
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "InvalidParameterException", e.response
    else:
        raise AssertionError("a filter pattern that does not parse was accepted")


# name -> (check, whether plain moto 5.2.5 gets it wrong)
CHECKS = {
    "change_set_outputs": (check_change_set_outputs, True),
    "kms_key_policy_object": (check_kms_key_policy_object, True),
    "kms_disabled_key_refused": (check_kms_disabled_key_refused, True),
    "lambda_image_package_type": (check_lambda_image_package_type, True),
    "lambda_function_update": (check_lambda_function_update, True),
    "lambda_permission_lifecycle": (check_lambda_permission_lifecycle, True),
    "log_group_update": (check_log_group_update, True),
    "logs_filter_log_events": (check_logs_filter_log_events, True),
    "sqs_queue_update": (check_sqs_queue_update, True),
    "iam_role_update": (check_iam_role_update, True),
    "iam_role_inline_policy_json": (check_iam_role_inline_policy_json, True),
    "iam_role_managed_policy_arns": (check_iam_role_managed_policy_arns, True),
    "modify_without_update_handler": (check_modify_without_update_handler, True),
    "event_source_mapping_function_arn": (check_event_source_mapping_function_arn, True),
    "cloudfront_s3_origin_config": (check_cloudfront_s3_origin_config, True),
    "lambda_version_snapshot": (check_lambda_version_snapshot, True),
    "lambda_version_delete": (check_lambda_version_delete, True),
    "lambda_list_versions_pages": (check_lambda_list_versions_pages, True),
    "lambda_invoke_qualifier": (check_lambda_invoke_qualifier, True),
    "events_rule_update": (check_events_rule_update, False),
    "lambda_alias_versions": (check_lambda_alias_versions, False),
}
