"""End to end in a real terminal: start gistquiz in tmux, review three cards, quit, read the stats."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

DECK = "# Three\n\n" + "".join(f"## Question {i}\n\nAnswer {i}\n\n" for i in range(5))


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def wait_for(session: str, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


def test_review_three_cards_in_a_real_terminal(tmp_path: Path):
    home = tmp_path / "home"
    (home / "decks").mkdir(parents=True)
    (home / "decks" / "three.md").write_text(DECK)
    (home / "settings.toml").write_text("bundled_decks = false\n")
    session = f"gq-{uuid.uuid4().hex[:8]}"
    env = f"GISTQUIZ_HOME={home} TERM=xterm-256color"
    command = f"env {env} {sys.executable} -m gistquiz; echo EXITED $?; sleep 30"
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", "-c", str(Path(__file__).parents[1]), command)
    try:
        wait_for(session, "Welcome!")
        tmux("send-keys", "-t", session, "Enter")
        for i in range(3):
            wait_for(session, f"Question {i}")
            tmux("send-keys", "-t", session, "Space")
            wait_for(session, f"Answer {i}")
            tmux("send-keys", "-t", session, "3")
        wait_for(session, "Question 3")
        tmux("send-keys", "-t", session, "C-q")
        wait_for(session, "EXITED 0")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    out = subprocess.run(
        [sys.executable, "-m", "gistquiz", "stats", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "GISTQUIZ_HOME": str(home)},
        check=True,
    )
    assert json.loads(out.stdout)["reviews_total"] == 3
