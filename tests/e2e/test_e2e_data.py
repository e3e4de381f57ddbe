"""Nothing is lost without being asked: a plan counts the messages a deletion or replacement of a
queue destroys, in the text and the JSON; apply stops before any change unless
--allow-data-loss; renaming a queue to `.fifo` is planned as the replacement it is."""
import json

import e2e_stages as stages


def put_messages(s, queue, n):
    url = s.aws.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    for i in range(n):
        s.aws.sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"job": i}))
    return url


def test_removing_a_worker_whose_queue_holds_messages(stage):
    s = stage(stages.concept())
    s.register_image()
    s.apply()
    dlq = f"priority-{s.name}-dlq"
    url = put_messages(s, dlq, 7)

    s.edit(lambda m: m["queue"].pop("priority"))
    text = s.plan_text()
    assert "it holds 7 messages: they are lost" in text, text
    plan = s.plan_json()
    lost = {rc["address"]: rc["data_loss"] for rc in plan["resource_changes"] if "data_loss" in rc}
    assert lost == {"QueuePriorityDeadLetter": {"messages": 7}}, lost

    r = s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag)
    assert r.code == 1, r
    assert "destroys data" in r.stderr and "7 messages" in r.stderr and "--allow-data-loss" in r.stderr, r
    attrs = s.aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "7", "nothing may change"
    assert s.aws.lambda_.get_function(FunctionName=f"{s.name}-priority-queue")

    r = s.hover("apply", s.key, "--auto-approve", "--image-tag", s.image_tag, "--allow-data-loss")
    assert r.code == 0, r
    s.assert_no_changes()


def test_renaming_a_queue_to_fifo_is_a_replacement_that_counts_its_messages(stage):
    s = stage(stages.concept())
    s.register_image()
    s.apply()
    put_messages(s, f"priority-{s.name}-dlq", 3)
    s.edit(lambda m: m["queue"]["priority"].update(queues=["priority.fifo"]))
    plan = s.plan_json()
    by_id = {rc["address"]: rc for rc in plan["resource_changes"]}
    assert by_id["QueuePriority"]["change"]["actions"] == ["create", "delete"], by_id["QueuePriority"]
    assert by_id["QueuePriority"].get("action_reason") == "replace_because_cannot_update"
    assert by_id["QueuePriorityDeadLetter"]["data_loss"] == {"messages": 3}
    text = s.plan_text()
    assert "deleted outside hover" not in text, text
    assert "must be replaced" in text
