"""The deck table in the first frame (issue 18, goal 3): a helper process looks at the decks read-only while
the app imports Textual, and the home screen draws its view when it mounts.

What must hold: the look gives the very view the app's own load gives (one rule: ``home_view.compute``);
it writes nothing to the data folder; it declines whenever the app's open would act first (no database, a
damage mark, an unclean exit, a database open elsewhere, another schema, not WAL yet, cards to re-link); a
helper that is not done is stopped and reaped, never waited for; and a key pressed on the helper's table does
what it says once the decks are loaded."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from gistquiz import first_frame, home_view, locations
from gistquiz.errors import StoreError
from gistquiz.home_view import HomeView, Row, compute, decode, encode, look
from gistquiz.scheduler import Rating
from gistquiz.session import Session
from gistquiz.store import DAMAGED_MARK, OPEN_MARK, SCHEMA_VERSION, Store
from gistquiz.ui.app import GistQuizApp
from gistquiz.ui.screens.home import HomeScreen
from gistquiz.workspace import Workspace

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DECK = "# Ours\n\n" + "".join(f"## Question {i}?\n\nAnswer {i}.\n\n" for i in range(1, 9))
BROKEN = "# Broken\n\n## Q\nfoo: bar\n\nA\n"


@pytest.fixture
def decks(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "ours.md").write_text(DECK, encoding="utf-8")
    (folder / "broken.md").write_text(BROKEN, encoding="utf-8")
    return folder


def opened(home: Path, decks: Path, now: datetime = T0) -> HomeView:
    """What the app's worker shows: a normal open, the decks read, edited cards re-linked; closed after."""
    ws = Workspace(home, [decks])
    try:
        relinks = ws.sync(now)
        return compute(ws, now, relinks)
    finally:
        ws.close()


def looked(home: Path, decks: Path, now: datetime = T0) -> HomeView | None:
    ws = Workspace(home, [decks], read_only=True)
    try:
        return look(ws, now)
    finally:
        ws.close()


def answer_some(home: Path, decks: Path, now: datetime) -> None:
    """A few answers: cards learning, one in review, some new left."""
    ws = Workspace(home, [decks])
    try:
        ws.sync(now)
        deck = ws.library.find_deck("ours")
        session = Session(deck.cards, ws.store, ws.scheduler, clock=lambda: now)
        for rating in (Rating.GOOD, Rating.AGAIN, Rating.EASY, Rating.HARD):
            card = session.next()
            session.answer(card, rating)
    finally:
        ws.close()


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_the_look_gives_the_apps_view_fresh_answered_and_a_day_later(gistquiz_home, decks):
    first = opened(gistquiz_home, decks)
    assert first.cursor is not None and "Welcome" in first.hint  # a first run, and the broken deck's line
    assert looked(gistquiz_home, decks) == first and first.problems
    answer_some(gistquiz_home, decks, T0)
    for now in (T0, T0 + timedelta(hours=1), T0 + timedelta(days=1), T0 + timedelta(days=9)):
        view = opened(gistquiz_home, decks, now)
        assert looked(gistquiz_home, decks, now) == view
    assert view.cursor is None and view.rows[0].key == home_view.ALL
    assert [r.numbers for r in view.rows] != [r.numbers for r in first.rows]  # the answers show


def test_the_look_writes_nothing_even_with_decks_to_parse_again(gistquiz_home, decks):
    opened(gistquiz_home, decks)
    before = snapshot(gistquiz_home)
    (decks / "ours.md").write_text(DECK + "## Question 9?\n\nAnswer 9.\n", encoding="utf-8")  # a stale cache
    assert looked(gistquiz_home, decks) is None  # a new card: the app checks it for re-linking first
    (decks / "ours.md").write_text(DECK + "\n\n", encoding="utf-8")  # the same cards, other bytes
    assert looked(gistquiz_home, decks) is not None  # parsed again, not stored
    assert snapshot(gistquiz_home) == before


def test_an_edited_deck_whose_cards_may_need_relinking_is_left_to_the_app(gistquiz_home, decks):
    opened(gistquiz_home, decks)
    answer_some(gistquiz_home, decks, T0)
    (decks / "ours.md").write_text(DECK.replace("Question 1?", "Question one?"), encoding="utf-8")
    assert looked(gistquiz_home, decks) is None
    view = opened(gistquiz_home, decks)  # the app re-links the answered card, then the look agrees again
    assert view.relinks and looked(gistquiz_home, decks) == view._replace(relinks=[])


def _no_database(home: Path) -> None:
    for p in home.glob("gistquiz.sqlite3*"):
        p.unlink()


def _damage_mark(home: Path) -> None:
    (home / f"gistquiz.sqlite3{DAMAGED_MARK}").write_text("damaged: test\n")


def _unclean_exit(home: Path) -> None:
    (home / f"gistquiz.sqlite3{OPEN_MARK}999999999-0").touch()  # no such process


def _older_schema(home: Path) -> None:
    with sqlite3.connect(home / "gistquiz.sqlite3") as db:
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION - 1),))


def _newer_schema(home: Path) -> None:
    with sqlite3.connect(home / "gistquiz.sqlite3") as db:
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))


def _not_wal(home: Path) -> None:
    db = sqlite3.connect(home / "gistquiz.sqlite3")
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()


def _open_elsewhere(home: Path) -> None:
    (home / "gistquiz.sqlite3-wal").write_bytes(b"")  # another gistquiz has it open: answers may be in here


def _not_a_database(home: Path) -> None:
    (home / "gistquiz.sqlite3").write_bytes(b"not sqlite" * 100)


@pytest.mark.parametrize(
    "spoil",
    [
        _no_database,
        _damage_mark,
        _unclean_exit,
        _open_elsewhere,
        _older_schema,
        _newer_schema,
        _not_wal,
        _not_a_database,
    ],
)
def test_the_look_declines_what_the_apps_open_would_act_on_and_writes_nothing(gistquiz_home, decks, spoil):
    opened(gistquiz_home, decks)
    spoil(gistquiz_home)
    before = snapshot(gistquiz_home)
    with pytest.raises(StoreError):
        looked(gistquiz_home, decks)
    assert first_frame.main([str(gistquiz_home), str(decks)]) == 1  # the helper says nothing, and exits 1
    assert snapshot(gistquiz_home) == before


def test_a_data_folder_with_a_name_a_uri_would_misread(tmp_path, decks):
    home = tmp_path / "my data #1? 100% ü"
    home.mkdir()
    view = opened(home, decks)
    assert looked(home, decks) == view


def test_a_read_error_in_a_look_leaves_no_damage_mark(gistquiz_home, decks):
    opened(gistquiz_home, decks)
    store = Store.reader(locations.database_path(gistquiz_home))
    try:
        with pytest.raises(StoreError):
            store._fail("database disk image is malformed")
    finally:
        store.close()
    assert not list(gistquiz_home.glob(f"*{DAMAGED_MARK}"))


def test_the_view_crosses_the_pipe_whole_or_not_at_all():
    view = HomeView([Row("*", "All decks", 0, (1, 2, 3, 4)), Row("d", "[b]D", 2, (0, 0, 0, 9))], "d", "h", "t",
                    ["a:1: x"], ["↺"], 2, 9)  # fmt: skip
    assert decode(encode(view)) == view
    data = encode(view)
    for bad in (b"", data[:-1], data[: len(data) // 2], b"\x00" * 8, encode(view._replace(decks="2"))):
        with pytest.raises((ValueError, TypeError, EOFError)):
            decode(bad)


def exited(pid: int, seconds: float = 30) -> None:
    """Wait (a test may; the app never does) until the helper ``pid`` has exited, and reap it."""
    deadline = time.monotonic() + seconds
    while os.waitpid(pid, os.WNOHANG)[0] == 0:
        assert time.monotonic() < deadline, "the helper did not finish"
        time.sleep(0.02)


posix_spawn = pytest.mark.skipif(not hasattr(os, "posix_spawn"), reason="the helper needs posix_spawn")


@posix_spawn
def test_the_helper_process_hands_over_the_apps_view(gistquiz_home, decks, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    opened(gistquiz_home, decks)
    answer_some(gistquiz_home, decks, datetime.now(UTC) - timedelta(days=1))
    expected = opened(gistquiz_home, decks, datetime.now(UTC))
    before = snapshot(gistquiz_home)
    lookahead = first_frame.start(Workspace(gistquiz_home, [decks]))
    assert lookahead is not None
    exited(lookahead.pid)
    lookahead.pid = None  # reaped above
    assert lookahead.take() == expected
    assert snapshot(gistquiz_home) == before


@posix_spawn
def test_a_helper_that_declines_gives_no_view(gistquiz_home, decks, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    lookahead = first_frame.start(Workspace(gistquiz_home, [decks]))  # no database yet
    exited(lookahead.pid)
    lookahead.pid = None
    assert lookahead.take() is None
    assert not (gistquiz_home / "gistquiz.sqlite3").exists()


@posix_spawn
def test_a_helper_that_is_not_done_is_not_waited_for_but_stopped_and_reaped():
    read, write = os.pipe()
    pid = os.posix_spawn("/bin/sh", ["sh", "-c", "printf partial; sleep 30"], os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, write, 1)])  # fmt: skip
    os.close(write)
    lookahead = first_frame.Lookahead(pid, read)
    time.sleep(0.2)  # "partial" is in the pipe, the end of file is not
    started = time.monotonic()
    assert lookahead.take() is None
    lookahead.discard()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # gone and reaped: no zombie left behind


def test_no_helper_on_one_core_or_when_turned_off(gistquiz_home, decks, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert first_frame.start(Workspace(gistquiz_home, [decks])) is None
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setenv("GISTQUIZ_FIRST_FRAME", "0")
    assert first_frame.start(Workspace(gistquiz_home, [decks])) is None


class Handed:
    """A lookahead whose view is ready: what the helper hands over."""

    def __init__(self, view: HomeView | None):
        self.view, self.discarded = view, False

    def take(self) -> HomeView | None:
        return self.view

    def discard(self) -> None:
        self.discarded = True


def table_rows(screen) -> list[list[str]]:
    table = screen.query_one("#decks", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.parametrize(
    ("key", "opens"),
    [("enter", "ReviewScreen"), ("q", "QuizSetupScreen"), ("s", "StatsScreen"), ("slash", "BrowseScreen"),
     ("d", "DemosScreen")],
)  # fmt: skip
async def test_home_draws_the_handed_view_at_mount_and_a_key_waits_for_the_load(
    gistquiz_home, decks, monkeypatch, key, opens
):
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\n")
    view = opened(gistquiz_home, decks)
    gate = threading.Event()
    real = Workspace.reload

    def slow_reload(self):
        assert gate.wait(30)
        return real(self)

    monkeypatch.setattr(Workspace, "reload", slow_reload)
    handed = Handed(view)
    app = GistQuizApp(Workspace(gistquiz_home, [decks]), clock=lambda: T0, lookahead=handed)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        home = app.screen
        assert isinstance(home, HomeScreen) and not home.loaded and home.load_running
        assert [row[0] for row in table_rows(home)] == ["Broken  ! 1 problem(s)", "Ours"]
        assert "Welcome" in str(home.query_one("#hint", Static).render())
        table = home.query_one("#decks", DataTable)
        table.move_cursor(row=table.get_row_index("ours"))
        await pilot.press(key)  # on the handed table, before the decks are loaded
        await pilot.pause(0.2)
        assert isinstance(app.screen, HomeScreen) and not app._notifications  # waits; says nothing wrong
        gate.set()
        await app.workers.wait_for_complete()
        for _ in range(5):
            await pilot.pause()
        assert type(app.screen).__name__ == opens  # the key pressed earlier, now done
        assert handed.discarded and app.lookahead is None


async def test_a_handed_view_the_load_disagrees_with_is_redrawn(gistquiz_home, decks):
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\n")
    view = opened(gistquiz_home, decks)
    stale = view._replace(rows=[r._replace(numbers=(99, 0, 0, 99)) for r in view.rows])
    app = GistQuizApp(Workspace(gistquiz_home, [decks]), clock=lambda: T0, lookahead=Handed(stale))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        for _ in range(3):
            await pilot.pause()
        assert app.screen.view == view and "99" not in {c for row in table_rows(app.screen) for c in row}


async def test_home_without_a_view_loads_as_before(gistquiz_home, decks):
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\n")
    handed = Handed(None)
    app = GistQuizApp(Workspace(gistquiz_home, [decks]), clock=lambda: T0, lookahead=handed)
    async with app.run_test(size=(80, 24)) as pilot:
        assert handed.discarded  # at mount: a helper that is not done is stopped at once
        await pilot.pause()
        await app.workers.wait_for_complete()
        for _ in range(3):
            await pilot.pause()
        assert [row[0] for row in table_rows(app.screen)] == ["Broken  ! 1 problem(s)", "Ours"]
        assert app.screen.loaded
