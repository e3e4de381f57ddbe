"""Mends for moto 5.2.5 CloudFormation defects.

Each ``mend_*`` function patches one moto model class or backend method and
says in its docstring which moto behaviour it corrects. ``apply_all()`` runs
them all; ``MENDS`` lists them (the tests check each one against plain moto).
"""
import base64
import json
from typing import Any, Callable

MENDS: list = []


def mend(fn: Callable) -> Callable:
    MENDS.append(fn)
    return fn


def apply_all() -> None:
    for fn in MENDS:
        fn()


# --------------------------------------------------------------------------
# CloudFormation core


@mend
def mend_change_set_outputs() -> None:
    """Stacks created (or updated) by executing a change set get their Outputs.

    moto: ``ExecuteChangeSet`` applies the resources but never re-parses the
    stack template nor rebuilds the stack's output map, so a stack created by a
    CREATE change set has no Outputs, and an UPDATE change set leaves the old
    Outputs (and old description) in place.
    """
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.execute_change_set
    if getattr(original, "_hover_mended", False):
        return

    def execute_change_set(self, change_set_name: str, stack_name: Any = None) -> None:
        original(self, change_set_name, stack_name)
        change_set = self.change_sets.get(change_set_name)
        if change_set is None:
            for cs in self.change_sets.values():
                if cs.change_set_name == change_set_name:
                    change_set = cs
        if change_set is None:
            return
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        stack.output_map = stack._create_output_map()
        for export in stack.exports:
            self.exports[export.name] = export

    execute_change_set._hover_mended = True  # type: ignore[attr-defined]
    CloudFormationBackend.execute_change_set = execute_change_set


@mend
def mend_modify_without_update_handler() -> None:
    """A modified resource whose moto model has no update handler stays tracked.

    moto: on a Modify of a type without ``update_from_cloudformation_json``
    (e.g. KMS::Key, Lambda::LayerVersion), ``parse_and_update_resource``
    returns None and the stack forgets the resource: it is no longer listed,
    ``Ref``s to it vanish and DeleteStack leaves it behind. The original
    resource is kept instead.
    """
    from moto.cloudformation import parsing

    original = parsing.parse_and_update_resource
    if getattr(original, "_hover_mended", False):
        return

    def parse_and_update_resource(logical_id, resource_json, resources_map, account_id, region_name):
        new = original(logical_id, resource_json, resources_map, account_id, region_name)
        if new is None:
            return resources_map._parsed_resources.get(logical_id)
        return new

    parse_and_update_resource._hover_mended = True  # type: ignore[attr-defined]
    parsing.parse_and_update_resource = parse_and_update_resource


# --------------------------------------------------------------------------
# KMS


@mend
def mend_kms_key_policy_object() -> None:
    """AWS::KMS::Key accepts KeyPolicy as a JSON object (and no KeyPolicy).

    moto: stores the KeyPolicy object as-is, and a later DescribeKey /
    GetKeyPolicy fails with HTTP 500; a key without KeyPolicy makes
    ExecuteChangeSet fail (KeyError). KeyUsage and KeySpec are ignored too.
    Also adds updates (Description, Enabled, KeyPolicy, EnableKeyRotation).
    """
    from moto.kms.models import Key, kms_backends

    def _policy(props: dict) -> Any:
        policy = props.get("KeyPolicy")
        if isinstance(policy, (dict, list)):
            policy = json.dumps(policy)
        return policy  # None -> moto's default key policy

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json.get("Properties", {})
        backend = kms_backends[account_id][region_name]
        key = backend.create_key(
            policy=_policy(props),
            key_usage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
            key_spec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            description=props.get("Description"),
            tags=props.get("Tags", []),
            multi_region=bool(props.get("MultiRegion", False)),
        )
        key.key_rotation_status = bool(props.get("EnableKeyRotation", False))
        key.enabled = bool(props.get("Enabled", True))
        return key

    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json.get("Properties", {})
        key = original_resource
        key.description = props.get("Description", "")
        policy = _policy(props)
        key.policy = policy if policy is not None else key.generate_default_policy()
        key.key_rotation_status = bool(props.get("EnableKeyRotation", False))
        key.enabled = bool(props.get("Enabled", True))
        key.key_state = "Enabled" if key.enabled else "Disabled"
        return key

    Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    Key.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)


# --------------------------------------------------------------------------
# Lambda


_FUNCTION_CREATE_PROPS = (
    "Description", "MemorySize", "Timeout", "VpcConfig", "Environment",
    "ReservedConcurrentExecutions", "PackageType", "ImageConfig", "Architectures",
    "EphemeralStorage", "KmsKeyArn", "TracingConfig", "Layers", "Handler", "Runtime",
)


@mend
def mend_kms_disabled_key_refused() -> None:
    """moto: Encrypt, Decrypt and GenerateDataKey succeed with a disabled key or one pending
    deletion; AWS refuses them (``DisabledException`` / ``KMSInvalidStateException``), which is
    what hover's secrets commands must report without writing anything."""
    from moto.core.exceptions import JsonRESTError
    from moto.kms.models import KmsBackend

    if getattr(KmsBackend.encrypt, "_hover_mended", False):
        return
    encrypt = KmsBackend.encrypt
    decrypt = KmsBackend.decrypt

    def refuse(key: Any) -> None:
        if key.key_state == "Disabled":
            raise JsonRESTError("DisabledException", f"{key.arn} is disabled.")
        if key.key_state == "PendingDeletion":
            raise JsonRESTError("KMSInvalidStateException", f"{key.arn} is pending deletion.")

    def mended_encrypt(self, key_id: str, plaintext: bytes, encryption_context: dict):
        refuse(self.keys[self.any_id_to_key_id(key_id)])
        return encrypt(self, key_id, plaintext, encryption_context)

    def mended_decrypt(self, ciphertext_blob: bytes, encryption_context: dict, key_id=None):
        plaintext, arn = decrypt(self, ciphertext_blob, encryption_context, key_id)
        refuse(self.keys[self.any_id_to_key_id(arn)])
        return plaintext, arn

    mended_encrypt._hover_mended = True  # type: ignore[attr-defined]
    KmsBackend.encrypt = mended_encrypt
    KmsBackend.decrypt = mended_decrypt


@mend
def mend_lambda_image_package_type() -> None:
    """Image functions created through CloudFormation keep ``PackageType: Image``.

    moto: ``LambdaFunction.create_from_cloudformation_json`` copies only a few
    properties (not PackageType, ImageConfig, Architectures, EphemeralStorage,
    Tags), so an Image function reads back as ``PackageType: Zip`` from
    GetFunction although CreateFunction through the API keeps ``Image``.
    """
    from moto.awslambda.models import LambdaFunction, get_backend

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        spec: dict = {"Code": dict(props["Code"]), "FunctionName": resource_name, "Role": props["Role"]}
        for prop in _FUNCTION_CREATE_PROPS:
            if prop in props:
                spec[prop] = props[prop]
        if "KmsKeyArn" in spec:
            spec["KMSKeyArn"] = spec.pop("KmsKeyArn")
        if props.get("Tags"):
            spec["Tags"] = {t["Key"]: t["Value"] for t in props["Tags"]}
        if "ZipFile" in spec["Code"]:
            spec["Code"]["ZipFile"] = base64.b64encode(cls._create_zipfile_from_plaintext_code(spec["Code"]["ZipFile"]))
        if "ImageUri" in spec["Code"]:
            spec.setdefault("PackageType", "Image")
        return get_backend(account_id, region_name).create_function(spec)

    LambdaFunction.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


@mend
def mend_lambda_function_update() -> None:
    """Function updates reach the live function, including removals.

    moto: ``LambdaFunction.update_from_cloudformation_json`` ignores
    ReservedConcurrentExecutions, ImageConfig, Architectures and
    EphemeralStorage, and a property removed from the template (VpcConfig,
    Environment, ReservedConcurrentExecutions, MemorySize, Timeout...) keeps
    its old value on the function.
    """
    from moto.awslambda.models import ImageConfig, LambdaFunction, get_backend

    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json["Properties"]
        fn = original_resource
        backend = get_backend(account_id, region_name)
        fn.description = props.get("Description", "")
        fn.memory_size = int(props.get("MemorySize", 128))
        fn.timeout = int(props.get("Timeout", 3))
        fn.role = props["Role"]
        fn.environment_vars = (props.get("Environment") or {}).get("Variables", {}) or {}
        vpc = props.get("VpcConfig")
        fn._vpc_config = vpc if vpc and (vpc.get("SubnetIds") or vpc.get("SecurityGroupIds")) else None
        if props.get("Handler") is not None:
            fn.handler = props["Handler"]
        if props.get("Runtime") is not None:
            fn.run_time = props["Runtime"]
        if "ImageConfig" in props or fn.package_type == "Image":
            fn.image_config = ImageConfig(props.get("ImageConfig") or {})
        if "Architectures" in props:
            fn.architectures = props["Architectures"]
        fn.ephemeral_storage = (props.get("EphemeralStorage") or {}).get("Size", 512)
        if props.get("ReservedConcurrentExecutions") is not None:
            backend.put_function_concurrency(fn.function_name, int(props["ReservedConcurrentExecutions"]))
        else:
            backend.delete_function_concurrency(fn.function_name)
        if props.get("Tags") is not None:
            fn.tags = {t["Key"]: t["Value"] for t in props["Tags"]}
        fn.code_or_config_updated = True
        fn.update_function_code(dict(props["Code"]))
        return fn

    LambdaFunction.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)


@mend
def mend_lambda_permission_lifecycle() -> None:
    """Removing (or replacing) an AWS::Lambda::Permission removes its statement.

    moto: the Permission model has no physical id, no delete and no update,
    so a Permission removed from the template (or the stack deleted) leaves
    its statement in the function policy, and a modified Permission is
    forgotten by the stack. The statement id is also the raw property dict.
    """
    from moto.awslambda.models import Permission, get_backend
    from moto.moto_api._internal import mock_random

    def _statement(props: dict, sid: str) -> dict:
        statement = {"StatementId": sid, "Action": props["Action"], "Principal": props["Principal"]}
        for key in ("SourceArn", "SourceAccount", "EventSourceToken", "PrincipalOrgID", "FunctionUrlAuthType"):
            if props.get(key) is not None:
                statement[key] = props[key]
        return statement

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        backend = get_backend(account_id, region_name)
        fn = backend.get_function(props["FunctionName"])
        sid = f"{kwargs.get('LogicalId', 'Permission')}-{mock_random.get_random_hex(10)}"
        fn.policy.add_statement(raw=json.dumps(_statement(props, sid)))
        permission = Permission(region=region_name)
        permission.account_id = account_id
        permission.function_name = props["FunctionName"]
        permission.sid = sid
        return permission

    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name,
            LogicalId=getattr(original_resource, "logical_resource_id", "Permission"),
        )

    def delete(self, account_id, region_name):
        sid = getattr(self, "sid", None)
        if sid is None:
            return
        try:
            fn = get_backend(account_id, region_name).get_function(self.function_name)
            fn.policy.del_statement(sid)
        except Exception:  # function or statement already gone
            pass

    def physical_resource_id(self):
        return getattr(self, "sid", None)

    Permission.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    Permission.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)
    Permission.delete = delete
    Permission.physical_resource_id = property(physical_resource_id)


def _split_function_name(value: str) -> tuple:
    """A Lambda FunctionName parameter (name, ``name:qualifier``, full or
    partial ARN, qualified or not) -> (name, qualifier or None)."""
    parts = value.split(":")
    if value.startswith("arn:"):
        parts = parts[6:]  # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:Q]
    elif len(parts) >= 3 and parts[1] == "function":
        parts = parts[2:]  # ACCOUNT:function:NAME[:Q]
    return parts[0], (parts[1] if len(parts) > 1 and parts[1] else None)


@mend
def mend_event_source_mapping_function_arn() -> None:
    """Event source mappings on a qualified function keep the qualified FunctionArn.

    moto: ``create_event_source_mapping`` (the API and AWS::Lambda::EventSourceMapping)
    resolves ``FunctionName`` = an alias ARN (or ``NAME:alias``, or a version)
    to the function and stores its *unqualified* ARN as ``FunctionArn``; a
    CloudFormation update (which passes FunctionName again) resets it the
    same way. ``ListEventSourceMappings(FunctionName=...)`` compares the
    parameter with the exact string the mapping was created with, so a
    mapping made with an alias ARN is not found by ``NAME:alias`` and one made
    with a name is not found by its ARN. On AWS the FunctionArn is the
    qualified ARN, and the filter matches the (qualified or unqualified)
    function the parameter names.
    """
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda.utils import make_function_arn

    if getattr(LambdaBackend.create_event_source_mapping, "_hover_mended", False):
        return
    create = LambdaBackend.create_event_source_mapping
    update = LambdaBackend.update_event_source_mapping

    def _arn(backend, function_name: str) -> str:
        name, qualifier = _split_function_name(function_name)
        arn = make_function_arn(backend.region_name, backend.account_id, name)
        return f"{arn}:{qualifier}" if qualifier else arn

    def create_event_source_mapping(self, spec: dict):
        esm = create(self, spec)
        esm.function_arn = _arn(self, str(spec["FunctionName"]))
        return esm

    def update_event_source_mapping(self, uuid: str, spec: dict):
        esm = update(self, uuid, spec)
        if esm is not None and spec.get("FunctionName"):
            esm.function_name = spec["FunctionName"]
            esm.function_arn = _arn(self, str(spec["FunctionName"]))
        return esm

    def list_event_source_mappings(self, event_source_arn: str, function_name: str):
        esms = list(self._event_source_mappings.values())
        if event_source_arn:
            esms = [m for m in esms if m.event_source_arn == event_source_arn]
        if function_name:
            wanted = _arn(self, function_name)
            esms = [m for m in esms if m.function_arn == wanted]
        return esms

    create_event_source_mapping._hover_mended = True  # type: ignore[attr-defined]
    LambdaBackend.create_event_source_mapping = create_event_source_mapping
    LambdaBackend.update_event_source_mapping = update_event_source_mapping
    LambdaBackend.list_event_source_mappings = list_event_source_mappings


# Versions, aliases and Invoke

# Attributes of a function that a published version must own, not share with
# $LATEST (moto's copy.copy shares these containers).
_VERSION_OWN_ATTRIBUTES = ("code", "environment_vars", "_vpc_config", "image_config", "layers", "tracing_config", "_architectures")


@mend
def mend_lambda_version_snapshot() -> None:
    """A published version keeps the code and configuration it was published with.

    moto: ``PublishVersion`` makes the version with ``copy.copy`` of $LATEST,
    so the version shares $LATEST's ``Code`` dict (and environment, VPC and
    image configuration containers): a later ``UpdateFunctionCode`` or a
    CloudFormation update of ``ImageUri`` changes ``Code.ImageUri`` of every
    published version (``GetFunction(Qualifier=N)``). Also, the first publish
    does not clear the "changed since the last version" flag, so publishing
    again without a change makes a new version instead of answering the last
    one.
    """
    import copy

    from moto.awslambda.models import LambdaStorage

    if getattr(LambdaStorage.publish_version, "_hover_mended", False):
        return

    def publish_version(self, name_or_arn: str, description: str = ""):
        function = self.get_function_by_name_or_arn_forbid_qualifier(name_or_arn)
        group = self._functions.get(function.function_name)
        if not group or not group["latest"]:
            return None
        latest = group["latest"]
        versions = group["versions"]
        if versions and not latest.code_or_config_updated:
            return versions[-1]  # nothing changed since the last version
        latest.code_or_config_updated = False
        number = max([int(v.version) for v in versions] + [group.get("hover_last_version", 0)]) + 1
        group["hover_last_version"] = number
        fn = copy.copy(latest)
        for attr in _VERSION_OWN_ATTRIBUTES:
            if hasattr(latest, attr):
                setattr(fn, attr, copy.deepcopy(getattr(latest, attr)))
        fn.set_version(number)
        if description:
            fn.description = description
        versions.append(fn)
        self._arns[fn.function_arn] = fn
        return fn

    publish_version._hover_mended = True  # type: ignore[attr-defined]
    LambdaStorage.publish_version = publish_version


@mend
def mend_lambda_version_delete() -> None:
    """Deleting a version never frees its number, and an aliased version is kept.

    moto: ``PublishVersion`` numbers a new version ``len(versions) + 1``, so
    after ``DeleteFunction(Qualifier=N)`` of an older version the next publish
    reuses an existing number (two versions ``2``); and a version an alias
    points to is deleted, leaving the alias dangling. AWS never reuses a
    version number (the number counter lives in ``mend_lambda_version_snapshot``,
    this mend remembers the highest number before a delete) and refuses to
    delete a version an alias references (ResourceConflictException).
    """
    import re

    from moto.awslambda.exceptions import LambdaClientError
    from moto.awslambda.models import LambdaStorage
    from moto.utilities.utils import ARN_PARTITION_REGEX

    if getattr(LambdaStorage.del_function, "_hover_mended", False):
        return
    original = LambdaStorage.del_function

    class ResourceConflict(LambdaClientError):
        code = 409

        def __init__(self, message: str) -> None:
            super().__init__("ResourceConflictException", message)

    def del_function(self, name_or_arn: str, qualifier: Any = None) -> None:
        if re.match(ARN_PARTITION_REGEX, name_or_arn):
            if ":" in name_or_arn.split(":function:")[-1]:
                qualifier = name_or_arn.split(":")[-1]
        elif ":" in name_or_arn:
            qualifier = name_or_arn.split(":")[1]
        if qualifier and qualifier != "$LATEST":
            function = self.get_function_by_name_or_arn_with_qualifier(name_or_arn, qualifier)
            name = function.function_name
            referencing = sorted(a.name for a in self._get_function_aliases(name).values()
                                 if str(a.function_version) == str(function.version))
            if referencing:
                raise ResourceConflict(
                    f"Unable to delete version because the following aliases reference it: [{', '.join(referencing)}]")
            group = self._functions[name]
            group["hover_last_version"] = max(
                [int(v.version) for v in group["versions"]] + [group.get("hover_last_version", 0)])
        original(self, name_or_arn, qualifier)

    del_function._hover_mended = True  # type: ignore[attr-defined]
    LambdaStorage.del_function = del_function


@mend
def mend_lambda_list_versions_pages() -> None:
    """ListVersionsByFunction pages its answer (MaxItems, Marker, NextMarker).

    moto: ``ListVersionsByFunction`` ignores ``MaxItems`` and ``Marker`` and
    answers every version at once without ``NextMarker``; AWS answers at most
    ``MaxItems`` (default 50) versions per page, and a ``NextMarker`` to
    continue from. An unknown function answers ResourceNotFoundException (moto
    answers an empty list).
    """
    from urllib.parse import unquote

    from moto.awslambda.responses import LambdaResponse

    if getattr(LambdaResponse.list_versions_by_function, "_hover_mended", False):
        return

    def list_versions_by_function(self) -> str:
        function_name = unquote(self.path.split("?")[0].rstrip("/").split("/")[-2])
        self.backend.get_function(function_name)  # ResourceNotFoundException when missing
        try:
            max_items = max(1, min(10000, int(self.querystring.get("MaxItems", ["50"])[0])))
        except ValueError:
            max_items = 50
        marker = self.querystring.get("Marker", [None])[0]
        configs = [fn.get_configuration() for fn in self.backend.list_versions_by_function(function_name)]
        for config in configs[:1]:
            config["Version"] = "$LATEST"
        start = 0
        if marker:
            for i, config in enumerate(configs):
                if config["Version"] == marker:
                    start = i + 1
        page = configs[start:start + max_items]
        result: dict = {"Versions": page}
        if start + max_items < len(configs):
            result["NextMarker"] = page[-1]["Version"]
        return json.dumps(result)

    list_versions_by_function._hover_mended = True  # type: ignore[attr-defined]
    LambdaResponse.list_versions_by_function = list_versions_by_function


@mend
def mend_lambda_invoke_qualifier() -> None:
    """Invoke honours its ``Qualifier`` query parameter.

    moto: ``Invoke`` reads the qualifier as ``qualifier`` (lowercase) from
    the query string or, failing that, from the JSON *payload*, so
    ``Invoke(FunctionName=F, Qualifier="live")`` runs $LATEST, an unknown
    version or alias is not refused, and a payload with a ``qualifier`` key
    picks the version. AWS reads ``Qualifier`` from the query string, and
    answers ResourceNotFoundException (404) for a version or alias that does
    not exist. (A qualifier in the function name or ARN already works.)
    """
    from moto.awslambda.responses import LambdaResponse

    original = LambdaResponse.invoke
    if getattr(original, "_hover_mended", False):
        return

    def invoke(self):
        self.querystring["qualifier"] = self.querystring.get("Qualifier") or [None]
        return original(self)

    invoke._hover_mended = True  # type: ignore[attr-defined]
    LambdaResponse.invoke = invoke


# --------------------------------------------------------------------------
# Logs


@mend
def mend_log_group_update() -> None:
    """AWS::Logs::LogGroup updates (RetentionInDays) reach the log group.

    moto: LogGroup has no update handler: a retention change is dropped, and
    the stack forgets the log group after the update.
    """
    from moto.logs.models import LogGroup, logs_backends

    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json.get("Properties", {})
        backend = logs_backends[account_id][region_name]
        if new_resource_name != original_resource.name:  # LogGroupName changed: replacement
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        if props.get("RetentionInDays") is not None:
            backend.put_retention_policy(original_resource.name, int(props["RetentionInDays"]))
        else:
            backend.delete_retention_policy(original_resource.name)
        return original_resource

    LogGroup.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)


_JSON_PATTERN = None


def filter_pattern_problem(pattern: str):
    """Why CloudWatch Logs would refuse ``pattern``, or None when it parses.

    Checks the syntax FilterLogEvents parses before it searches: quotes closed,
    ``{ }`` and ``[ ]`` balanced, and a JSON pattern made of ``$.selector``
    comparisons (``=``, ``!=``, ``<``, ``>``, ``<=``, ``>=``, ``IS``, ``NOT
    EXISTS``) each with a value.
    """
    import re

    global _JSON_PATTERN
    if _JSON_PATTERN is None:
        value = r'("(?:[^"\\]|\\.)*"|[^\s&|(){}"]+)'
        comparison = rf"\$[.\[][^\s=!<>]*\s*(?:(?:=|!=|<=|>=|<|>)\s*{value}|IS\s+{value}|NOT\s+EXISTS)"
        term = rf"\(*\s*{comparison}\s*\)*"
        _JSON_PATTERN = re.compile(rf"^\{{\s*{term}(?:\s*(?:&&|\|\|)\s*{term})*\s*\}}$")
    text = pattern.strip()
    if text.count('"') % 2:
        return "Invalid filter pattern: a quoted phrase is not closed"
    depth = {"{": 0, "[": 0}
    closing = {"}": "{", "]": "["}
    quoted = False
    for c in text:
        if c == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif c in depth:
            depth[c] += 1
        elif c in closing:
            depth[closing[c]] -= 1
            if depth[closing[c]] < 0:
                return f"Invalid filter pattern: unexpected '{c}'"
    if any(depth.values()):
        return "Invalid filter pattern: unbalanced brackets"
    if text.startswith("{") and not _JSON_PATTERN.match(text):
        return "Invalid filter pattern: a JSON pattern is { $.selector = value } comparisons joined by && or ||"
    return None


@mend
def mend_logs_filter_log_events() -> None:
    """FilterLogEvents as CloudWatch Logs answers it.

    moto: a filter pattern that does not parse is never refused (it matches
    every event, where AWS answers ``InvalidParameterException``); events of a
    log group come stream after stream unless the deprecated ``interleaved``
    flag is sent, where AWS always returns them in timestamp order across
    streams; each page re-parses the pattern for every event and looks its
    token up by scanning from the start, so paging a large log group takes
    minutes. Here the pattern is checked and parsed once, events are merged by
    (timestamp, event id), and a token names the last event returned.
    """
    import heapq

    from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
    from moto.logs.models import LogsBackend
    from moto.logs.utils import EventMessageFilter

    def filter_log_events(self, log_group_name, log_stream_names, start_time, end_time, limit,
                          next_token, filter_pattern, interleaved):  # noqa: ARG001 - always interleaved
        if log_group_name not in self.groups:
            raise ResourceNotFoundException()
        if limit and limit > 10000:
            raise InvalidParameterException(constraint="Member must have value less than or equal to 10000",
                                            parameter="limit", value=limit)
        problem = filter_pattern_problem(filter_pattern or "")
        if problem:
            raise InvalidParameterException(msg=problem)
        limit = limit or 10000
        after = None
        if next_token:
            try:
                group, ts, event_id = next_token.rsplit("@", 2)
                if group != log_group_name:
                    raise ValueError(group)
                after = (int(ts), int(event_id))
            except ValueError:
                return [], None, []
        matcher = EventMessageFilter(filter_pattern or "")
        streams = [stream for name, stream in self.groups[log_group_name].streams.items()
                   if not log_stream_names or name in log_stream_names]

        def candidates():
            for stream in streams:
                for event in stream.events:
                    key = (event.timestamp, int(event.event_id))
                    if start_time and event.timestamp < start_time:
                        continue
                    if end_time and event.timestamp > end_time:
                        continue
                    if after is not None and key <= after:
                        continue
                    if matcher.matches(event.message):
                        yield key, stream.log_stream_name, event

        page = heapq.nsmallest(limit + 1, candidates(), key=lambda c: c[0])
        more = len(page) > limit
        page = page[:limit]
        events = []
        for _, stream_name, event in page:
            item = event.to_filter_dict()
            item["logStreamName"] = stream_name
            events.append(item)
        token = None
        if more and page:
            ts, event_id = page[-1][0]
            token = f"{log_group_name}@{ts}@{event_id}"
        searched = [{"logStreamName": s.log_stream_name, "searchedCompletely": True} for s in streams]
        return events, token, searched

    LogsBackend.filter_log_events = filter_log_events


# --------------------------------------------------------------------------
# SQS


_QUEUE_DEFAULTS = {
    "DelaySeconds": 0,
    "MaximumMessageSize": 262144,
    "MessageRetentionPeriod": 345600,
    "ReceiveMessageWaitTimeSeconds": 0,
    "VisibilityTimeout": 30,
}


@mend
def mend_sqs_queue_update() -> None:
    """AWS::SQS::Queue updates reach the queue (RedrivePolicy, MessageRetentionPeriod...).

    moto: ``Queue.update_from_cloudformation_json`` applies only
    VisibilityTimeout and ReceiveMessageWaitTimeSeconds; MessageRetentionPeriod,
    RedrivePolicy, DelaySeconds, MaximumMessageSize are dropped, and removed
    properties keep their old values.
    """
    from moto.sqs.models import Queue, sqs_backends

    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json.get("Properties", {})
        backend = sqs_backends[account_id][region_name]
        if "QueueName" in props and str(props["QueueName"]) != original_resource.name:  # replacement
            backend.delete_queue(original_resource.name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        queue = backend.get_queue(original_resource.name)
        attributes: dict = {k: props.get(k, default) for k, default in _QUEUE_DEFAULTS.items()}
        queue._set_attributes(attributes)
        redrive = props.get("RedrivePolicy")
        queue._setup_dlq(redrive if redrive else {})
        for key in ("KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"):
            if key in props:
                queue._set_attributes({key: props[key]})
        return queue

    Queue.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)


# --------------------------------------------------------------------------
# IAM


@mend
def mend_iam_role_update() -> None:
    """AWS::IAM::Role updates reach the role's inline policies and trust policy.

    moto: ``Role.update_from_cloudformation_json`` only updates the description
    (and reads MaxSessionDuration from the wrong property): changed, added or
    removed inline ``Policies`` and a changed ``AssumeRolePolicyDocument`` are
    dropped.
    """
    from moto.iam.models import Role, iam_backends
    from moto.utilities.utils import get_partition

    original = Role.update_from_cloudformation_json.__func__

    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        props = cloudformation_json.get("Properties", {})
        role = original(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        backend = iam_backends[account_id][get_partition(region_name)]
        if props.get("MaxSessionDuration") is not None:
            role.max_session_duration = int(props["MaxSessionDuration"])
        trust = props.get("AssumeRolePolicyDocument")
        if trust is not None:
            backend.update_assume_role_policy(role.name, json.dumps(trust) if not isinstance(trust, str) else trust)
        wanted = {p["PolicyName"]: p["PolicyDocument"] for p in props.get("Policies") or []}
        for name in list(role.policies.keys()):
            if name not in wanted:
                role.delete_policy(name)
        for name, doc in wanted.items():
            role.put_policy(name, json.dumps(doc) if not isinstance(doc, str) else doc)
        return role

    Role.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)


@mend
def mend_iam_role_inline_policy_json() -> None:
    """Inline policies of an AWS::IAM::Role read back as URL-encoded JSON.

    moto: ``Role.create_from_cloudformation_json`` stores each ``Policies``
    document as the template's object, not as JSON text, so GetRolePolicy
    answers its Python repr (``{'Version': '2012-10-17', ...}``), neither JSON
    nor URL-encoded. Policies put through the API read back as AWS answers
    them: URL-encoded JSON. The documents are stored as JSON text instead.
    """
    from moto.iam.models import Role

    original = Role.create_from_cloudformation_json.__func__
    if getattr(original, "_hover_mended_policy_json", False):
        return

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        role = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        for name, doc in list(role.policies.items()):
            if not isinstance(doc, str):
                role.policies[name] = json.dumps(doc)
        return role

    create_from_cloudformation_json._hover_mended_policy_json = True  # type: ignore[attr-defined]
    Role.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


@mend
def mend_iam_role_managed_policy_arns() -> None:
    """AWS::IAM::Role ManagedPolicyArns are attached, kept in step and detached.

    moto: ``Role.create_from_cloudformation_json`` and the update ignore
    ``ManagedPolicyArns``, so ListAttachedRolePolicies answers nothing for a
    role whose template attaches managed policies. Now they are attached on
    create, attached and detached to match on update, and detached before the
    role is deleted (moto, like AWS, refuses to delete a role with attached
    policies).
    """
    from moto.iam.models import Role, iam_backends
    from moto.utilities.utils import get_partition

    create = Role.create_from_cloudformation_json.__func__
    if getattr(create, "_hover_mended_managed", False):
        return
    update = Role.update_from_cloudformation_json.__func__
    delete = Role.delete_from_cloudformation_json.__func__

    def _sync(role, props: dict, account_id: str, region_name: str) -> None:
        backend = iam_backends[account_id][get_partition(region_name)]
        wanted = [str(arn) for arn in props.get("ManagedPolicyArns") or []]
        for arn in list(role.managed_policies):
            if arn not in wanted:
                backend.detach_role_policy(arn, role.name)
        for arn in wanted:
            if arn not in role.managed_policies:
                backend.attach_role_policy(arn, role.name)

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        role = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        _sync(role, cloudformation_json.get("Properties", {}), account_id, region_name)
        return role

    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        role = update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        _sync(role, cloudformation_json.get("Properties", {}), account_id, region_name)
        return role

    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        backend = iam_backends[account_id][get_partition(region_name)]
        for role in list(backend.roles.values()):
            if role.name == resource_name:
                for arn in list(role.managed_policies):
                    backend.detach_role_policy(arn, role.name)
        return delete(cls, resource_name, cloudformation_json, account_id, region_name)

    create_from_cloudformation_json._hover_mended_managed = True  # type: ignore[attr-defined]
    Role.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
    Role.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)
    Role.delete_from_cloudformation_json = classmethod(delete_from_cloudformation_json)


# --------------------------------------------------------------------------
# CloudFront


@mend
def mend_cloudfront_s3_origin_config() -> None:
    """CloudFront origins read back their S3OriginConfig (and OriginAccessControlId).

    moto: the cloudfront ``Origin`` model keeps ``S3OriginConfig`` only as an
    unused ``s3_access_identity`` attribute, so GetDistribution,
    GetDistributionConfig, CreateDistribution and UpdateDistribution answer
    without ``S3OriginConfig`` -- also for ``{OriginAccessIdentity: ""}``, the
    shape of an S3 origin that uses an origin access control -- and without
    the origin's ``OriginAccessControlId``.
    """
    from moto.cloudfront.models import Origin

    original = Origin.__init__
    if getattr(original, "_hover_mended", False):
        return

    def __init__(self, origin: dict) -> None:
        original(self, origin)
        if "S3OriginConfig" in origin:
            identity = (origin["S3OriginConfig"] or {}).get("OriginAccessIdentity")
            self.s3_origin_config = {"OriginAccessIdentity": identity or ""}
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""

    __init__._hover_mended = True  # type: ignore[attr-defined]
    Origin.__init__ = __init__
