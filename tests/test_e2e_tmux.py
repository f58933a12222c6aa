"""End to end in a real terminal: start gistquiz in tmux, review three cards, quit, read the stats."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from test_exercise_review import exercise_note

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


@contextlib.contextmanager
def gistquiz_in_tmux(home: Path):
    """The app on an 80×24 tmux pane with ``home`` as its data folder; the session's name."""
    session = f"gq-{uuid.uuid4().hex[:8]}"
    env = f"GISTQUIZ_HOME={home} TERM=xterm-256color"
    command = f"env {env} {sys.executable} -m gistquiz; echo EXITED $?; sleep 30"
    tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", "-c", str(Path(__file__).parents[1]), command)
    try:
        yield session
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_review_three_cards_in_a_real_terminal(tmp_path: Path):
    home = tmp_path / "home"
    (home / "decks").mkdir(parents=True)
    (home / "decks" / "three.md").write_text(DECK)
    (home / "settings.toml").write_text("bundled_decks = false\n")
    with gistquiz_in_tmux(home) as session:
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
    out = subprocess.run(
        [sys.executable, "-m", "gistquiz", "stats", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "GISTQUIZ_HOME": str(home)},
        check=True,
    )
    assert json.loads(out.stdout)["reviews_total"] == 3


EXERCISE_DECK = "# Drills\n\n" + exercise_note(1)


def test_an_exercise_card_in_a_real_terminal_ctrl_keys_reach_the_app(tmp_path: Path):
    """Ctrl+J (a newline byte in a terminal), Ctrl+O and Ctrl+L arrive as the exercise screen's keys."""
    from datetime import UTC, datetime

    from gistquiz import trust
    from gistquiz.locations import database_path
    from gistquiz.store import Store

    home = tmp_path / "home"
    (home / "decks").mkdir(parents=True)
    deck = home / "decks" / "drills.md"
    deck.write_text(EXERCISE_DECK)
    (home / "settings.toml").write_text("bundled_decks = false\n")
    with Store(database_path(home)) as store:  # the trust question has Pilot tests of its own
        trust.allow(store, trust.deck_code(deck), datetime.now(UTC))
    with gistquiz_in_tmux(home) as session:
        wait_for(session, "Welcome!")
        tmux("send-keys", "-t", session, "Enter")
        wait_for(session, "Space Write code")
        tmux("send-keys", "-t", session, "Space")
        wait_for(session, "^j Run tests")
        tmux("send-keys", "-t", session, "Enter")
        tmux("send-keys", "-t", session, "-l", "    return x + 1")
        tmux("send-keys", "-t", session, "C-j")  # right after the typing: it grades the typed code
        wait_for(session, "max abs error 1")
        # Textual applies a key the code area binds (Backspace) on the way back up from it, so typing
        # right behind it may overtake it: wait for the edit, as the eye does
        tmux("send-keys", "-t", session, "BSpace", "BSpace", "BSpace", "BSpace")
        wait_for(session, "return x  ")
        tmux("send-keys", "-t", session, "-l", " * 2")
        wait_for(session, "return x * 2")
        tmux("send-keys", "-t", session, "C-o")  # the solution beside the code, after a failed run
        wait_for(session, "return 2 * x")
        tmux("send-keys", "-t", session, "Tab", "C-j")
        screen = wait_for(session, "1 of 1 tests passed")
        assert "Enter Accept" in screen
        tmux("send-keys", "-t", session, "Enter")  # revealed before passing: the suggestion is Again
        wait_for(session, "1 answered")
        tmux("send-keys", "-t", session, "C-q")
        wait_for(session, "EXITED 0")
    with Store(database_path(home)) as store:
        (row,) = store.reviews()
        assert row.rating == 1 and "return x * 2" in store.exercise_code(row.card_key)
