"""SQS message move tasks (hover_compat.sqs_move_tasks): a dead-letter queue's messages really go
back to their source queue, and plain moto has no such operation."""
import json
import time
import uuid

import botocore.exceptions
import pytest


def _queues(sqs, fifo=False):
    suffix = ".fifo" if fifo else ""
    uid = uuid.uuid4().hex[:8]
    extra = {"FifoQueue": "true"} if fifo else {}
    dlq = sqs.create_queue(QueueName=f"dlq-{uid}{suffix}", Attributes=extra)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    src = sqs.create_queue(QueueName=f"src-{uid}{suffix}", Attributes={**extra, "RedrivePolicy": policy})["QueueUrl"]
    return src, dlq, dlq_arn


def _counts(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def _wait_done(sqs, arn):
    deadline = time.time() + 10
    while time.time() < deadline:
        tasks = sqs.list_message_move_tasks(SourceArn=arn, MaxResults=10)["Results"]
        if tasks and tasks[0]["Status"] != "RUNNING":
            return tasks
        time.sleep(0.05)
    raise AssertionError("the task did not finish")


def check_move_task_moves_messages(aws):
    sqs = aws("sqs")
    src, dlq, dlq_arn = _queues(sqs)
    bodies = {f"job-{i}" for i in range(5)}
    for body in bodies:
        sqs.send_message(QueueUrl=dlq, MessageBody=body, MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    assert handle
    tasks = _wait_done(sqs, dlq_arn)
    assert tasks[0]["Status"] == "COMPLETED", tasks
    assert tasks[0]["ApproximateNumberOfMessagesMoved"] == 5, tasks
    assert tasks[0]["DestinationArn"].endswith(src.rsplit("/", 1)[-1]), tasks
    assert _counts(sqs, dlq) == (0, 0)
    got = sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    assert {m["Body"] for m in got} == bodies
    assert all(m["MessageAttributes"]["k"]["StringValue"] == "v" for m in got)


def check_move_task_refuses_a_queue_that_is_no_dead_letter_queue(aws):
    sqs = aws("sqs")
    src, _, _ = _queues(sqs)
    src_arn = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        sqs.start_message_move_task(SourceArn=src_arn)
    assert "Dead Letter Queue" in str(err.value)


def check_move_task_to_a_named_destination_and_in_flight_messages_stay(aws):
    sqs = aws("sqs")
    _, dlq, dlq_arn = _queues(sqs)
    other = sqs.create_queue(QueueName=f"other-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    other_arn = sqs.get_queue_attributes(QueueUrl=other, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for i in range(3):
        sqs.send_message(QueueUrl=dlq, MessageBody=f"m{i}")
    held = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=1, VisibilityTimeout=60)["Messages"]
    assert len(held) == 1
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=other_arn)
    tasks = _wait_done(sqs, dlq_arn)
    assert tasks[0]["ApproximateNumberOfMessagesMoved"] == 2, tasks
    assert _counts(sqs, dlq) == (0, 1)
    assert _counts(sqs, other) == (2, 0)


CHECKS = [
    check_move_task_moves_messages,
    check_move_task_refuses_a_queue_that_is_no_dead_letter_queue,
    check_move_task_to_a_named_destination_and_in_flight_messages_stay,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_move_task(aws, check):
    check(aws)


def test_plain_moto_has_no_move_task(plain_aws):
    with pytest.raises((AssertionError, botocore.exceptions.ClientError)):
        check_move_task_moves_messages(plain_aws)
