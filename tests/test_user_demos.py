"""The learner's own demos: found beside their decks, linked, listed, run standalone and in the app like the
bundled ones; the import rule (bundled modules first, a clash is an error naming both files); trust."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gistquiz import registry, trust
from gistquiz.cli import main
from gistquiz.locations import demos_dir, user_demos_dir
from gistquiz.runner import DemoRun
from gistquiz.workspace import Workspace

NOW = datetime(2026, 12, 6, tzinfo=UTC)
DECK = "# Mine\n\n## How does the mean spread?\nid: spread\ndemo: mine\n\nAs 1/sqrt(12 n).\n"
IMPORTS = '''"""Shows where its imports come from."""
from gistquiz.registry import bundled_first

bundled_first(__file__)
import harness, layers, digits, helper  # noqa: E401,E402

PARAMS = []


def run(seed=0, progress=None):
    return None


print(json.dumps([m.__file__ for m in (harness, layers, digits, helper)]))
'''


def gq(*args: str, home: Path, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GISTQUIZ_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "gistquiz", *args], stdin=stdin, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def mine(gistquiz_home: Path) -> Path:
    """The template demo, written by ``gistquiz new-demo mine``."""
    assert main(["new-demo", "mine"]) == 0
    return user_demos_dir(gistquiz_home) / "mine.py"


def test_new_demo_writes_a_template_that_runs_standalone_and_matches_its_closed_form(mine):
    out = subprocess.run(
        [sys.executable, str(mine), "--json", "--trials", "4000", "--largest-n", "64"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["demo"] == "mine" and report["headline"] and report["tables"] and report["plots"]
    assert report["params"] == {"trials": 4000, "largest_n": 64}
    rows = report["tables"][0]["rows"]
    assert [r[0] for r in rows] == [1, 2, 4, 8, 16, 32, 64]
    for n, measured, expected, _ in rows:
        assert expected == pytest.approx((12 * n) ** -0.5)  # the closed form, computed here independently
        # the std of 4000 means is within a few standard errors of it (its relative s.e. is 1/sqrt(2 * 3999))
        assert measured == pytest.approx(expected, rel=5 / (2 * 3999) ** 0.5)


def test_a_user_demo_is_found_linked_listed_and_run_like_a_bundled_one(mine, gistquiz_home, capsys):
    ws = Workspace.open()
    info = registry.demo_info("mine", ws.demo_folders)
    assert info is not None and info.source == "user" and info.path == mine
    assert info.claim.startswith("The mean of n uniform(0, 1) samples spreads as 1/sqrt(12 n)")
    assert registry.demo_info("bleu", ws.demo_folders).source == "bundled"

    decks = gistquiz_home / "decks"
    decks.mkdir()
    (decks / "mine.md").write_text(DECK)
    assert main(["check", str(decks / "mine.md")]) == 0, capsys.readouterr().out
    assert "unknown demo" not in capsys.readouterr().out

    assert main(["demo", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert any(line.split()[:2] == ["mine", "yours"] for line in listed)
    assert any(line.split()[:2] == ["bleu", "bundled"] for line in listed)
    assert f"your demos: {user_demos_dir(gistquiz_home)} (1 demo" in listed[-1]

    outcome = DemoRun("mine", {"trials": 200}, seed=3, folder=ws.demo_folders).run()
    assert outcome.ok, (outcome.error, outcome.tail)
    assert outcome.result["demo"] == "mine" and outcome.result["seed"] == 3

    run = gq("demo", "run", "mine", "--json", "--trials", "200", home=gistquiz_home)  # trusted: new-demo wrote it
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["params"]["trials"] == 200


def test_decks_shows_the_demos_folder(gistquiz_home, capsys):
    assert main(["decks"]) == 0
    assert f"your demos: {user_demos_dir(gistquiz_home)}" in capsys.readouterr().out


def test_a_new_demo_is_found_without_restarting(gistquiz_home):
    ws = Workspace.open()
    assert "later" not in ws.library.cards() and "later" not in registry.demo_names(ws.demo_folders)
    folder = user_demos_dir(gistquiz_home)
    folder.mkdir()
    (folder / "later.py").write_text('"""Written while the app ran."""\nPARAMS = []\ndef run(seed=0):\n    pass\n')
    assert "later" in registry.demo_names(ws.demo_folders)
    (folder / "later.py").write_text('"""A new claim, longer."""\nPARAMS = []\ndef run(seed=0):\n    pass\n')
    assert registry.demo_info("later", ws.demo_folders).claim == "A new claim, longer."
    decks = gistquiz_home / "decks"
    decks.mkdir()
    (decks / "d.md").write_text("# D\n\n## Q?\ndemo: later\n\nA.\n")
    assert ws.reload().errors == []  # `r` in the app: the deck's link to the new demo is accepted


def test_a_user_demo_imports_the_bundled_modules_and_its_own(gistquiz_home):
    folder = user_demos_dir(gistquiz_home)
    folder.mkdir()
    (folder / "helper.py").write_text("K = 1\n")
    (folder / "where.py").write_text("import json\n" + IMPORTS)
    out = subprocess.run([sys.executable, str(folder / "where.py")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    files = [Path(f) for f in json.loads(out.stdout)]
    assert [f.parent for f in files[:3]] == [demos_dir()] * 3 and files[3] == folder / "helper.py"


@pytest.mark.parametrize(
    ("name", "kind"), [("layers", "module"), ("harness", "module"), ("bleu", "demo")], ids=["layers", "harness", "bleu"]
)
def test_a_user_file_named_like_a_bundled_one_is_an_error_naming_both(gistquiz_home, mine, name, kind):
    folder = user_demos_dir(gistquiz_home)
    (folder / f"{name}.py").write_text((demos_dir() / "shapes.py").read_text() if kind == "demo" else "X = 1\n")
    ws = Workspace.open()
    found = registry.find(ws.demo_folders)
    (problem,) = found.problems
    assert str(folder / f"{name}.py") in problem and str(demos_dir() / f"{name}.py") in problem
    assert f"bundled {kind}" in problem
    assert registry.demo_info(name, ws.demo_folders) in (None, registry.demo_info(name))  # the bundled one, if any
    assert found.demos["mine"].source == "user"  # the other user demos still load
    listed = gq("demo", "list", home=gistquiz_home)
    assert problem in listed.stderr
    checked = gq("check", home=gistquiz_home)
    assert checked.returncode == 1 and problem in checked.stdout
    standalone = subprocess.run([sys.executable, str(mine)], capture_output=True, text=True, timeout=60)
    assert standalone.returncode == 1 and problem in standalone.stderr


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("2fast", "not a Python name"),
        ("my-demo", "not a Python name"),
        ("class", "not a Python name"),
        ("bleu", "bundled demo"),
        ("harness", "bundled demo or module"),
        ("json", "installed module"),
        ("list", "a word of 'gistquiz demo'"),
    ],
)
def test_new_demo_refuses_bad_names(gistquiz_home, capsys, name, words):
    assert main(["new-demo", name]) == 2
    assert words in capsys.readouterr().err
    assert not (user_demos_dir(gistquiz_home) / f"{name}.py").exists()


def test_new_demo_never_overwrites(mine, capsys):
    mine.write_text("# my work\n")
    assert main(["new-demo", "mine"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert mine.read_text() == "# my work\n"


def test_an_edited_user_demo_asks_and_a_non_terminal_says_how_to_allow_it(mine, gistquiz_home):
    mine.write_text(mine.read_text().replace("trials", "draws"))  # edited in another editor
    out = gq("demo", "run", "mine", "--json", home=gistquiz_home)
    assert out.returncode == 1 and out.stdout == ""
    assert gq("demo", "mine", "--help", home=gistquiz_home).stdout == "", "--help runs the file's code too"
    assert f"Run this demo? {mine}" in out.stderr and "read and write your files and use the network" in out.stderr
    assert "not run" in out.stderr and "in a terminal and answer y" in out.stderr


def test_a_yes_on_a_terminal_is_recorded_and_not_asked_again(mine, gistquiz_home, monkeypatch, capsys):
    from gistquiz.cli import _may_run_demo

    mine.write_text(mine.read_text() + "\n# edited elsewhere\n")
    ws = Workspace.open()
    info = registry.demo_info("mine", ws.demo_folders)
    answers = iter(["n", "y"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    assert not _may_run_demo(ws, info)
    assert not trust.is_trusted(ws.store, trust.demo_code(mine))
    assert _may_run_demo(ws, info)
    assert _may_run_demo(ws, info)  # no third answer needed: recorded
    assert capsys.readouterr().err.count("Run this demo?") == 2


# ----------------------------------------------------------------- in the app


async def test_the_app_asks_before_an_edited_user_demo_runs_and_no_runs_nothing(mine, gistquiz_home):
    from textual.widgets import DataTable, Static

    from gistquiz.ui.app import GistQuizApp
    from gistquiz.ui.screens.editor import ConfirmScreen as TrustScreen
    from gistquiz.ui.widgets.demo_panel import DemoPanel

    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\n")
    decks = gistquiz_home / "decks"
    decks.mkdir()
    (decks / "mine.md").write_text(DECK)
    mine.write_text(mine.read_text().replace('Param("trials", 2000', 'Param("trials", 100'))  # edited elsewhere
    app = GistQuizApp(Workspace.open(), clock=lambda: NOW)

    def shown() -> str:
        return " ".join(str(s.render()) for s in app.screen.query_one("#demo", DemoPanel).query(Static))

    async def settle(pilot) -> None:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()

    async with app.run_test(size=(80, 30)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        table = app.screen.query_one("#demo-list", DataTable)
        assert str(table.get_row("mine")[1]) == "1"  # the card linking it
        table.move_cursor(row=table.get_row_index("mine"))
        await pilot.pause()
        assert "mine (yours)" in shown()
        await pilot.press("p")  # reading its parameters runs its code too
        await pilot.pause()
        assert isinstance(app.screen, TrustScreen)
        await pilot.press("n")
        await settle(pilot)
        assert "Not run: you did not allow" in shown() and "Reading" not in shown()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, TrustScreen)
        assert str(mine) in str(app.screen.query_one("#question", Static).render())
        await pilot.press("n")
        await settle(pilot)
        assert "Not run: you did not allow" in shown() and "mean of uniform samples" not in shown()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, TrustScreen), "a no is not remembered: r asks again"
        await pilot.press("y")
        await settle(pilot)
        assert "mean of uniform samples spread by" in shown()
        assert trust.is_trusted(app.workspace.store, trust.demo_code(mine))
        await pilot.press("r")
        await settle(pilot)
        assert not isinstance(app.screen, TrustScreen), "a yes is remembered for this content"


OLD_IS_DEMO = re.compile(r"^PARAMS\s*[:=].*?^def run\(", re.MULTILINE | re.DOTALL)
"""The pattern ``registry.is_demo`` replaced: it must say the same of every text."""


def test_is_demo_agrees_with_the_pattern_it_replaced_on_every_bundled_module():
    files = sorted(demos_dir().glob("*.py"))
    assert len(files) > 16
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert registry.is_demo(text) == bool(OLD_IS_DEMO.search(text)), path


PIECES = ["PARAMS", "PARAMS", " ", "\t", "=", ":", " = {}", "\n", "def run(", "def run", "x", "#", "\r"]


@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_is_demo_agrees_with_the_pattern_it_replaced_on_any_text(text):
    assert registry.is_demo(text) == bool(OLD_IS_DEMO.search(text))
