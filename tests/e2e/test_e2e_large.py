"""A stage whose template is over CloudFormation's 51,200-byte inline limit: the template goes to
the stage's bucket, the change set reads it from there (TemplateURL), and it is deleted once the
change set is made (it holds the stage's environment)."""
import json


def large_manifest():
    workers = {f"worker{i}": {"queues": [f"jobs{i}a", f"jobs{i}b"]} for i in range(14)}
    return {"name": "placeholder", "region": "eu-west-1", "queue": workers}


def test_template_over_the_inline_limit_is_uploaded(stage):
    s = stage(large_manifest())
    s.register_image()
    template = s.template()
    size = len(json.dumps(template, indent=2))
    assert size > 51_200, f"the test stage must exceed the inline limit, its template is {size} bytes"

    r = s.apply()
    assert "over CloudFormation's inline limit" in r.stdout, r
    bucket = f"{s.name}-assets"
    keys = [o["Key"] for o in s.aws.s3.list_objects_v2(Bucket=bucket, Prefix="hover/templates/").get("Contents", [])]
    assert keys == [], f"the uploaded template was left in the bucket: {keys}"
    body = s.aws.cloudformation.get_template(StackName=s.name)["TemplateBody"]
    applied = json.loads(body) if isinstance(body, str) else body
    assert applied == template
    # 14 workers x (function, log group, alias, 2 x (queue, dead-letter queue, mapping)) + 19 shared.
    assert len(applied["Resources"]) == 14 * 9 + 19
    fn = s.aws.lambda_.get_function(FunctionName=f"{s.name}-worker13-queue")["Configuration"]
    assert fn["FunctionName"] == f"{s.name}-worker13-queue"
    s.assert_no_changes()
