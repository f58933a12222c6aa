"""All the decks a user has: the bundled ones, their own folder, and any ``--decks`` folders.

A broken deck is reported and the others load; a deck with a few broken cards
keeps its good ones.

The bundled decks are never written. Editing a bundled card first copies its deck into the user's
decks folder (:func:`copy_bundled`); a deck there with a bundled deck's name takes its place, with the
same card keys, so its history and due dates carry on. The copy remembers which bundled file it came
from, so that when a newer gistquiz ships a changed deck, ``gistquiz decks`` says the copy is older.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from gistquiz import __version__
from gistquiz.deck import Card, Deck, read_deck
from gistquiz.deck_cache import DeckCache
from gistquiz.errors import DeckError
from gistquiz.locations import bundled_decks_dir, deck_cache_dir, names_in, user_decks_dir
from gistquiz.registry import demo_names


class Library(NamedTuple):
    """Every deck found, bundled and the learner's own; a deck of the learner's replaces a bundled one of its name.

    (A named tuple, as Deck is, for the first screen: the dataclass took 0.2-0.4 ms to create.)
    """

    decks: list[Deck]
    replaced: dict[str, Deck]
    """Bundled decks not used because the user's decks folder holds a deck of the same name, by deck key."""

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
    home: Path,
    extra: Iterable[Path] = (),
    known_demos: frozenset[str] | None = None,
    bundled: bool = True,
    write_cache: bool = True,
) -> Library:
    """Every ``*.md`` deck in the bundled, user and extra folders (``write_cache=False``: a fresh parse is not
    stored in the parse cache)."""
    paths: list[tuple[str, Path]] = []
    errors: list[Deck] = []
    for source, folder in deck_folders(home, extra, bundled):
        if not folder.is_dir():
            if source not in ("bundled", "user"):
                errors.append(_missing(folder, source))
            continue
        # By stem: "gist-dl" before "gist-dl-exercises" (by name, "-" sorts before ".md").
        decks = [folder / name for name in names_in(folder) if name.endswith(".md")]
        found, odd = _readable(sorted(decks, key=lambda p: (p.stem, p.name)), source)
        paths += found
        errors += odd
    cache = DeckCache(deck_cache_dir(home), write=write_cache)
    library = _name_wide_encodings(load_files(paths, known_demos, cache))
    library.decks.extend(errors)
    return library


def load_paths(targets: Iterable[Path], known_demos: frozenset[str] | None = None) -> Library:
    """Decks from files and folders named on the command line (``gistquiz check PATH...``)."""
    paths: list[tuple[str, Path]] = []
    missing: list[Deck] = []
    for t in targets:
        if t.is_dir():
            in_folder = sorted(t.glob("*.md"))
            if not in_folder:  # or `check` would say "0 problems" and exit 1
                missing.append(_failed(t, str(t), DeckError(str(t), 0, "no deck files (*.md) in this folder")))
            found, odd = _readable(in_folder, str(t))
        else:
            found, odd = _readable([t], str(t.parent))
        paths += found
        missing += odd
    library = _name_wide_encodings(load_files(paths, known_demos))
    library.decks.extend(missing)
    return library


def load_files(
    paths: Iterable[tuple[str, Path]], known_demos: frozenset[str] | None = None, cache: DeckCache | None = None
) -> Library:
    names = demo_names() if known_demos is None else known_demos
    library = Library([], {})
    seen: dict[str, str] = {}
    for source, path in paths:
        deck = _read_one(path, names, source, cache)
        first = library.deck(deck.key) if deck.key in seen else None
        if first is not None and first.source == "bundled" and source == "user":
            # The user's copy (or own deck of that name) is used in place of the bundled deck.
            library.decks[library.decks.index(first)] = deck
            library.replaced[deck.key] = first
            seen[deck.key] = deck.path
            continue
        if deck.key in seen:
            used = f"deck name '{deck.key}' is already used by {seen[deck.key]}: rename this file"
            deck = deck._replace(cards=[], errors=[DeckError(deck.path, 1, used)])
        else:
            seen[deck.key] = deck.path
        library.decks.append(deck)
    return library


def _read_one(path: Path, known_demos: frozenset[str], source: str, cache: DeckCache | None = None) -> Deck:
    """One deck, whatever its bytes do: a bug the parser has not met yet (it reports a bad file as
    ``Deck.errors``, never by raising) becomes this deck's one error line, and the other decks load."""
    try:
        return read_deck(path, known_demos=known_demos, source=source, cache=cache)
    except Exception as err:  # the boundary between one deck and the rest: RecursionError, MemoryError too
        what = _short(f"{type(err).__name__}: {err}")
        message = f"gistquiz could not read this deck ({what}); please report it with the file"
        return _failed(path, source, DeckError(str(path), 1, message))


def _missing(path: Path, source: str) -> Deck:
    return _failed(path, source, DeckError(str(path), 0, "no such file or folder"))


def _failed(path: Path, source: str, error: DeckError) -> Deck:
    key = path.name.removesuffix(".md").lower()
    return Deck(key, key, "", str(path), [], [error], source)


# ----------------------------------------------------------------- what kind of file
# `decks` and `check` both go through here, so they report the same odd files.

BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _readable(candidates: Iterable[Path], source: str) -> tuple[list[tuple[str, Path]], list[Deck]]:
    """(the deck files to read, a failed deck for each path that is not one)."""
    ok: list[tuple[str, Path]] = []
    bad: list[Deck] = []
    for path in candidates:
        problem = file_problem(path)
        if problem is None:
            ok.append((source, path))
        else:
            bad.append(_failed(path, source, problem))
    return ok, bad


def file_problem(path: Path) -> DeckError | None:
    """Why ``path`` cannot be a deck file, judged by its kind alone; ``None`` if it can.

    Only a regular file (or a symbolic link to one) is ever opened: opening a FIFO would wait forever.
    """
    shown = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            return DeckError(shown, 0, f"a symbolic link to {os.readlink(path)}, which does not exist")
        return DeckError(shown, 0, "no such file or folder")
    except OSError as err:
        if err.errno == errno.ELOOP:
            return DeckError(shown, 0, "a symbolic link loop (the link leads back to itself)")
        return DeckError(shown, 0, f"cannot read: {err.strerror or err}")
    if stat.S_ISDIR(st.st_mode):
        return DeckError(shown, 0, "a folder, not a deck file")
    if not stat.S_ISREG(st.st_mode):
        return DeckError(shown, 0, "not a regular file")
    return None


def _name_wide_encodings(library: Library) -> Library:
    """Say "UTF-16" (with how to convert) instead of "not UTF-8" for a deck that has a byte-order mark.

    Only decks that loaded no card are looked at again (every UTF-16/32 file is one), so the decks
    that load pay nothing for it.
    """
    for i, deck in enumerate(library.decks):
        if deck.errors and not deck.cards and (problem := bom_problem(Path(deck.path))):
            library.decks[i] = deck._replace(errors=[problem])
    return library


def bom_problem(path: Path) -> DeckError | None:
    """A UTF-16 or UTF-32 file, named as such with the command that converts it."""
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError:
        return None  # reading the deck reports it
    for bom, encoding in BOMS:
        if head.startswith(bom):
            import shlex  # here, not at the top: the first screen's imports wait for it, this message rarely

            q, tmp = shlex.quote(str(path)), shlex.quote(f"{path}.utf8")
            return DeckError(
                str(path),
                1,
                f"{encoding} text (it starts with a {encoding} byte-order mark), not UTF-8; convert it: "
                f"iconv -f {encoding} -t UTF-8 {q} > {tmp} && mv {tmp} {q}",
            )
    return None


def _short(text: str, n: int = 200) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# The first line of a copy of a bundled deck: where it came from, so that a changed bundled deck is noticed.
_COPY_MARK = "<!-- gistquiz: copy of the bundled deck {name} (gistquiz {version}, sha256 {digest}) -->\n"
_COPY_MARK_RE = re.compile(r"<!-- gistquiz: copy of the bundled deck \S+ \(gistquiz (\S+), sha256 ([0-9a-f]{64})\) -->")


def copy_bundled(deck: Deck, home: Path) -> Path:
    """Copy a bundled deck into the user's decks folder, where it takes the bundled deck's place.

    The copy keeps the file name, so the deck and card keys (and with them the history) stay the same;
    its first line records the bundled file's version and hash. An existing copy is returned untouched.
    """
    source = Path(deck.path)
    target = user_decks_dir(home) / source.name
    if target.exists():
        return target
    data = source.read_bytes()
    mark = _COPY_MARK.format(name=source.name, version=__version__, digest=hashlib.sha256(data).hexdigest())
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(mark.encode() + data)
        os.replace(tmp, target)  # atomic: the folder never holds half a deck
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


class Replacement(NamedTuple):
    """A user deck used in place of a bundled deck of the same name."""

    user: Deck
    bundled: Deck
    copied_from: str | None
    """The gistquiz version the copy was made from, if it is a copy made by :func:`copy_bundled`."""
    bundled_changed: bool
    """The bundled deck is not the one copied: a newer gistquiz changed it."""

    def __str__(self) -> str:
        line = f"{self.user.path}: used in place of the bundled deck {self.bundled.path}"
        if self.bundled_changed:
            line += (
                f"; the bundled deck has changed since your copy was made (from gistquiz {self.copied_from},"
                f" gistquiz {__version__} now), so your copy is older;"
                f" compare: diff -u {self.bundled.path} {self.user.path}"
            )
        return line


def replacements(library: Library) -> list[Replacement]:
    """Each user deck used in place of a bundled one, and whether the bundled deck changed since the copy."""
    out = []
    for key, bundled in library.replaced.items():
        user = library.deck(key)
        if user is None:
            continue
        copied_from, digest = None, None
        try:
            with open(user.path, encoding="utf-8-sig") as f:
                if m := _COPY_MARK_RE.match(f.readline()):
                    copied_from, digest = m.groups()
            changed = digest is not None and digest != hashlib.sha256(Path(bundled.path).read_bytes()).hexdigest()
        except OSError:
            changed = False
        out.append(Replacement(user, bundled, copied_from, changed))
    return out
