"""Where gistquiz keeps things: the user's data folder (their decks and demos), and the decks and demos it ships.

The data folder is ``$GISTQUIZ_HOME`` when set (tests, portable use), else the
platform's user data folder. Bundled decks and demos are found through
``importlib.resources``: in an installed wheel they sit inside the package
(``gistquiz/bundled/``); in a source checkout they are the top-level ``decks/``
and ``demos/`` folders beside the package.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "gistquiz"
HOME_ENV = "GISTQUIZ_HOME"


def home(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the review database, settings and the user's decks."""
    if override:
        return Path(override).expanduser()
    if env := os.environ.get(HOME_ENV):
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def database_path(home_dir: Path) -> Path:
    return home_dir / "gistquiz.sqlite3"


def user_decks_dir(home_dir: Path) -> Path:
    return home_dir / "decks"


def deck_cache_dir(home_dir: Path) -> Path:
    """Parsed decks, kept so that unchanged deck files are not parsed again (:mod:`gistquiz.deck_cache`)."""
    return home_dir / "cache" / "decks"


def user_demos_dir(home_dir: Path) -> Path:
    """The learner's own demos, beside their decks (see :mod:`gistquiz.registry` for how they import)."""
    return home_dir / "demos"


def settings_path(home_dir: Path) -> Path:
    return home_dir / "settings.toml"


def _bundled(name: str) -> Path:
    # A package on disk is read as a folder; only one in a zip goes through importlib.resources, whose readers
    # import zipfile (2-3 ms of the first screen).
    package = Path(__file__).parent
    if not package.is_dir():
        from importlib.resources import files

        package = files(APP_NAME)
    installed = package / "bundled" / name
    if installed.is_dir():
        return Path(str(installed))
    # A source checkout (editable install or running from the repository).
    return Path(str(package)).parent / name


def bundled_decks_dir() -> Path:
    return _bundled("decks")


def demos_dir() -> Path:
    return _bundled("demos")


def names_in(folder: Path) -> list[str]:
    """The names of the entries of ``folder``, unsorted; none when it cannot be listed (missing, not a folder).

    What the start uses to find files by pattern, with a comprehension: ``Path.glob`` compiled each new
    pattern into a regular expression (``fnmatch``), and the first screen's deck load globbed four of them
    (the two deck folders, the open marks, the backups).
    """
    try:
        return os.listdir(folder)
    except OSError:
        return []
