"""In a browser tab the app shows no server path: a path under the decks or data folder is shown relative to
it, named as such, any other by its file name; in a terminal paths stay as they are (issue 19, "Paths").

The app knows it is served from Textual's ``App.is_web`` (true under textual-serve's web driver); the Pilot
tests set it, and ``test_serve.py`` checks the same on a real server's screen.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from gistquiz.shown_paths import ShownPaths
from gistquiz.ui.app import GistQuizApp
from gistquiz.workspace import Workspace

BROKEN = "# Broken\n\n## Q\nfoo: bar\n\nA\n"


def test_paths_in_known_folders_are_named_and_others_shortened_to_their_file():
    shown = ShownPaths.of(Path("/srv/ann"), [Path("/opt/my notes")], demos=Path("/srv/demos"))
    assert shown.path("/srv/ann/decks/nets.md") == "decks folder/nets.md"
    assert shown.path("/srv/ann/gistquiz.sqlite3") == "data folder/gistquiz.sqlite3"
    assert shown.path("/opt/my notes/a.md") == "my notes/a.md"  # a --decks folder, by its name
    assert shown.path("/etc/elsewhere/x.md") == "x.md"
    assert shown.path("relative/x.md") == "relative/x.md"
    assert (
        shown.text("/srv/ann/decks/nets.md:4: unknown key; /srv/ann/gistquiz.sqlite3: busy")
        == "decks folder/nets.md:4: unknown key; data folder/gistquiz.sqlite3: busy"
    )
    # a look-alike folder is not the data folder; a path elsewhere keeps only its file name
    assert shown.text("see /srv/ann-old/x.md and /usr/lib/python3/x.py") == "see x.md and x.py"
    assert shown.text('File "/srv/demos/quick.py", line 3') == 'File "bundled demos/quick.py", line 3'
    assert shown.text("press / to search · 1/2 done · tag:a/b") == "press / to search · 1/2 done · tag:a/b"


def served(monkeypatch: pytest.MonkeyPatch, web: bool) -> None:
    monkeypatch.setattr(GistQuizApp, "is_web", property(lambda app: web))


async def settle(pilot, app) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("web", [True, False])
async def test_home_names_a_broken_decks_file_by_its_folder_in_a_tab_only(
    gistquiz_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web: bool
):
    served(monkeypatch, web)
    own = gistquiz_home / "decks"
    own.mkdir()
    (own / "broken.md").write_text(BROKEN)
    extra = tmp_path / "notes"
    extra.mkdir()
    (extra / "also-broken.md").write_text(BROKEN.replace("# Broken", "# Also broken"))
    (gistquiz_home / "settings.toml").write_text("bundled_decks = false\n")
    app = GistQuizApp(Workspace.open(gistquiz_home, [extra]))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        problems = str(app.screen.query_one("#problems", Static).render())
        app.notify(f"Your edits go to a copy: {own / 'copy.md'}")
        await pilot.pause()
        notified = [n.message for n in app._notifications]
    if web:
        assert "! decks folder/broken.md:4: unknown metadata key 'foo'" in problems
        assert "! notes/also-broken.md:4: unknown metadata key 'foo'" in problems
        assert str(tmp_path) not in problems and str(gistquiz_home) not in problems
        assert notified == ["Your edits go to a copy: decks folder/copy.md"]
    else:
        assert f"! {own / 'broken.md'}:4:" in problems and f"! {extra / 'also-broken.md'}:4:" in problems
        assert notified == [f"Your edits go to a copy: {own / 'copy.md'}"]


async def test_a_store_error_on_home_shows_the_database_by_its_folder_in_a_tab(
    gistquiz_home: Path, monkeypatch: pytest.MonkeyPatch
):
    served(monkeypatch, True)
    app = GistQuizApp(Workspace.open(gistquiz_home))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        app.screen.show_error(f"{gistquiz_home / 'gistquiz.sqlite3'}: busy: another gistquiz is writing to it")
        await pilot.pause()
        hint = str(app.screen.query_one("#hint", Static).render())
    assert hint.startswith("! data folder/gistquiz.sqlite3: busy") and str(gistquiz_home) not in hint
