"""All the decks a user has: the bundled ones, their own folder, and any ``--decks`` folders.

A broken deck is reported and the others load; a deck with a few broken cards
keeps its good ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gistquiz.deck import Card, Deck, read_deck
from gistquiz.errors import DeckError
from gistquiz.locations import bundled_decks_dir, user_decks_dir
from gistquiz.registry import demo_names


@dataclass
class Library:
    decks: list[Deck] = field(default_factory=list)

    @property
    def errors(self) -> list[DeckError]:
        return [e for d in self.decks for e in d.errors]

    def deck(self, key: str) -> Deck | None:
        return next((d for d in self.decks if d.key == key), None)

    def find_deck(self, name: str) -> Deck | None:
        """A deck by key, title or file path (as a user types it)."""
        name_key = Path(name).name.removesuffix(".md").lower()
        for d in self.decks:
            if name in (d.key, d.title, d.path) or name_key == d.key:
                return d
        return None

    def cards(self) -> Iterator[Card]:
        for d in self.decks:
            yield from d.cards

    def card(self, key: str) -> Card | None:
        deck = self.deck(key.split(":", 1)[0])
        return next((c for c in deck.cards if c.key == key), None) if deck else None


def deck_folders(home: Path, extra: Iterable[Path] = (), bundled: bool = True) -> list[tuple[str, Path]]:
    """(source, folder) pairs in load order."""
    folders = [("bundled", bundled_decks_dir())] if bundled else []
    folders.append(("user", user_decks_dir(home)))
    folders += [(str(p), Path(p)) for p in extra]
    return folders


def load(
    home: Path, extra: Iterable[Path] = (), known_demos: frozenset[str] | None = None, bundled: bool = True
) -> Library:
    """Every ``*.md`` deck in the bundled, user and extra folders."""
    paths: list[tuple[str, Path]] = []
    errors: list[Deck] = []
    for source, folder in deck_folders(home, extra, bundled):
        if not folder.is_dir():
            if source not in ("bundled", "user"):
                errors.append(_missing(folder, source))
            continue
        paths += [(source, p) for p in sorted(folder.glob("*.md")) if p.is_file()]
    library = load_files(paths, known_demos)
    library.decks += errors
    return library


def load_paths(targets: Iterable[Path], known_demos: frozenset[str] | None = None) -> Library:
    """Decks from files and folders named on the command line (``gistquiz check PATH...``)."""
    paths: list[tuple[str, Path]] = []
    missing: list[Deck] = []
    for t in targets:
        if t.is_dir():
            paths += [(str(t), p) for p in sorted(t.glob("*.md"))]
        elif t.is_file():
            paths.append((str(t.parent), t))
        else:
            missing.append(_missing(t, str(t)))
    library = load_files(paths, known_demos)
    library.decks += missing
    return library


def load_files(paths: Iterable[tuple[str, Path]], known_demos: frozenset[str] | None = None) -> Library:
    names = demo_names() if known_demos is None else known_demos
    library = Library()
    seen: dict[str, str] = {}
    for source, path in paths:
        deck = read_deck(path, known_demos=names, source=source)
        if deck.key in seen:
            deck.errors = [
                DeckError(deck.path, 1, f"deck name '{deck.key}' is already used by {seen[deck.key]}: rename this file")
            ]
            deck.cards = []
        else:
            seen[deck.key] = deck.path
        library.decks.append(deck)
    return library


def _missing(path: Path, source: str) -> Deck:
    key = path.name.removesuffix(".md").lower()
    return Deck(key, key, "", str(path), errors=[DeckError(str(path), 1, "no such file or folder")], source=source)
