"""`hover status <stage>` through the binary on the emulator: what it shows matches the stage, it
changes nothing, exits 0, and makes no more requests than a plan of the same stage.

Releases are published here as a deploy publishes them (one version per function, described by
its build id, then `live` moved to it), without building an image."""
import json

import e2e_stages as stages
from test_e2e_noop import counter


def functions(s):
    return [f"{s.name}-http", f"{s.name}-cli", f"{s.name}-default-queue", f"{s.name}-priority-queue"]


def release(s, build_id):
    lam = s.aws.lambda_
    for fn in functions(s):
        # A version is published only for a changed function (as on AWS).
        lam.update_function_configuration(FunctionName=fn, Description=build_id)
        v = lam.publish_version(FunctionName=fn, Description=build_id)["Version"]
        lam.update_alias(FunctionName=fn, Name="live", FunctionVersion=v)


def deployed(stage):
    s = stage(stages.concept())
    s.register_image()
    s.apply()
    release(s, "20261201-100000-000")
    release(s, "20261202-100000-000")
    return s


def status_json(s):
    r = s.hover("status", s.key, "--json")
    assert r.code == 0, r
    return json.loads(r.stdout)


def test_status_shows_the_stage_as_it_runs(stage):
    s = deployed(stage)
    sqs = s.aws.sqs
    dlq = sqs.get_queue_url(QueueName=f"priority-{s.name}-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody="{}")
    s.aws.events.disable_rule(Name=next(
        r["Name"] for r in s.aws.events.list_rules(NamePrefix=s.name)["Rules"]))
    doc = status_json(s)
    assert doc["version"] == "1" and doc["stage"] == s.name
    assert doc["live_release"]["build_id"] == "20261202-100000-000", doc["live_release"]
    assert doc["rollback_target"] == {"build_id": "20261201-100000-000"}, doc["rollback_target"]
    fns = {f["name"]: f for f in doc["functions"]}
    assert set(fns) == set(functions(s))
    http = fns[f"{s.name}-http"]
    assert (http["memory"], http["timeout"], http["reserved_concurrency"]) == (512, 30, 100), http
    assert http["live_version"] == "3" and http["build"] == "20261202-100000-000", http
    assert http["state"] == "Active", http
    assert fns[f"{s.name}-cli"]["timeout"] == 900
    queues = {q["queue"]: q for q in doc["queues"]}
    assert set(queues) == {"default", "notifications", "priority"}
    assert queues["priority"]["dead_letter_messages"]["visible"] == 1, queues
    assert queues["default"]["messages"] == {"visible": 0, "in_flight": 0, "delayed": 0}
    states = sorted(r["state"] for r in doc["rules"])
    assert "DISABLED" in states and "ENABLED" in states, doc["rules"]
    assert doc["stack"]["status"].endswith("_COMPLETE") and doc["stack"]["at"], doc["stack"]
    assert doc["urls"]["api"], doc["urls"]
    assert doc["maintenance"]["mode"] in ("up", "unknown"), doc["maintenance"]

    text = s.hover("status", s.key)
    assert text.code == 0, text
    for shown in ("Live             20261202-100000-000", "Rollback target  20261201-100000-000",
                  f"{s.name}-http", "DISABLED", "Maintenance", "Stack"):
        assert shown in text.stdout, (shown, text.stdout)


def test_status_costs_no_more_requests_than_a_plan_and_writes_nothing(stage, endpoint):
    s = deployed(stage)
    assert counter(endpoint, reset=True) is not None, "the emulator has no request counter"
    plan = s.plan_exit()
    assert plan.code == 0, plan
    planned = counter(endpoint, reset=True)
    r = s.hover("status", s.key, "--json")
    assert r.code == 0, r
    status = counter(endpoint)
    print(f"requests: plan {planned['total']}, status {status['total']}")
    assert status["total"] <= planned["total"], (planned["counts"], status["counts"])
    reads = ("Get", "List", "Describe", "Head")
    writes = [op for op in status["counts"] if not op.split(":", 1)[1].startswith(reads)]
    assert writes == [], writes


def test_status_of_a_stage_never_deployed_exits_0_and_says_so(stage):
    s = stage(stages.concept())
    r = s.hover("status", s.key)
    assert r.code == 0, r
    assert "none (the stage is not deployed)" in r.stdout, r
    assert "missing" in r.stdout, r
