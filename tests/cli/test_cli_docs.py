"""The shell completions and the manual, as a user meets them: `hover completions bash` sourced in
an interactive bash completes `hover de<TAB>` through readline and bash's programmable completion
(on a pseudo-terminal), and `hover man` renders with `man -l`. Needs bash and man-db; the binary is
HOVER_BIN (or the debug build)."""
import os
import pty
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def hover_bin():
    path = os.environ.get("HOVER_BIN")
    if not path:
        target = os.environ.get("CARGO_TARGET_DIR", str(Path.home() / ".cache/hover/target"))
        path = str(Path(target) / "debug" / "hover")
    assert os.access(path, os.X_OK), f"hover binary not found at {path}: run `cargo build --bin hover` or set HOVER_BIN"
    return path


class Bash:
    """An interactive bash on a pseudo-terminal, `hover` on its PATH, the completion sourced."""

    def __init__(self, hover_bin, tmp_path):
        script = tmp_path / "hover.bash"
        out = subprocess.run([hover_bin, "completions", "bash"], capture_output=True, text=True, check=True)
        script.write_text(out.stdout)
        bindir = tmp_path / "bin"
        bindir.mkdir()
        (bindir / "hover").symlink_to(hover_bin)
        inputrc = tmp_path / "inputrc"
        # One TAB lists the candidates when they share no longer prefix; no bracketed paste codes.
        inputrc.write_text("set show-all-if-ambiguous on\nset enable-bracketed-paste off\nset bell-style none\n")
        env = {
            "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(tmp_path),
            "TERM": "dumb",
            "INPUTRC": str(inputrc),
            "PS1": "$ ",
            "LANG": "C",
        }
        bash = shutil.which("bash")
        assert bash, "bash is needed"
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: an interactive bash without the user's start-up files
            os.execve(bash, ["bash", "--norc", "--noprofile", "-i"], env)
        self.read(0.5)
        self.send(f"source {script}\n")
        self.send("complete -p hover\n")
        registered = self.read_until("complete -F", 10)
        assert "hover" in registered, registered

    def send(self, text):
        os.write(self.fd, text.encode())

    def read(self, seconds):
        out = b""
        end = time.time() + seconds
        while time.time() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
        return out.decode(errors="replace")

    def read_until(self, needle, seconds):
        out = ""
        end = time.time() + seconds
        while time.time() < end and needle not in out:
            out += self.read(0.1)
        return out

    def complete(self, line, until):
        """Types `line`, presses TAB, returns what the terminal shows; then clears the line."""
        self.send(line + "\t")
        shown = self.read_until(until, 10)
        shown += self.read(0.3)
        self.send("\x15")  # Ctrl-U: the line is dropped
        self.read(0.2)
        return shown

    def close(self):
        try:
            self.send("exit\n")
            time.sleep(0.2)
        finally:
            try:
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            os.close(self.fd)


@pytest.fixture
def bash(hover_bin, tmp_path):
    b = Bash(hover_bin, tmp_path)
    yield b
    b.close()


def test_bash_completes_hover_de_tab_to_the_commands_that_start_so(bash):
    shown = bash.complete("hover de", "destroy")
    after = shown.split("hover de", 1)[-1]
    assert "deploy" in after and "destroy" in after, repr(shown)
    assert "doctor" not in after and "plan" not in after, repr(shown)


def test_bash_completes_a_unique_command_nested_commands_and_options(bash):
    assert "hover doctor " in bash.complete("hover doc", "doctor "), "one candidate: completed in place"
    shown = bash.complete("hover stage ", "purge")
    assert "new" in shown and "purge" in shown, repr(shown)
    assert "--detailed-exitcode" in bash.complete("hover plan --det", "--detailed-exitcode")


def test_the_manual_renders_with_man_and_names_every_command(hover_bin, tmp_path):
    man = shutil.which("man")
    assert man, "man is needed (Debian: man-db)"
    page = tmp_path / "hover.1"
    page.write_bytes(subprocess.run([hover_bin, "man"], capture_output=True, check=True).stdout)
    env = dict(os.environ, MANWIDTH="100", MANPAGER="cat", PAGER="cat", LANG="C")
    r = subprocess.run([man, "--warnings", "-l", str(page)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert not r.stderr.strip(), f"groff warnings: {r.stderr}"
    text = " ".join(r.stdout.split())  # justified lines: one space between words
    assert "hover - Deploy Laravel applications to AWS Lambda" in text, text[:500]
    help_text = subprocess.run([hover_bin, "--help"], capture_output=True, text=True, check=True).stdout
    commands = []
    in_commands = False
    for line in help_text.splitlines():
        if line.startswith("Commands:"):
            in_commands = True
            continue
        if in_commands:
            if not line.startswith("  "):
                break
            commands.append(line.split()[0])
    assert "doctor" in commands and "plan" in commands, help_text
    for command in commands:
        if command == "help":
            continue
        assert f"HOVER {command.upper()}" in text, f"no section for `hover {command}`"
    assert "hover stage new" in text and "hover command run" in text


def test_man_out_dir_writes_one_page_per_command(hover_bin, tmp_path):
    out = tmp_path / "man1"
    subprocess.run([hover_bin, "man", "--out-dir", str(out)], check=True)
    pages = sorted(p.name for p in out.iterdir())
    for name in ("hover.1", "hover-doctor.1", "hover-stage-new.1", "hover-completions.1", "hover-man.1"):
        assert name in pages, pages
    assert "hover-observe.1" not in pages, "hidden commands have no page"


def test_version_names_the_commit(hover_bin):
    out = subprocess.run([hover_bin, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    root = Path(__file__).resolve().parents[2]
    version = next(l.split('"')[1] for l in (root / "Cargo.toml").read_text().splitlines() if l.startswith("version = "))
    assert out.startswith(f"hover {version} ("), out
    commit, target = out.split("(", 1)[1].rstrip(")").split()
    assert "-" in target, out  # a target triple: x86_64-unknown-linux-gnu
    if subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True).returncode == 0:
        # Built from this repository's work tree: the commit is one of its commits (HEAD when
        # nothing was committed since the build).
        known = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
                               capture_output=True, text=True)
        assert known.returncode == 0, f"{out}: `{commit}` is not a commit of {root}"
