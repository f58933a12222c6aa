"""One user's gistquiz: their data folder, settings, decks and review database, opened lazily.

The command line and the app both start from a :class:`Workspace`. Its parts are imported when first
used, so that the app draws its first screen before the store, the scheduler and the decks are loaded
(in a worker).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from gistquiz import locations

if TYPE_CHECKING:
    import argparse

    from gistquiz.deck import Deck
    from gistquiz.demo_cache import DemoCache
    from gistquiz.library import Library
    from gistquiz.scheduler import Scheduler
    from gistquiz.settings import Settings
    from gistquiz.store import Store


class Workspace:
    """The learner's data folder and what is opened from it when first used: settings, store, scheduler, decks.

    A plain class, not a dataclass: it is created before the first frame, where generating a dataclass's
    methods cost 0.4 ms of the start."""

    def __init__(
        self,
        home: Path,
        extra_decks: list[Path] | None = None,
        demos_folder: Path | None = None,
        read_only: bool = False,
    ):
        self.home = home
        self.read_only = read_only
        """A look that writes nothing: the store opened by ``Store.reader`` (no backup, no migration, no open
        mark), no parse stored in the parse cache (see :mod:`gistquiz.first_frame`)."""
        self.extra_decks: list[Path] = extra_decks if extra_decks is not None else []
        self.demos_folder: Path = demos_folder if demos_folder is not None else locations.demos_dir()
        """The bundled demos (``harness.py``, whose rules the parameter form uses, is here)."""
        self.parameter_problems: list[str] = []
        """One line per stored FSRS parameter event that was skipped (see :mod:`gistquiz.fsrs_params`)."""

    def __repr__(self) -> str:
        return f"Workspace(home={self.home!r}, extra_decks={self.extra_decks!r}, demos_folder={self.demos_folder!r})"

    @classmethod
    def open(cls, home: str | Path | None = None, extra_decks: Iterable[str | Path] = ()) -> Workspace:
        return cls(locations.home(home), [Path(p).expanduser() for p in extra_decks])

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Workspace:
        """The workspace a command's ``--home`` and ``--decks`` options name (both optional)."""
        return cls.open(getattr(args, "home", None), getattr(args, "decks", []) or [])

    @cached_property
    def settings(self) -> Settings:
        from gistquiz import settings

        return settings.load(locations.settings_path(self.home))

    @cached_property
    def scheduler(self) -> Scheduler:
        """The scheduler with the settings and the FSRS parameters in force (``gistquiz optimize``'s events)."""
        from gistquiz.errors import StoreError
        from gistquiz.scheduler import Scheduler

        if "store" not in self.__dict__ and not locations.database_path(self.home).exists():
            return Scheduler(self.settings)  # no database, no fitted parameters: do not create one here
        try:
            rows = self.store.parameter_events()
            if not rows:  # nothing fitted: py-fsrs's defaults, without importing what reads fitted parameters
                return Scheduler(self.settings)
            from gistquiz import fsrs_params

            timeline, self.parameter_problems = fsrs_params.timeline(rows)
        except StoreError:  # a database that cannot be opened says so where it is used; schedule with defaults
            return Scheduler(self.settings)
        return Scheduler(self.settings, timeline.at())

    @cached_property
    def store(self) -> Store:
        # The first open of the day backs the database up, after the full check: so damage is found (and
        # the database refused) before the day's first write, at the cost of one check a day.
        from gistquiz.store import Store

        if self.read_only:
            return Store.reader(locations.database_path(self.home))
        from gistquiz import backup

        store = Store(locations.database_path(self.home))
        try:
            backup.daily(store)
        except BaseException:
            store.close()
            raise
        return store

    @property
    def demo_cache(self) -> DemoCache:
        # Not cached: it must follow the store, which close() drops and the next use opens again.
        from gistquiz.demo_cache import DemoCache

        return DemoCache(self.store)

    @property
    def user_demos_folder(self) -> Path:
        return locations.user_demos_dir(self.home)

    @property
    def demo_folders(self) -> tuple[Path, Path]:
        """Where demos are found, in order: the bundled ones, then the learner's own."""
        return (self.demos_folder, self.user_demos_folder)

    @cached_property
    def library(self) -> Library:
        from gistquiz import library
        from gistquiz.registry import demo_names

        names = demo_names(self.demo_folders)
        return library.load(
            self.home,
            self.extra_decks,
            known_demos=names,
            bundled=self.settings.bundled_decks,
            write_cache=not self.read_only,
        )

    def reload(self) -> Library:
        """Read the deck files again (after an edit)."""
        self.__dict__.pop("library", None)
        return self.library

    def sync(self, now: datetime | None = None, decks: Iterable[Deck] | None = None) -> list:
        """Re-link the history of edited cards of ``decks`` (default: the library's; see
        :mod:`gistquiz.relink`); returns the re-links made."""
        from gistquiz import relink
        from gistquiz.scheduler import utcnow

        now = now or utcnow()
        found = []
        for deck in self.library.decks if decks is None else decks:
            found += relink.sync(deck, self.store, now)
        return found

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
            del self.__dict__["store"]
