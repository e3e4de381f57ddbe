# The cli role: artisan arguments split like a shell splits words but never run through one; exit codes, output, deadline.
import base64
import json
import time

import pytest

from conftest import php


@pytest.fixture(scope="module")
def cli(runtimes):
    return runtimes("shop-dev-cli")


def run(rt, command, timeout=10.0):
    kind, answer = rt.invoke({"command": command}, timeout=timeout)
    assert kind == "response", answer
    output = base64.b64decode(answer["output"]).decode()
    return answer, output


def argv(output):
    return json.loads(output.splitlines()[0])


def test_plain_command(cli):
    answer, output = run(cli, "migrate --force")
    assert answer["exit_code"] == 0
    assert argv(output) == ["migrate", "--force", "--no-interaction"]
    assert "to stderr" in output  # stderr is captured too


@pytest.mark.parametrize("prefix", ["php artisan ", "artisan ", ""])
def test_leading_php_artisan_is_dropped(cli, prefix):
    _, output = run(cli, prefix + "cache:clear")
    assert argv(output) == ["cache:clear", "--no-interaction"]


def test_quotes_and_shell_syntax_arrive_as_arguments(cli, tmp_path):
    marker = tmp_path / "pwned"
    command = f"""say "two words" 'single $(touch {marker})' ; `id` $(touch {marker}) a\\ b "q\\"uote" '' x&&y | >out"""
    answer, output = run(cli, command)
    assert answer["exit_code"] == 0
    assert argv(output) == ["say", "two words", f"single $(touch {marker})", ";", "`id`", "$(touch", f"{marker})",
                            "a b", 'q"uote', "", "x&&y", "|", ">out", "--no-interaction"]
    assert not marker.exists()


def test_no_interaction_is_not_doubled(cli):
    _, output = run(cli, "inspire --no-interaction")
    assert argv(output) == ["inspire", "--no-interaction"]


@pytest.mark.parametrize("code", [0, 1, 3, 255])
def test_exit_codes(cli, code):
    answer, _ = run(cli, f"fail exit={code}")
    assert answer["exit_code"] == code
    assert "timed_out" not in answer


def test_unbalanced_quote_answers_exit_code_2(cli):
    answer, output = run(cli, "say 'oops")
    assert answer["exit_code"] == 2
    assert "unbalanced single quote" in output
    answer, output = run(cli, 'say "oops')
    assert answer["exit_code"] == 2 and "unbalanced double quote" in output


def test_output_streams_to_the_log(cli):
    run(cli, "stream-check unique-argument-4711")
    assert 'unique-argument-4711' in cli.output()


def test_deadline_stops_the_command(runtime):
    rt = runtime("shop-dev-cli")
    started = time.time()
    answer, output = run(rt, "long sleep=30", timeout=2.5)
    assert time.time() - started < 2.5
    assert answer["exit_code"] == 124 and answer["timed_out"] is True
    assert "sleeping" in output
    assert output.rstrip("\n").splitlines()[-1].startswith("hover: the command was stopped")
    answer, output = run(rt, "after exit=0")
    assert answer["exit_code"] == 0


def test_scheduled_event_runs_the_scheduler(cli):
    _, output = run(cli, "schedule:run")
    kind, answer = cli.invoke({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}})
    assert kind == "response"
    assert argv(base64.b64decode(answer["output"]).decode()) == ["schedule:run", "--no-interaction"]


def test_event_without_command_is_an_error(cli):
    kind, answer = cli.invoke({"cmd": "x"})
    assert kind == "error" and answer["errorType"] == "Hover.BadEvent"


@pytest.mark.parametrize("line,words", [
    ("", []),
    ("  a   b\tc\nd ", ["a", "b", "c", "d"]),
    ("'a b'c\"d e\"f", ["a bcd ef"]),
    ('"a\\$b\\`c\\\\d\\e"', ["a$b`c\\d\\e"]),
    ("a\\\nb", ["ab"]),
    ("'it'\\''s'", ["it's"]),
    ('--name="Jane Doe"', ["--name=Jane Doe"]),
    ("''", [""]),
    ("$HOME ~ *", ["$HOME", "~", "*"]),
])
def test_words(line, words):
    assert php("words", line) == {"ok": words}


@pytest.mark.parametrize("line", ["'a", '"a', "a\\"])
def test_words_errors(line):
    assert php("words", line)["error"] == "InvalidArgumentException"


def test_tinker_runs_with_psysh_config_and_history_under_tmp(cli):
    answer, output = run(cli, "tinker --execute='echo \"it'\\''s \" . (1 + 1);'")
    assert answer["exit_code"] == 0, output
    lines = output.splitlines()
    assert json.loads(lines[0]) == ["tinker", "--execute=echo \"it's \" . (1 + 1);", "--no-interaction"]
    env = json.loads(lines[1])
    assert env == {"HOME": "/tmp", "XDG_CONFIG_HOME": "/tmp/.config", "XDG_DATA_HOME": "/tmp/.local/share",
                   "PSYSH_CONFIG": "/tmp/hover-psysh/config.php"}, env
    config = open(env["PSYSH_CONFIG"]).read()
    assert "'updateCheck' => 'never'" in config and "'pager' => false" in config, config
