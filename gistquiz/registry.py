"""The demos gistquiz knows: every script that defines ``PARAMS`` and ``run``, bundled or the learner's own.

Demos are found in folders searched in order: the bundled ``demos/`` first, then the learner's demos folder
(``demos/`` beside their ``decks/``, see :mod:`gistquiz.locations`). Found by reading the files, not importing
them, so that listing demos and checking a deck's ``demo:`` names costs no NumPy import; a folder is read
again when its files change, so a new demo is found without restarting.

**The import rule.** A user demo imports the bundled ``harness``, ``layers`` and ``digits`` (and its own
modules, from its own folder). It calls :func:`bundled_first` before those imports, which puts the bundled
folder first on ``sys.path``: a file of the learner's can never take a bundled module's place. A user file
named like a bundled one (a demo or a module) is an error naming both files, and is not used.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

from gistquiz.locations import demos_dir

_PARAMS_AT = re.compile(r"PARAMS\s*[:=]")


def is_demo(text: str) -> bool:
    """A module-level ``PARAMS =`` (or ``PARAMS: ... =``), then a module-level ``def run(`` after it.

    What ``^PARAMS\\s*[:=].*?^def run\\(`` (multiline, dot-all) matches, without a regular expression's scan
    of every line: the first screen scans the bundled demos folder in a new process, and ``str.find`` took a
    third of the time the multiline search took there (20 files, about 300 KB). ``def run(`` at a line start
    after the match is a ``"\\ndef run("`` found from the match's last character."""
    at = -1  # where the line break before a candidate is; -1 stands for the text's start
    while True:
        m = _PARAMS_AT.match(text, at + 1)
        if m is not None:
            return text.find("\ndef run(", m.end() - 1) != -1
        at = text.find("\nPARAMS", at + 1)
        if at == -1:
            return False


Where = Path | Sequence[Path] | None
"""Where demos are looked for: ``None`` (the bundled folder), one folder, or folders in search order (the
first is the bundled one, holding ``harness.py``; the others are the learner's)."""


class DemoInfo(NamedTuple):
    """A demo a card can run: its name and the file that defines it."""

    name: str
    path: Path
    source: str = "bundled"
    """"bundled", or "user" for a demo from the learner's own folder."""

    @property
    def claim(self) -> str:
        """First line of the module docstring, read when asked for: parsing a demo takes 2-3 ms, and the
        first screen needs only the demos' names (it parsed all 16 before it could show the decks)."""
        return _claim(self.path)


class Found(NamedTuple):
    """The demos of the bundled and the learner's folders, and what could not be used."""

    demos: dict[str, DemoInfo]
    problems: list[str]
    """One line per user file that is not used, naming it and the bundled file it clashes with."""


def folders(where: Where) -> tuple[Path, ...]:
    if where is None:
        return (demos_dir(),)
    if isinstance(where, Path):
        return (where,)
    return tuple(where)


def demo_names(where: Where = None) -> frozenset[str]:
    return frozenset(find(where).demos)


def demo_info(name: str, where: Where = None) -> DemoInfo | None:
    return find(where).demos.get(name)


def all_demos(where: Where = None) -> list[DemoInfo]:
    return sorted(find(where).demos.values(), key=lambda d: d.name)


def problems(where: Where = None) -> list[str]:
    return find(where).problems


def find(where: Where = None) -> Found:
    """The demos of every folder (a bundled name wins), and the user files that clash with a bundled one."""
    first, *others = folders(where)
    listing = _listing(first)
    found = Found({n: DemoInfo(n, p, "bundled") for n, p in _scan(first, listing).items()}, [])
    taken = {name.removesuffix(".py"): first / name for name, _, _ in listing}
    for folder in others:
        mine = _listing(folder)
        for name, _, _ in mine:
            clash = taken.get(name.removesuffix(".py"))
            if clash is not None:
                found.problems.append(clash_message(folder / name, clash))
        for name, path in _scan(folder, mine).items():
            if name not in taken and name not in found.demos:
                found.demos[name] = DemoInfo(name, path, "user")
    return found


def clash_message(mine: Path, bundled: Path) -> str:
    if bundled.stem in _scan(bundled.parent, _listing(bundled.parent)):
        return f"{mine}: a demo with the name of the bundled demo {bundled}; rename {mine.name} (it is not used)"
    return (
        f"{mine}: has the name of the bundled module {bundled}, which demos import instead; "
        f"rename {mine.name} (it is not used)"
    )


def bundled_first(demo_file: str | Path) -> None:
    """Call at the top of a user demo, before ``import harness``: the bundled demos folder goes first on
    ``sys.path``. A file in the demo's folder named like a bundled one stops it with a message naming both."""
    bundled = demos_dir()
    mine = Path(demo_file).resolve().parent
    if mine == bundled.resolve():
        return
    clashes = [clash_message(p, modules(bundled)[p.stem]) for p in _py_files(mine) if p.stem in modules(bundled)]
    if clashes:
        raise SystemExit("\n".join(clashes))
    if str(bundled) not in sys.path[:1]:
        sys.path.insert(0, str(bundled))


def _py_files(folder: Path) -> list[Path]:
    return [folder / name for name, _, _ in _listing(folder)]


def modules(folder: Path) -> dict[str, Path]:
    """Every module a demo could import from ``folder`` (the bundled one), by name."""
    return {p.stem: p for p in _py_files(folder)}


Listing = tuple[tuple[str, int, int], ...]
"""A folder's ``.py`` files not starting with ``_``, by name, with their mtime (ns) and size: what changes
when a demo is added, removed or edited, so the folder is scanned again then."""


def _listing(folder: Path) -> Listing:
    # os.scandir, not Path.glob("*.py"): the glob compiled its pattern into a regular expression on each new
    # start, and the first screen's deck load listed each folder twice (0.3 ms of its 1.3 ms scan). Nor
    # locations.names_in with an os.stat per file: the scandir entries' own stat took half the time (80 against
    # 154 us for the bundled folder, interleaved, n 15).
    out = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(".py") and not entry.name.startswith("_"):
                    try:
                        if entry.is_file():
                            st = entry.stat()
                            out.append((entry.name, st.st_mtime_ns, st.st_size))
                    except OSError:
                        continue
    except OSError:  # no such folder (the learner has no demos yet), or not a folder
        return ()
    return tuple(sorted(out))


@cache
def _scan(folder: Path, listing: Listing) -> dict[str, Path]:
    found = {}
    for name, _, _ in listing:
        path = folder / name
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if is_demo(text):
            found[path.stem] = path
    return found


def _claim(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError:
        return ""
    return _claim_of(path, stat.st_mtime_ns, stat.st_size)


@cache
def _claim_of(path: Path, mtime_ns: int, size: int) -> str:
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return ""
    return doc.strip().splitlines()[0].strip() if doc else ""
