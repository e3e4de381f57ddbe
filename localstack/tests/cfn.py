"""Drive CloudFormation through change sets, always by ARN."""
import json
import time
import uuid

TERMINAL_CHANGE_SET = {"CREATE_COMPLETE", "FAILED", "DELETE_COMPLETE"}


def _body(template) -> str:
    return template if isinstance(template, str) else json.dumps(template)


def wait_change_set(cfn, arn: str, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while True:
        cs = cfn.describe_change_set(ChangeSetName=arn)
        if cs["Status"] in TERMINAL_CHANGE_SET:
            return cs
        if time.time() > deadline:
            raise TimeoutError(f"change set {arn} still {cs['Status']}")
        time.sleep(0.2)


def wait_stack(cfn, stack_id: str, timeout: float = 120) -> dict:
    deadline = time.time() + timeout
    while True:
        stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack
        if time.time() > deadline:
            raise TimeoutError(f"stack {stack_id} still {stack['StackStatus']}")
        time.sleep(0.5)


def run_change_set(cfn, stack_name: str, template, kind: str, capabilities=("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM")) -> dict:
    """Create a change set of `kind` (CREATE/UPDATE), wait, execute it, wait for the stack."""
    resp = cfn.create_change_set(
        StackName=stack_name,
        ChangeSetName=f"cs-{uuid.uuid4().hex[:12]}",
        ChangeSetType=kind,
        TemplateBody=_body(template),
        Capabilities=list(capabilities),
    )
    cs = wait_change_set(cfn, resp["Id"])
    assert cs["Status"] == "CREATE_COMPLETE", cs.get("StatusReason")
    cfn.execute_change_set(ChangeSetName=resp["Id"])
    stack = wait_stack(cfn, resp["StackId"])
    assert stack["StackStatus"] == f"{kind}_COMPLETE", stack
    return stack


def create(cfn, stack_name: str, template) -> dict:
    return run_change_set(cfn, stack_name, template, "CREATE")


def update(cfn, stack_name: str, template) -> dict:
    return run_change_set(cfn, stack_name, template, "UPDATE")


def delete(cfn, stack_id: str) -> None:
    cfn.delete_stack(StackName=stack_id)
    deadline = time.time() + 120
    while time.time() < deadline:
        stacks = cfn.describe_stacks(StackName=stack_id)["Stacks"]
        if not stacks or stacks[0]["StackStatus"] == "DELETE_COMPLETE":
            return
        assert not stacks[0]["StackStatus"].endswith("_FAILED"), stacks[0]
        time.sleep(0.5)
    raise TimeoutError(f"stack {stack_id} not deleted")


def outputs(stack: dict) -> dict:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def physical_ids(cfn, stack_id: str) -> dict:
    res = cfn.list_stack_resources(StackName=stack_id)["StackResourceSummaries"]
    return {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in res}
