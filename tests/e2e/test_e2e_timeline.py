"""`hover deploy --json` of the example stage read back: every line parses and matches the
`hover.events/1` schema as the README documents it (its table of types and fields, read from
README.md), and the whole stream, read into a timeline (phases in order with their durations,
resources, versions published, aliases moved, the lock taken and given back, the outcome),
matches the text output of the same deploy of a twin stage."""
import json
import re
from pathlib import Path

from test_e2e_deploy import app, builder_env, post  # noqa: F401

README = Path(__file__).resolve().parents[2] / "README.md"
SCHEMA = "hover.events/1"

# The phases as the text names them (`==> Title`, `Title done in`).
TITLES = {
    "build": "Build",
    "plan": "Plan",
    "pre_stack": "Repository, bucket and key",
    "push": "Push",
    "assets": "Assets",
    "apply": "Apply",
    "publish": "Publish",
    "warm": "Warm",
    "deploy_commands": "Deploy commands",
    "switch": "Switch",
}
RESOURCE_TEXT = {
    ("started", "create"): "Creating...",
    ("started", "modify"): "Modifying...",
    ("started", "destroy"): "Destroying...",
    ("complete", "create"): "Creation complete",
    ("complete", "modify"): "Modifications complete",
    ("complete", "destroy"): "Destruction complete",
}


def documented_schema():
    """{type: (required fields, optional fields)} from the README's table of event types."""
    text = README.read_text()
    section = text[text.index("## Machine-readable runs"):]
    section = section[:section.index("\n## ", 1)]
    types = {}
    for line in section.splitlines():
        m = re.match(r"\| `([a-z_]+)` \| ([^|]*)\|", line)
        if not m:
            continue
        fields = re.findall(r"`([a-z_]+)(\??)`", m.group(2))
        types[m.group(1)] = ({f for f, q in fields if not q}, {f for f, q in fields if q})
    return types


def check_schema(events, schema):
    for e in events:
        assert e.get("schema") == SCHEMA, e
        assert e.get("type") in schema, f"type {e.get('type')!r} is not in the README's table: {e}"
        required, optional = schema[e["type"]]
        keys = set(e) - {"schema", "type"}
        assert required <= keys, f"{e['type']}: documented fields missing {required - keys}: {e}"
        assert keys <= required | optional, f"{e['type']}: undocumented fields {keys - required - optional}: {e}"


def timeline_of_json(events, stage):
    """The run as a timeline, from its events."""
    t = {"phases": [], "resources": [], "versions": {}, "aliases": [], "lock": [], "outcome": None,
         "plan": None}
    open_phase = None
    for i, e in enumerate(events):
        kind = e["type"]
        if kind == "phase_started":
            assert open_phase is None, f"{e['phase']} started inside {open_phase}"
            open_phase = e["phase"]
        elif kind == "phase_finished":
            assert open_phase == e["phase"], (open_phase, e)
            assert isinstance(e["took_ms"], int) and e["took_ms"] >= 0, e
            t["phases"].append((e["phase"], e["took_ms"]))
            open_phase = None
        elif kind == "resource":
            t["resources"].append((e["role"], e["state"], e.get("op")))
        elif kind == "version_published":
            assert open_phase == "publish", e
            t["versions"][e["function"].replace(stage, "STAGE")] = e["version"]
        elif kind == "alias_moved":
            assert open_phase == "switch", e
            t["aliases"].append((e["function"].replace(stage, "STAGE"), e["from"], e["to"]))
        elif kind == "alias_kept":
            assert open_phase == "switch", e
            t["aliases"].append((e["function"].replace(stage, "STAGE"), e["version"], e["version"]))
        elif kind in ("lock_taken", "lock_given_back"):
            t["lock"].append((kind, i, open_phase))
        elif kind == "planned":
            t["plan"] = e["plan"]
        elif kind == "outcome":
            assert i == len(events) - 1, "the outcome is the last event"
            t["outcome"] = e
    assert open_phase is None, f"{open_phase} never finished"
    return t


def timeline_of_text(out, stage):
    """The same timeline, from the text a terminal-less run prints."""
    t = {"phases": [], "resources": [], "versions": {}, "aliases": [], "summary": None, "plan_line": None}
    by_title = {v: k for k, v in TITLES.items()}
    phase = None
    roles = r"(assets bucket|image repository|secrets key)"
    for line in out.splitlines():
        if m := re.match(r"==> (.+)$", line):
            phase = by_title[m.group(1)]
        elif m := re.match(r"    (.+) done in (\d+\.\d)s$", line):
            assert by_title[m.group(1)] == phase, line
            t["phases"].append((phase, float(m.group(2))))
            phase = None
        elif m := re.match(roles + r": (.+?)( after \S+)?$", line):
            t["resources"].append((m.group(1), m.group(2)))
        elif phase == "publish" and (m := re.match(r"    (\S+): version (\d+)$", line)):
            t["versions"][m.group(1).replace(stage, "STAGE")] = int(m.group(2))
        elif phase == "switch" and (m := re.match(r"    (\S+): live (\S+) -> (\S+)$", line)):
            t["aliases"].append((m.group(1).replace(stage, "STAGE"), m.group(2), m.group(3)))
        elif phase == "switch" and (m := re.match(r"    (\S+): live stays on (\S+)$", line)):
            t["aliases"].append((m.group(1).replace(stage, "STAGE"), m.group(2), m.group(2)))
        elif m := re.match(r"Deploy complete! build (\S+) is live\.", line):
            t["summary"] = m.group(1)
        elif line.startswith("Plan: "):
            t["plan_line"] = line
    table = re.findall(r"^  (\S.*?)\s{2,}(\d+\.\d)s$", out, re.M)
    t["table"] = [(by_title.get(name, name), float(secs)) for name, secs in table]
    return t


def test_a_deploy_stream_matches_the_schema_and_reads_back_as_its_text(app):
    schema = documented_schema()
    assert {"phase_started", "alias_moved", "alias_kept", "outcome", "failed"} <= set(schema), schema

    a = app()
    r = a.hover("deploy", a.key, "--auto-approve", "--json", "--build-id", "t1", env=a.env)
    assert r.code == 0, r
    lines = r.stdout.splitlines()
    assert lines, r
    events = [json.loads(line) for line in lines]  # every line parses
    check_schema(events, schema)
    got = timeline_of_json(events, a.name)

    # The same deploy of a twin stage, as text.
    b = app()
    r = b.hover("deploy", b.key, "--auto-approve", "--build-id", "t1", env=b.env)
    assert r.code == 0, r
    text = timeline_of_text(r.stdout, b.name)

    # Phases: the same, in the same order; each JSON duration is the outcome's.
    phases = [p for p, _ in got["phases"]]
    assert phases == list(TITLES), phases
    assert [p for p, _ in text["phases"]] == phases, (text["phases"], phases)
    outcome = got["outcome"]
    assert outcome["command"] == "deploy" and outcome["build_id"] == "t1", outcome
    assert [(p["phase"], p["took_ms"]) for p in outcome["phases"]] == got["phases"]
    # The text's summary table is its phases' times, then the total.
    assert text["table"][:-1] == text["phases"], text["table"]
    assert text["table"][-1][0] == "total" and text["summary"] == "t1", text

    # Resources, in the same order and states.
    json_resources = [(role, RESOURCE_TEXT.get((state, op), state)) for role, state, op in got["resources"]]
    assert json_resources, got["resources"]
    assert json_resources == text["resources"], (json_resources, text["resources"])

    # The plan: as many to add as the text says.
    actions = [rc["change"]["actions"] for rc in got["plan"]["resource_changes"]]
    add = sum(1 for a_ in actions if "create" in a_)
    assert text["plan_line"] == f"Plan: {add} to add, 0 to change, 0 to destroy.", (text["plan_line"], add)

    # Versions published and aliases moved: the same functions, versions and moves.
    functions = {f"STAGE-{p}" for p in ("http", "cli", "default-queue", "priority-queue")}
    assert set(got["versions"]) == functions and got["versions"] == text["versions"], (got["versions"], text["versions"])
    assert got["aliases"] == text["aliases"], (got["aliases"], text["aliases"])
    assert [(f, to) for f, _, to in got["aliases"]] == sorted((f, str(v)) for f, v in got["versions"].items())

    # The lock: taken once after the plan was approved and the pre-stack phase, given back once
    # after the switch, before the outcome.
    assert [k for k, _, _ in got["lock"]] == ["lock_taken", "lock_given_back"], got["lock"]
    (_, taken, in_taken), (_, given, in_given) = got["lock"]
    assert in_taken is None and in_given is None, got["lock"]
    finished = [i for i, e in enumerate(events) if e["type"] == "phase_finished"]
    assert finished[2] < taken < finished[3], "taken between pre_stack and push"
    assert finished[-1] < given < len(events) - 1, "given back after the switch, before the outcome"
