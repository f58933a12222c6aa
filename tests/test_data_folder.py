"""A damaged data folder: one line naming the file and what to do, nothing written to a damaged database,
backups taken and kept as documented, and ``gistquiz repair`` restoring the newest good backup plus every
row still readable after it.

Databases are small (a few dozen pages) so the whole file runs in seconds; the damage is real: bytes
flipped on the pages SQLite's ``dbstat`` says belong to a table, tables dropped, values no gistquiz writes.
"""

from __future__ import annotations

import io
import random
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gistquiz import backup, cli, salvage
from gistquiz.errors import StoreError, UserError
from gistquiz.repair import repair
from gistquiz.scheduler import Rating, Scheduler
from gistquiz.settings import Settings, load
from gistquiz.store import DAMAGED_MARK, OPEN_MARK, Store, check_file, review_from_row

T0 = datetime(2026, 1, 1, 8, tzinfo=UTC)
SCHED = Scheduler(Settings())


def answer(store: Store, i: int) -> None:
    """Answer i of a made-up history: 40 cards answered in turn, an hour apart, each rating in turn."""
    key, rating, when = f"gist-dl:k{i % 40}", Rating(1 + i % 4), T0 + timedelta(hours=i)
    store.answer(key, "gist-dl", rating, when, lambda s: SCHED.review(s, rating, when))


def history(path: Path, first: int, last: int) -> None:
    with Store(path) as store:
        for i in range(first, last):
            answer(store, i)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> bytes:
    """A database with 200 answers (about 40 pages), made once for the module."""
    path = tmp_path_factory.mktemp("pristine") / "gistquiz.sqlite3"
    history(path, 0, 200)
    return path.read_bytes()


@pytest.fixture
def db(gistquiz_home: Path, pristine: bytes) -> Path:
    path = gistquiz_home / "gistquiz.sqlite3"
    path.write_bytes(pristine)
    return path


def leaf_pages(path: Path, table: str) -> list[int]:
    with sqlite3.connect(path) as c:
        pages = [p for (p,) in c.execute("SELECT pageno FROM dbstat WHERE name=? AND pagetype='leaf'", (table,))]
    c.close()
    return pages


def flip(path: Path, pages: list[int], n: int = 200, seed: int = 0) -> None:
    """Flip ``n`` bytes at random places on ``pages`` (never page 1, the header and the schema)."""
    rng = random.Random(seed)
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big")
    for _ in range(n):
        page = rng.choice([p for p in pages if p > 1])
        data[(page - 1) * size + rng.randrange(size)] ^= 0xFF
    path.write_bytes(bytes(data))


def sql(path: Path, statement: str) -> None:
    c = sqlite3.connect(path)
    c.execute(statement)
    c.commit()
    c.close()


DAMAGES = {
    "flipped log pages": lambda p: flip(p, leaf_pages(p, "reviews")),
    "flipped card pages": lambda p: flip(p, leaf_pages(p, "cards"), n=60),
    "schema version 2.0-beta": lambda p: sql(p, "UPDATE meta SET value='2.0-beta' WHERE key='schema_version'"),
    "missing reviews table": lambda p: sql(p, "DROP TABLE reviews"),
    "card state 42": lambda p: sql(p, "UPDATE cards SET state=42 WHERE key='gist-dl:k3'"),
    "cut at a page": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2 // 4096 * 4096]),
    "flipped schema page": lambda p: p.write_bytes(p.read_bytes()[:3000] + bytes(500) + p.read_bytes()[3500:]),
    "replaced by garbage": lambda p: p.write_bytes(random.Random(1).randbytes(len(p.read_bytes()))),
}
COMMANDS = [["check"], ["decks"], ["stats"], ["review", "--plain"], ["rebuild"], ["backup"]]


def side_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.endswith(("-wal", "-shm", "-journal")))


@pytest.mark.parametrize("damage", DAMAGES)
def test_every_command_on_a_damaged_database_says_one_line_and_writes_nothing(db, damage, capsys, monkeypatch):
    DAMAGES[damage](db)
    before = db.read_bytes()
    for command in COMMANDS:
        monkeypatch.setattr("sys.stdin", io.StringIO("\n1\n\n3\nq\n"))
        code = cli.main(command)
        err = capsys.readouterr().err.strip()
        assert code == 1, (command, err)
        assert len(err.splitlines()) == 1 and str(db) in err and "gistquiz repair" in err, (command, err)
        assert db.read_bytes() == before, command
        assert side_files(db) == [], command


def test_damage_found_once_is_remembered_and_refused_until_repair(db, gistquiz_home):
    flip(db, leaf_pages(db, "reviews"))
    with pytest.raises(StoreError, match="damaged"), Store(db) as store:
        store.require_intact()
    assert (gistquiz_home / ("gistquiz.sqlite3" + DAMAGED_MARK)).exists()
    before = db.read_bytes()
    with pytest.raises(StoreError, match="run 'gistquiz repair'"):
        Store(db)  # a later run refuses before reading a page
    assert db.read_bytes() == before


def test_an_unclean_exit_runs_the_full_check_at_the_next_open(db, gistquiz_home):
    flip(db, leaf_pages(db, "reviews"))
    (gistquiz_home / f"gistquiz.sqlite3{OPEN_MARK}999999999-0").touch()  # left by a process that is gone
    before = db.read_bytes()
    with pytest.raises(StoreError, match="not closed cleanly"):
        Store(db)
    assert db.read_bytes() == before and side_files(db) == []


def test_a_clean_run_leaves_no_mark_and_an_unclean_one_is_checked_then_cleared(db, gistquiz_home):
    Store(db)  # not closed: the interpreter's exit removes the mark (atexit); here, a live pid keeps it
    marks = list(gistquiz_home.glob(f"*{OPEN_MARK}*"))
    assert len(marks) == 1
    stale = marks[0].with_name(f"gistquiz.sqlite3{OPEN_MARK}999999999-0")
    marks[0].rename(stale)  # as if that process had been killed
    Store(db).close()  # the check passes: the stale mark goes
    assert not stale.exists()


def test_a_full_disk_mid_session_is_one_line_and_keeps_every_earlier_answer(db):
    store = Store(db)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count={pages + 1}")  # the disk fills up after a page
    with pytest.raises(StoreError, match="the disk is full") as raised:
        for i in range(200, 400):
            answer(store, i)
    assert len(str(raised.value).splitlines()) == 1 and str(db) in str(raised.value)
    written = store.review_count()
    assert written >= 200 and store.damaged is None  # a full disk is not damage
    store.close()
    with Store(db) as again:
        assert again.review_count() == written and again.integrity_ok()


def test_a_settings_file_that_is_not_utf8_names_its_line(gistquiz_home):
    path = gistquiz_home / "settings.toml"
    path.write_bytes(b"new_per_day = 5\n# caf\xe9\n")
    with pytest.raises(UserError, match=r"settings.toml:2: not UTF-8 text \(byte 0xe9\).*save it as UTF-8"):
        load(path)


def test_the_check_never_creates_side_files_even_with_a_wal(db):
    store = Store(db)
    answer(store, 200)  # the answer sits in the -wal until a checkpoint
    assert (db.parent / "gistquiz.sqlite3-wal").exists()
    names = side_files(db)
    assert check_file(db) == ["ok"]
    assert salvage.read(db).reviews[-1][0] == 201  # the copy replays the -wal: the new answer is read
    assert side_files(db) == names
    store.close()


# ----------------------------------------------------------------- backups


def test_a_backup_is_a_checked_copy_and_only_the_newest_are_kept(db, monkeypatch):
    monkeypatch.setattr(backup, "KEEP", 3)
    with Store(db) as store:
        made = [backup.before(store, "manual", T0 + timedelta(minutes=i)) for i in range(5)]
    kept = [b.path for b in backup.backups(db.parent / "backups")]
    assert kept == made[:1:-1]  # the newest three, newest first
    copy = sqlite3.connect(kept[0])
    assert copy.execute("SELECT count(*) FROM reviews").fetchone() == (200,)
    copy.close()


def test_a_damaged_database_is_never_backed_up_and_the_last_good_backup_stays(db, monkeypatch):
    monkeypatch.setattr(backup, "KEEP", 1)
    with Store(db) as store:
        good = backup.before(store, "manual", T0)
    flip(db, leaf_pages(db, "reviews"))
    with Store(db) as store, pytest.raises(StoreError, match="damaged"):
        backup.before(store, "manual", T0 + timedelta(days=1))
    assert [b.path for b in backup.backups(db.parent / "backups")] == [good]


def test_the_daily_backup_is_taken_once_a_day(db):
    with Store(db) as store:
        first = backup.daily(store, T0)
        assert first is not None
        assert backup.daily(store, T0 + timedelta(hours=23)) is None
        assert backup.daily(store, T0 + timedelta(hours=25)) is not None


@pytest.mark.parametrize(
    "name",
    [
        "gistquiz-20260304-150607-daily.sqlite3",
        "gistquiz-20261231-235959-import.2.sqlite3",
        "gistquiz-20260230-120000-daily.sqlite3",  # no such day
        "gistquiz-2026034-150607-daily.sqlite3",
        "gistquiz-20260304-1506-daily.sqlite3",
        "gistquiz-2026030４-150607-daily.sqlite3",  # a digit, but not an ASCII one
        "gistquiz-+2026030-150607-daily.sqlite3",
        "gistquiz-latest.sqlite3",
        "gistquiz-.sqlite3",
    ],
)
def test_a_backup_name_is_read_as_strptime_reads_the_stamp_it_was_written_with(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    parts = name[len("gistquiz-") : -len(".sqlite3")].split("-", 2)
    try:
        expected = datetime.strptime(f"{parts[0]}-{parts[1]}", "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
        assert len(parts[0]) == 8 and len(parts[1]) == 6 and (parts[0] + parts[1]).isascii()
    except (ValueError, IndexError, AssertionError):
        expected = None
    found = backup.backups(tmp_path)
    assert [b.taken_at for b in found] == ([expected] if expected else [])


def test_importing_history_backs_up_first(db):
    with Store(db) as store:
        store.import_reviews([])
    assert [b.reason for b in backup.backups(db.parent / "backups")] == ["import"]


def test_rebuild_and_a_schema_migration_back_up_first(db, monkeypatch):
    assert cli.main(["rebuild"]) == 0
    assert [b.reason for b in backup.backups(db.parent / "backups")] == ["rebuild", "daily"]
    from gistquiz import store as store_module

    steps = [*store_module._MIGRATIONS, ["CREATE TABLE extra (x)"]]
    monkeypatch.setattr(store_module, "_MIGRATIONS", steps)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1 + len(steps))
    Store(db).close()
    assert backup.backups(db.parent / "backups")[0].reason == "migration"


# ----------------------------------------------------------------- repair


def answers_in(path: Path) -> list[tuple]:
    c = sqlite3.connect(path)
    rows = c.execute("SELECT id, card_key, rating, reviewed_at FROM reviews ORDER BY id").fetchall()
    c.close()
    return rows


def states_in(path: Path) -> dict:
    with Store(path) as store:
        return store.states()


@pytest.fixture
def reference(tmp_path: Path, pristine: bytes) -> Path:
    """The same 200 answers, then 100 more, undamaged: what a perfect repair would give."""
    path = tmp_path / "reference.sqlite3"
    path.write_bytes(pristine)
    history(path, 200, 300)
    return path


def test_repair_restores_the_newest_good_backup_plus_every_readable_later_row(db, reference, capsys):
    with Store(db) as store:
        backup.before(store, "daily", T0)  # the backup holds answers 1-200
    history(db, 200, 300)  # 100 answers after it
    flip(db, leaf_pages(db, "reviews"))  # damage on the log's pages, old and new
    readable_rows = salvage.read(db).reviews
    assert len(readable_rows) < 300

    assert cli.main(["repair"]) == 0
    out = capsys.readouterr().out
    repaired = answers_in(db)
    ref = answers_in(reference)
    # Every row the repaired log holds is the reference's row; what is missing is exactly what was reported.
    assert set(repaired) <= set(ref)
    ids = {r[0] for r in repaired}
    assert set(range(1, 201)) <= ids  # everything before the backup is back
    lost = sorted({r[0] for r in ref} - ids)
    assert lost and min(lost) > 200  # only rows after the backup, unreadable in the damaged file, are lost
    fully_valid = {r[0] for r in readable_rows if valid(r)}
    assert fully_valid - set(range(1, 201)) <= ids  # every intact row after the backup is kept,
    assert len(ids - set(range(1, 201))) > len(fully_valid - set(range(1, 201)))  # and answers with damaged states
    assert f"lost {len(lost)} answers" in out and "restored 200 answers from the backup" in out
    assert "integrity_check: ok" in out
    c = sqlite3.connect(db)
    assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    c.close()
    assert (db.parent / "backups").glob("damaged-*.sqlite3")
    # Card states are the log's replay: a card whose answers all survived has the reference's state.
    ref_states, got = states_in(reference), states_in(db)
    lost_keys = {r[1] for r in ref if r[0] in set(lost)}
    for key, state in ref_states.items():
        if key not in lost_keys:
            assert got[key] == state, key


def valid(row: tuple) -> bool:
    """An intact log row: every text is text (not bytes that failed to decode) and every value parses."""
    try:
        entry = review_from_row(row)
    except (ValueError, TypeError, KeyError):
        return False
    return all(isinstance(v, str) for v in (entry.card_key, entry.deck, entry.source))


@pytest.mark.parametrize("damage", DAMAGES)
def test_repair_fixes_each_kind_of_damage_and_the_commands_work_again(db, damage, capsys):
    with Store(db) as store:
        backup.before(store, "daily", T0)
    DAMAGES[damage](db)
    assert cli.main(["repair"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] != f"checked {db}: ok" and "integrity_check: ok" in out
    assert cli.main(["stats", "--json"]) == 0
    with Store(db) as store:
        assert store.check() == [] and store.review_count() == 200  # everything was in the backup
    assert not (db.parent / ("gistquiz.sqlite3" + DAMAGED_MARK)).exists()


def test_repair_without_a_backup_keeps_every_readable_answer_and_reports_the_rest(db, pristine, tmp_path):
    reference = tmp_path / "reference.sqlite3"
    reference.write_bytes(pristine)
    flip(db, leaf_pages(db, "reviews"))
    intact = {r[0] for r in salvage.read(db).reviews if valid(r)}
    report = repair(db, SCHED, T0)
    assert report.backup_used is None and report.integrity == "ok"
    kept = answers_in(db)
    assert set(kept) <= set(answers_in(reference))  # no answer kept with a wrong card, rating or time
    ids = {r[0] for r in kept}
    assert intact <= ids and len(ids) == report.reviews_from_file
    assert ids | {i for r in report.lost for i in range(r.first, r.last + 1)} == set(range(1, 201))
    with Store(db) as store:
        assert store.check() == []


def test_repair_of_an_intact_database_backs_up_and_changes_nothing(db):
    before = answers_in(db)
    report = repair(db, SCHED, T0)
    assert report.problems == [] and report.cards_changed == 0 and report.moved_to is None
    assert answers_in(db) == before
    assert [b.reason for b in backup.backups(db.parent / "backups")] == ["repair"]


def test_repair_refuses_while_another_gistquiz_has_the_database_open(db):
    with Store(db), pytest.raises(StoreError, match="open in another gistquiz"):
        repair(db, SCHED, T0)


# ----------------------------------------------------------------- a full disk at start, and in the app


def test_a_full_disk_at_start_is_refused_before_any_side_file_is_made(db, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(10**9, 10**9, 1000))
    with pytest.raises(StoreError, match="the disk is full"):
        Store(db)
    assert side_files(db) == []


UNSHARE = shutil.which("unshare")


@pytest.mark.skipif(
    sys.platform != "linux" or not UNSHARE or subprocess.run([UNSHARE, "-rm", "true"]).returncode != 0,
    reason="needs a user namespace to mount a small tmpfs",
)
def test_a_really_full_disk_leaves_the_database_and_its_folder_as_they_were(db, tmp_path):
    """A 400 KiB tmpfs, filled up: every command says so in one line and leaves no -wal or -shm behind."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = (
        f"mount -t tmpfs -o size=400k tmpfs {mnt} && cp {db} {mnt}/ && "
        f"(dd if=/dev/zero of={mnt}/fill bs=4k 2>/dev/null; true) && "
        f"for c in stats check rebuild repair; do {sys.executable} -m gistquiz $c --home {mnt} 2>&1; done; "
        f"cmp {db} {mnt}/gistquiz.sqlite3 && ls {mnt}"
    )
    run = subprocess.run([UNSHARE, "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=120)
    lines = run.stdout.splitlines()
    assert run.returncode == 0, run.stdout + run.stderr
    full = f"gistquiz: {mnt}/gistquiz.sqlite3: the disk is full: free some space, then start gistquiz again"
    assert lines[:4] == [full] * 4
    assert lines[4:] == ["fill", "gistquiz.sqlite3"]


async def test_a_write_refused_mid_review_is_shown_on_home_and_the_app_stays_open(gistquiz_home, tmp_path):
    from textual.widgets import Static

    from gistquiz.ui.app import GistQuizApp
    from gistquiz.ui.screens.home import HomeScreen
    from gistquiz.ui.screens.review import ReviewScreen
    from gistquiz.workspace import Workspace

    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\n")
    decks = tmp_path / "decks"
    decks.mkdir()
    (decks / "tiny.md").write_text("# Tiny\n" + "".join(f"\n## {i} + 1?\n\n{i + 1}\n" for i in range(40)))
    app = GistQuizApp(Workspace(gistquiz_home, [decks]))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("space", "3")  # one answer on disk
        await pilot.pause()
        store = app.workspace.store
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count={pages}")  # the disk is full from now on
        for _ in range(39):  # an answer fills a page's free space first: a few go through
            await pilot.press("space", "3")
            await pilot.pause()
            if not isinstance(app.screen, ReviewScreen):
                break
        assert isinstance(app.screen, HomeScreen) and app.is_running
        hint = str(app.screen.query_one("#hint", Static).render())
        assert "the disk is full" in hint and str(store.path) in hint
        await pilot.press("enter")  # the table is still there: Enter says why it does not review
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert [n.message for n in app._notifications][-1].startswith("The decks are not loaded: fix the problem")
        answered = store.review_count()
    with Store(gistquiz_home / "gistquiz.sqlite3") as again:
        assert 1 <= again.review_count() == answered < 40


async def test_a_damaged_database_is_shown_on_home_and_the_app_stays_open(db, gistquiz_home):
    from textual.widgets import Static

    from gistquiz.ui.app import GistQuizApp
    from gistquiz.ui.screens.home import HomeScreen
    from gistquiz.workspace import Workspace

    DAMAGES["missing reviews table"](db)
    before = db.read_bytes()
    app = GistQuizApp(Workspace(gistquiz_home))
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        hint = str(app.screen.query_one("#hint", Static).render())
        assert "table 'reviews' is missing" in hint and "gistquiz repair" in hint
        assert isinstance(app.screen, HomeScreen) and app.is_running
    assert db.read_bytes() == before


def test_optimize_backs_up_first_and_repair_keeps_the_fitted_parameter_events(db):
    with Store(db) as store:
        store.record_parameters([(T0 + timedelta(days=30), None, "future", '{"w": [1]}')])
        events = store.parameter_events()
    assert [b.reason for b in backup.backups(db.parent / "backups")] == ["optimize"]
    flip(db, leaf_pages(db, "reviews"))
    report = repair(db, SCHED, T0)
    assert report.problems and report.integrity == "ok"
    with Store(db) as store:
        assert store.parameter_events() == events


DIGESTS = ("a" * 64, "b" * 64)


def export_records(store: Store) -> tuple[dict, dict, list]:
    notes = store.exported_notes("gist-dl")
    trusted = [store.is_trusted("/decks/mine.md", d) for d in DIGESTS]
    return notes, {k: store.exercise_code(k) for k in ("gist-dl:ex1", "gist-dl:ex2", "gist-dl:ex3")}, trusted


@pytest.mark.parametrize("with_backup", [False, True])
def test_repair_keeps_the_anki_export_records_the_saved_exercise_code_and_what_may_run(db, with_backup):
    from gistquiz.store import ExportedNote

    def notes(*keys: str, content: str = "c1") -> list[ExportedNote]:
        return [ExportedNote(f"gist-dl:{k}", f"guid-{k}", f"fp-{k}", content, 0) for k in keys]

    with Store(db) as store:
        store.stamp_exported_notes("gist-dl", notes("a", "b"), 1_700_000_000)
        store.save_exercise_code("gist-dl:ex1", "def f(x):\n    return x\n", T0)
        store.trust("/decks/mine.md", DIGESTS[0], "asked", T0)
        if with_backup:  # the backup holds the first records; the damaged file has later ones too
            backup.before(store, "daily", T0)
        store.stamp_exported_notes("gist-dl", [*notes("a", content="c2"), *notes("c")], 1_700_000_100)
        store.save_exercise_code("gist-dl:ex2", "print('later')", T0 + timedelta(days=1))
        store.save_exercise_code("gist-dl:ex1", "def f(x):\n    return 2 * x\n", T0 + timedelta(days=1))
        store.trust("/decks/mine.md", DIGESTS[1], "written", T0 + timedelta(days=1))
        expected = export_records(store)
    assert len(expected[0]) == 3 and expected[0]["gist-dl:a"].changed_at == 1_700_000_100
    assert expected[2] == [True, True]
    flip(db, leaf_pages(db, "reviews"))
    report = repair(db, SCHED, T0 + timedelta(days=2))
    assert report.problems and report.integrity == "ok" and (report.backup_used is not None) == with_backup
    with Store(db) as store:
        assert export_records(store) == expected
    assert "kept 3 records of notes exported to Anki, 2 saved exercise answers and 2 files you allowed to run" in (
        report.lines()
    )
