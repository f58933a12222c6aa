"""The external editor (``e`` on a card): resolved before the app suspends, every failure one line.

The tmux tests run the app in a real pseudo-terminal, because under Pilot ``suspend()`` is not supported
and takes another path. They share one tmux server and start every case's app at once.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from gistquiz.editor import Editor, EditorError, describe_run, find_editor

# ----------------------------------------------------------------- resolving the command (no terminal)


def executable(folder: Path, name: str, body: str = "#!/bin/sh\nexit 0\n", mode: int = 0o755) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body)
    path.chmod(mode)
    return path


def test_visual_comes_before_editor_and_words_are_kept(tmp_path: Path):
    ed = executable(tmp_path, "ed1")
    executable(tmp_path, "ed2")
    found = find_editor({"VISUAL": "ed1 --wait -n", "EDITOR": "ed2", "PATH": str(tmp_path)})
    assert found == Editor((str(ed), "--wait", "-n"), "$VISUAL", "ed1 --wait -n")
    assert find_editor({"VISUAL": " ", "EDITOR": "ed2", "PATH": str(tmp_path)}).origin == "$EDITOR"


def test_the_fallback_is_named_when_nothing_is_installed(tmp_path: Path):
    with pytest.raises(EditorError, match=r"neither vi nor nano is installed; set \$VISUAL or \$EDITOR"):
        find_editor({"PATH": str(tmp_path)})
    nano = executable(tmp_path, "nano")
    assert find_editor({"PATH": str(tmp_path)}) == Editor((str(nano),), "the default", "nano")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nonexistent", r"cannot start \$EDITOR \(nonexistent\): 'nonexistent' is not installed \(not found on PATH\)"),
        ("code --wait", r"'code' is not installed"),
        ("vim '", r"cannot read \$EDITOR \(vim '\): no closing quotation"),
        ("{bin}/My Editor", r"{bin}/My does not exist \(a path with spaces needs quotes\)"),
        ("{bin}/plain", r"{bin}/plain is not executable \(chmod \+x {bin}/plain\)"),
        ("plain", r"{bin}/plain is not executable"),
        ("{bin}", r"{bin} is a folder"),
    ],
)
def test_an_editor_that_cannot_start_is_one_line_saying_why_and_what_to_do(tmp_path: Path, value, expected):
    executable(tmp_path, "plain", mode=0o644)
    executable(tmp_path, "My Editor")
    env = {"EDITOR": value.format(bin=tmp_path), "PATH": str(tmp_path)}
    with pytest.raises(EditorError, match=expected.format(bin=tmp_path)) as err:
        find_editor(env)
    assert "\n" not in str(err.value) and str(err.value).endswith("export VISUAL='nano'")


def test_the_command_opens_the_file_at_the_line_the_editor_understands():
    assert Editor(("/usr/bin/vim",), "$EDITOR", "vim").command("d.md", 7) == ["/usr/bin/vim", "+7", "d.md"]
    code = Editor(("/opt/code", "--wait"), "$VISUAL", "code --wait")
    assert code.command("d.md", 7) == ["/opt/code", "--wait", "--goto", "d.md:7"]


def test_a_run_is_reported_only_when_something_went_wrong():
    ed = Editor(("/bin/x",), "$EDITOR", "x")
    assert describe_run(ed, 0, None, changed=True, seconds=0.1) is None
    assert describe_run(ed, 0, None, changed=False, seconds=5.0) is None  # opened, looked, closed
    assert "--wait" in describe_run(ed, 0, None, changed=False, seconds=0.1)
    assert "exited with status 3; the file is unchanged" in describe_run(ed, 3, None, changed=False, seconds=0.1)
    assert "stopped by signal 9" in describe_run(ed, -9, None, changed=False, seconds=0.1)
    assert "Exec format error" in describe_run(ed, None, "Exec format error", changed=False, seconds=0.0)


# ----------------------------------------------------------------- in a real terminal

tmux_missing = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

DECK = "# Edit me\n\n" + "".join(f"## Question {i}\n\nAnswer {i}\n\n" for i in range(3))
BIN = "{bin}"
SAVES = "#!/bin/sh\nsed -i 's/Question 0/Question zero/' \"$2\"\n"  # gets "+LINE FILE"

# (case, editor value, a word of the one-line message that must appear; None: no message, the edit shows)
CASES = [
    ("nonexistent", "nonexistent-editor", "nonexistent-editor"),
    ("code-wait", "code --wait", "installed"),
    ("quote", "vim '", "quotation"),
    ("no-x-bit", f"{BIN}/noexec", "executable"),
    ("exit-3", "sh -c 'exit 3'", "status"),
    ("returns-at-once", "true", "--wait')"),
    ("saves", f"{BIN}/saves", None),
]


class Tmux:
    def __init__(self, socket: str):
        self.socket = socket

    def __call__(self, *args: str) -> str:
        cmd = ["tmux", "-L", self.socket, *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def screen(self, session: str) -> str:
        return self("capture-pane", "-p", "-t", session)

    def wait_for(self, session: str, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen(session)
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory):
    """One tmux server; every case's app started at once, each with its own data folder and $EDITOR."""
    tmux = Tmux(f"gq-editor-{uuid.uuid4().hex[:8]}")
    root = tmp_path_factory.mktemp("editor-e2e")
    bin_dir = root / "bin"
    executable(bin_dir, "noexec", mode=0o644)
    executable(bin_dir, "saves", SAVES)
    # No 'code' on this PATH, whatever the machine has; sh, sed and true are in /usr/bin or /bin.
    path = f"{bin_dir}:/usr/bin:/bin"
    assert shutil.which("code", path=path) is None
    repo = Path(__file__).parents[1]
    try:
        for name, value, _ in CASES:
            home = root / name
            (home / "decks").mkdir(parents=True)
            (home / "decks" / "edit.md").write_text(DECK)
            (home / "settings.toml").write_text("bundled_decks = false\n")
            env = {"GISTQUIZ_HOME": str(home), "TERM": "xterm-256color", "PATH": path}
            env["EDITOR"] = value.replace(BIN, str(bin_dir))
            assigns = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
            command = f"env -u VISUAL {assigns} {shlex.quote(sys.executable)} -m gistquiz; echo EXITED $?; sleep 60"
            args = ["new-session", "-d", "-s", name, "-x", "100", "-y", "30", "-c", str(repo), command]
            tmux(*args)
        yield tmux
    finally:
        subprocess.run(["tmux", "-L", tmux.socket, "kill-server"], capture_output=True)
        # kill-server leaves the socket file behind
        socket_dir = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
        (socket_dir / tmux.socket).unlink(missing_ok=True)


@tmux_missing
@pytest.mark.parametrize(("case", "value", "word"), CASES, ids=[c[0] for c in CASES])
def test_the_editor_key_comes_back_to_the_card_with_one_line_and_keys_work(apps: Tmux, case, value, word):
    apps.wait_for(case, "Welcome!")
    apps("send-keys", "-t", case, "Enter")
    apps.wait_for(case, "Question 0")
    apps("send-keys", "-t", case, "E")
    if word is None:
        screen = apps.wait_for(case, "Question zero")  # the editor ran in the terminal and the card reloaded
    else:
        screen = apps.wait_for(case, word)  # the app is drawn again, with the message
        assert "Question 0" in screen  # the same card
    assert "Traceback" not in screen
    apps("send-keys", "-t", case, "Space")
    apps.wait_for(case, "Answer 0")
    apps("send-keys", "-t", case, "C-q")
    apps.wait_for(case, "EXITED 0")
