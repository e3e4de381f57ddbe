"""SQS message move tasks (dead-letter queue redrive): StartMessageMoveTask, ListMessageMoveTasks
and CancelMessageMoveTask on moto's SQS.

moto 5.2.5 has none of the three: its SQS answers them with an error (the action is not
implemented), so `hover queue retry` could not redrive a standard dead-letter queue. Added here on
moto's ``SQSResponse`` (the JSON protocol, ``X-Amz-Target: AmazonSQS.<Operation>``, which the
Rust SDK's sqs crate speaks; the request and the answer are shaped by botocore's model of SQS):

* ``StartMessageMoveTask(SourceArn, DestinationArn?, MaxNumberOfMessagesPerSecond?)``: the source
  must be a dead-letter queue (some queue's redrive policy names it), as AWS requires; without a
  destination, its messages go back to the queue whose redrive policy names it (AWS sends each to
  the queue it came from; moto does not record that, so a dead-letter queue several queues share
  needs a DestinationArn). One task runs per source at a time (a second start is refused with
  ``AWS.SimpleQueueService.UnsupportedOperation`` while it runs). The move itself runs on a
  thread, message by message at the given rate (default: no pause): each visible message of the
  source is sent to the destination (body, message attributes, group id; receive count starting
  at 0) and taken off the source, so a message is never in both or in neither. In-flight messages
  stay where they are, as with AWS (a task moves what it can receive).
* ``ListMessageMoveTasks(SourceArn, MaxResults?)``: the source's tasks, newest first (at most 10),
  with status RUNNING, COMPLETED, CANCELLING, CANCELLED or FAILED, the messages moved and to move.
* ``CancelMessageMoveTask(TaskHandle)``: a running task stops after the message it is moving.
"""
import base64
import json
import threading
import time
import uuid
from typing import Any

_LOCK = threading.Lock()
# source ARN -> tasks, oldest first
_TASKS: dict = {}


class _Task:
    def __init__(self, source, destination, rate):
        self.handle = base64.b64encode(
            json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source.queue_arn}).encode()
        ).decode()
        self.source = source
        self.destination = destination
        self.rate = rate
        self.status = "RUNNING"
        self.moved = 0
        self.to_move = len(source.messages)
        self.started = int(time.time() * 1000)
        self.failure = None
        self.cancel = threading.Event()

    def entry(self) -> dict:
        out = {
            "TaskHandle": self.handle,
            "Status": self.status,
            "SourceArn": self.source.queue_arn,
            "DestinationArn": self.destination.queue_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started,
        }
        if self.rate:
            out["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure:
            out["FailureReason"] = self.failure
        if self.status != "RUNNING":
            out.pop("TaskHandle")  # AWS gives the handle of running tasks only
        return out

    def run(self, backend) -> None:
        try:
            while not self.cancel.is_set():
                with self.source._messages_lock:
                    visible = self.source.messages
                    if not visible:
                        break
                    message = visible[0]
                    self.source._messages.remove(message)
                self._send(backend, message)
                self.moved += 1
                if self.rate:
                    time.sleep(1.0 / self.rate)
            self.status = "CANCELLED" if self.cancel.is_set() else "COMPLETED"
        except Exception as e:  # the task fails, as AWS reports it; nothing is dropped silently
            self.failure = str(e)
            self.status = "FAILED"

    def _send(self, backend, message) -> None:
        try:
            backend.send_message(
                self.destination.name,
                message.body,
                message_attributes=message.message_attributes or None,
                deduplication_id=message.deduplication_id,
                group_id=message.group_id,
                validate_group_id=False,
            )
        except Exception:
            with self.source._messages_lock:  # put it back where it was
                self.source._messages.insert(0, message)
            raise


def _queue_by_arn(backend, arn: str):
    for queue in backend.queues.values():
        if queue.queue_arn == arn:
            return queue
    return None


def _error(code: str, message: str):
    from moto.sqs.exceptions import SQSException

    err = SQSException(code, message)
    return err


def start_message_move_task(self):
    backend = self.sqs_backend
    source_arn = self._get_param("SourceArn")
    destination_arn = self._get_param("DestinationArn")
    rate = self._get_param("MaxNumberOfMessagesPerSecond")
    source = _queue_by_arn(backend, source_arn or "")
    if source is None:
        raise _error("ResourceNotFoundException", f"The resource that you specified for the SourceArn parameter doesn't exist: {source_arn}")
    feeders = [q for q in backend.queues.values() if q.dead_letter_queue is source]
    if not feeders:
        raise _error("InvalidParameterValue", f"Source queue must be configured as a Dead Letter Queue: {source_arn}")
    if destination_arn:
        destination = _queue_by_arn(backend, destination_arn)
        if destination is None:
            raise _error("ResourceNotFoundException", f"The resource that you specified for the DestinationArn parameter doesn't exist: {destination_arn}")
    elif len(feeders) == 1:
        destination = feeders[0]
    else:
        raise _error("InvalidParameterValue", "Several queues use this dead-letter queue: give a DestinationArn")
    from moto.core.responses import ActionResult

    with _LOCK:
        tasks = _TASKS.setdefault(source_arn, [])
        if any(t.status in ("RUNNING", "CANCELLING") for t in tasks):
            raise _error("AWS.SimpleQueueService.UnsupportedOperation", "There is already a task running. Only one active task is allowed for each source queue arn at a given time.")
        task = _Task(source, destination, int(rate) if rate else None)
        tasks.append(task)
    threading.Thread(target=task.run, args=(backend,), daemon=True).start()
    return ActionResult({"TaskHandle": task.handle})


def list_message_move_tasks(self):
    from moto.core.responses import ActionResult

    source_arn = self._get_param("SourceArn")
    if _queue_by_arn(self.sqs_backend, source_arn or "") is None:
        raise _error("ResourceNotFoundException", f"The resource that you specified for the SourceArn parameter doesn't exist: {source_arn}")
    limit = int(self._get_param("MaxResults") or 1)
    with _LOCK:
        tasks = list(reversed(_TASKS.get(source_arn, [])))[: max(1, min(limit, 10))]
        return ActionResult({"Results": [t.entry() for t in tasks]})


def cancel_message_move_task(self):
    from moto.core.responses import ActionResult

    handle = self._get_param("TaskHandle")
    with _LOCK:
        for tasks in _TASKS.values():
            for task in tasks:
                if task.handle == handle and task.status == "RUNNING":
                    task.status = "CANCELLING"
                    task.cancel.set()
                    return ActionResult({"ApproximateNumberOfMessagesMoved": task.moved})
    raise _error("ResourceNotFoundException", "The task handle is not valid or the task is not running")


def reset() -> None:
    with _LOCK:
        _TASKS.clear()


def install() -> None:
    from moto.sqs.responses import SQSResponse

    SQSResponse.start_message_move_task = start_message_move_task  # type: ignore[attr-defined]
    SQSResponse.list_message_move_tasks = list_message_move_tasks  # type: ignore[attr-defined]
    SQSResponse.cancel_message_move_task = cancel_message_move_task  # type: ignore[attr-defined]


__all__: Any = ["install", "reset"]
