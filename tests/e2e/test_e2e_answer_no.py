"""A changing command asked at a terminal and answered "no" writes nothing: `hover deploy` of a new
stage and of a deployed one with a change (after its build, the plan is shown and refused), `hover
stage purge`, `hover apply`, `hover rollback` and `hover destroy`. The emulator counts every
request (GET /hover-compat/requests): none may be a write, by action name against the lists
below, and the account reads back as it was (stacks, change sets, repositories and their images,
buckets and their objects, keys and aliases, functions, versions and aliases, queues)."""
import os
import subprocess
import threading
import time

import pytest

from test_e2e_deploy import app, builder_env, deploy, post  # noqa: F401
from test_e2e_noop import counter

# Every action hover may make while it reads and plans. An action in neither list fails the test
# as unclassified, so a new call is looked at rather than passed over.
READS = {
    "apigatewayv2": {"GetApis", "GetIntegrations", "GetRoutes", "GetStages", "GetApi", "GetDomainNames", "GetApiMappings"},
    "cloudformation": {"DescribeStacks", "DescribeStackEvents", "DescribeStackResources", "ListStackResources",
                       "DescribeChangeSet", "ListChangeSets", "GetTemplate", "GetTemplateSummary"},
    "cloudfront": {"ListDistributions", "GetDistribution", "GetDistributionConfig", "ListOriginAccessControls",
                   "GetOriginAccessControl"},
    "ecr": {"DescribeRepositories", "DescribeImages", "ListImages", "GetLifecyclePolicy", "GetRepositoryPolicy"},
    "events": {"DescribeRule", "ListTargetsByRule", "ListRules"},
    "iam": {"GetRole", "GetRolePolicy", "ListAttachedRolePolicies", "ListRolePolicies"},
    "kms": {"DescribeKey", "ListAliases", "ListKeys", "GetKeyRotationStatus", "ListResourceTags", "GetKeyPolicy",
            "Decrypt"},
    "lambda": {"GetFunction", "GetFunctionConfiguration", "GetAlias", "ListAliases", "ListVersionsByFunction",
               "ListEventSourceMappings", "GetEventSourceMapping", "GetPolicy", "GetAccountSettings",
               "GetFunctionConcurrency", "ListFunctions"},
    "logs": {"DescribeLogGroups"},
    "s3": {"HeadBucket", "GetObject", "HeadObject", "ListObjectsV2", "ListObjects", "GetBucketPolicy",
           "GetPublicAccessBlock", "GetBucketEncryption", "GetBucketLocation", "ListObjectVersions"},
    "sqs": {"GetQueueUrl", "GetQueueAttributes", "ListQueues", "ListQueueTags"},
    "sts": {"GetCallerIdentity"},
}
# The mutating actions of the same services, hover's and others' (what must never be counted here).
WRITES = {
    "apigatewayv2": {"CreateApi", "UpdateApi", "DeleteApi", "CreateIntegration", "UpdateIntegration", "CreateRoute",
                     "UpdateRoute", "DeleteRoute", "CreateStage", "UpdateStage", "DeleteStage", "TagResource"},
    "cloudformation": {"CreateChangeSet", "ExecuteChangeSet", "DeleteChangeSet", "CreateStack", "UpdateStack",
                       "DeleteStack", "CancelUpdateStack", "ContinueUpdateRollback", "SetStackPolicy"},
    "cloudfront": {"CreateDistribution", "UpdateDistribution", "DeleteDistribution", "CreateInvalidation",
                   "CreateOriginAccessControl", "UpdateOriginAccessControl", "TagResource"},
    "ecr": {"CreateRepository", "DeleteRepository", "PutImage", "BatchDeleteImage", "PutImageTagMutability",
            "PutLifecyclePolicy", "SetRepositoryPolicy", "InitiateLayerUpload", "UploadLayerPart",
            "CompleteLayerUpload", "GetAuthorizationToken", "TagResource"},
    "events": {"PutRule", "PutTargets", "DeleteRule", "RemoveTargets", "EnableRule", "DisableRule"},
    "iam": {"CreateRole", "DeleteRole", "PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy",
            "UpdateAssumeRolePolicy", "TagRole"},
    "kms": {"CreateKey", "CreateAlias", "DeleteAlias", "UpdateAlias", "ScheduleKeyDeletion", "EnableKey",
            "DisableKey", "EnableKeyRotation", "PutKeyPolicy", "UpdateKeyDescription", "TagResource",
            "GenerateDataKey", "Encrypt"},
    "lambda": {"CreateFunction", "DeleteFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration",
               "PublishVersion", "CreateAlias", "UpdateAlias", "DeleteAlias", "Invoke", "PutFunctionConcurrency",
               "DeleteFunctionConcurrency", "CreateEventSourceMapping", "UpdateEventSourceMapping",
               "DeleteEventSourceMapping", "AddPermission", "RemovePermission", "TagResource"},
    "logs": {"CreateLogGroup", "DeleteLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy"},
    "s3": {"CreateBucket", "DeleteBucket", "PutObject", "DeleteObject", "DeleteObjects", "CopyObject",
           "PutPublicAccessBlock", "PutBucketPolicy", "PutBucketEncryption", "PutBucketTagging",
           "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"},
    "sqs": {"CreateQueue", "DeleteQueue", "SetQueueAttributes", "PurgeQueue", "SendMessage", "SendMessageBatch",
            "DeleteMessage", "ReceiveMessage", "ChangeMessageVisibilityBatch", "StartMessageMoveTask", "TagQueue"},
    "sts": {"AssumeRole"},
}


def classify(counts):
    """The counted actions split into (reads, writes, unclassified)."""
    reads, writes, other = {}, {}, {}
    for key, n in counts.items():
        service, _, action = key.partition(":")
        if action in READS.get(service, ()):
            reads[key] = n
        elif action in WRITES.get(service, ()):
            writes[key] = n
        else:
            other[key] = n
    return reads, writes, other


def test_the_lists_classify_a_write_and_an_unknown_call():
    reads, writes, other = classify({"s3:HeadBucket": 1, "s3:PutObject": 2, "lambda:Frobnicate": 1})
    assert (reads, writes, other) == ({"s3:HeadBucket": 1}, {"s3:PutObject": 2}, {"lambda:Frobnicate": 1})
    assert not any(READS[s] & WRITES.get(s, set()) for s in READS), "an action is both a read and a write"


def at_terminal(s, *args, answer, prompt="Enter a value:", env=None):
    """Runs hover with a terminal (a pty) as its standard input, waits for `prompt` on its output,
    types `answer` and a newline. Returns (exit code, stdout, stderr)."""
    master, slave = os.openpty()
    full_env = dict(os.environ, NO_COLOR="1", **(env or {}))
    full_env.pop("AWS_PROFILE", None)
    proc = subprocess.Popen(
        [s.hover_bin, "--no-color", "--dir", str(s.dir), *args],
        stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env,
    )
    os.close(slave)
    out, err = [], []

    def pump(stream, into):
        for chunk in iter(lambda: stream.read1(4096), b""):
            into.append(chunk.decode(errors="replace"))

    readers = [threading.Thread(target=pump, args=(proc.stdout, out), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, err), daemon=True)]
    for t in readers:
        t.start()
    deadline = time.time() + 180
    try:
        while prompt not in "".join(out):
            if proc.poll() is not None or time.time() > deadline:
                raise AssertionError(f"no prompt {prompt!r} (exit {proc.poll()}):\n{''.join(out)}\n{''.join(err)}")
            time.sleep(0.05)
        os.write(master, answer.encode() + b"\n")
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        for t in readers:
            t.join(timeout=10)
        os.close(master)
    return code, "".join(out), "".join(err)


def account(aws):
    """What the account holds, read back: everything a hover command could write to."""
    cfn, lam, s3, ecr, kms, sqs = aws.cloudformation, aws.lambda_, aws.s3, aws.ecr, aws.kms, aws.sqs
    stacks = {}
    for st in cfn.describe_stacks()["Stacks"]:
        name = st["StackName"]
        stacks[name] = {
            "status": st["StackStatus"],
            "updated": str(st.get("LastUpdatedTime")),
            "template": cfn.get_template(StackName=name)["TemplateBody"],
            "change_sets": sorted(c["ChangeSetName"] for c in cfn.list_change_sets(StackName=name)["Summaries"]),
        }
    functions = {}
    for f in lam.list_functions()["Functions"]:
        name = f["FunctionName"]
        functions[name] = {
            "config": {k: f.get(k) for k in ("MemorySize", "Timeout", "Environment", "CodeSha256", "LastModified")},
            "versions": sorted(v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]),
            "aliases": sorted((a["Name"], a["FunctionVersion"]) for a in lam.list_aliases(FunctionName=name)["Aliases"]),
        }
    buckets = {}
    for b in s3.list_buckets()["Buckets"]:
        listing = s3.list_objects_v2(Bucket=b["Name"]).get("Contents", [])
        buckets[b["Name"]] = sorted((o["Key"], o["ETag"]) for o in listing)
    repositories = {}
    for r in ecr.describe_repositories()["repositories"]:
        images = ecr.list_images(repositoryName=r["repositoryName"])["imageIds"]
        repositories[r["repositoryName"]] = sorted(i.get("imageTag", "") for i in images)
    return {
        "stacks": stacks,
        "functions": functions,
        "buckets": buckets,
        "repositories": repositories,
        "keys": sorted(k["KeyId"] for k in kms.list_keys()["Keys"]),
        "key_aliases": sorted((a["AliasName"], a.get("TargetKeyId")) for a in kms.list_aliases()["Aliases"]),
        "queues": sorted(sqs.list_queues().get("QueueUrls", [])),
    }


def refused_writes_nothing(s, endpoint, *args, prompt="Enter a value:", answer="no", env=None):
    """Runs `hover ARGS` at a terminal answering `answer`; checks it stopped, counted no write and
    left the account as it was. Returns its output."""
    before = account(s.aws)
    if counter(endpoint, reset=True) is None:
        pytest.fail("the emulator has no request counter (GET /hover-compat/requests)")
    code, out, err = at_terminal(s, *args, answer=answer, prompt=prompt, env=env)
    counts = counter(endpoint)["counts"]
    assert code == 1, (code, out, err)
    reads, writes, other = classify(counts)
    assert not writes, f"hover {' '.join(args)} answered {answer!r} wrote: {writes}\n{out}"
    assert not other, f"unclassified calls (add them to READS or WRITES): {other}"
    assert reads, f"the counter saw no call at all: {counts}"
    assert account(s.aws) == before, "the account changed"
    print(f"hover {args[0]} answered {answer!r}: {sum(reads.values())} reads, 0 writes: {reads}")
    return out, err


def test_deploy_of_a_new_stage_answered_no_writes_nothing(app, endpoint):
    s = app(deploy_commands=())
    out, err = refused_writes_nothing(s, endpoint, "deploy", s.key, "--build-id", "n1", env=s.env)
    # Built, shown the plan of a whole new stage, asked.
    assert "==> Build" in out and "==> Plan" in out, out
    assert "will be created" in out and "Plan:" in out and "to add" in out, out
    assert "Do you want to perform these actions?" in out, out
    assert "==> Push" not in out and "==> Repository, bucket and key" not in out, out
    assert "cancel" in err.lower(), err
    # Nothing of the stage exists.
    for call in (
        lambda: s.aws.ecr.describe_repositories(repositoryNames=[s.name]),
        lambda: s.aws.s3.head_bucket(Bucket=f"{s.name}-assets"),
        lambda: s.aws.kms.describe_key(KeyId=f"alias/{s.name}-secrets-key"),
        lambda: s.aws.cloudformation.describe_stacks(StackName=s.name),
    ):
        with pytest.raises(Exception):
            call()


def test_deploy_of_a_deployed_stage_with_a_change_answered_no_writes_nothing(app, endpoint):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "d1")
    s.edit(lambda m: m["http"].update(memory=1024))
    out, _ = refused_writes_nothing(s, endpoint, "deploy", s.key, "--build-id", "d2", env=s.env)
    assert "~ MemorySize" in out and "512 -> 1024" in out, out
    assert "Do you want to perform these actions?" in out, out
    # The image of d2 was built here but never pushed.
    tags = [i.get("imageTag") for i in s.aws.ecr.list_images(repositoryName=s.name)["imageIds"]]
    assert tags == ["d1"], tags


def test_purge_apply_rollback_and_destroy_answered_no_write_nothing(app, endpoint):
    s = app(deploy_commands=())
    deploy(s, "--build-id", "a0")
    deploy(s, "--build-id", "a1")
    deploy(s, "--build-id", "a2")
    # a2 is live and the newest, a1 where a rollback would go: a0 is what a purge deletes.
    out, _ = refused_writes_nothing(s, endpoint, "stage", "purge", s.key, "--keep", "1")
    assert "a0" in out and "Delete these builds?" in out, out
    out, _ = refused_writes_nothing(s, endpoint, "rollback", s.key)
    assert "Rolling back stage" in out and "Do you want to roll back?" in out, out
    assert "==> Switch" not in out, out
    s.edit(lambda m: m["cli"].update(timeout=600))
    out, _ = refused_writes_nothing(s, endpoint, "apply", s.key)
    assert "~ Timeout" in out and "Do you want to perform these actions?" in out, out
    out, _ = refused_writes_nothing(s, endpoint, "destroy", s.key, prompt="Enter a value:", answer="no")
    assert "Do you really want to destroy" in out, out
