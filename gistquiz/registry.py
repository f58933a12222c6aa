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
import re
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

from gistquiz.locations import demos_dir

_PARAMS = re.compile(r"^PARAMS\s*[:=]", re.MULTILINE)


def is_demo(text: str) -> bool:
    """A module-level ``PARAMS =`` (or ``PARAMS: ... =``), then a module-level ``def run(`` after it.

    What ``^PARAMS\\s*[:=].*?^def run\\(`` (multiline, dot-all) matches, without its lazy scan, which tried
    ``^def run(`` at every character after ``PARAMS``: 2 of the 7 ms the first screen's deck load spent in
    a new process (cProfile), scanning the bundled demos folder. ``def run(`` at a line start after the match
    is a ``"\\ndef run("`` found from the match's last character."""
    if "PARAMS" not in text:
        return False
    m = _PARAMS.search(text)
    return m is not None and text.find("\ndef run(", m.end() - 1) != -1


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
    found = Found({n: DemoInfo(n, p, "bundled") for n, p in _scan(first, _signature(first)).items()}, [])
    taken = modules(first)
    for folder in others:
        for path in _py_files(folder):
            clash = taken.get(path.stem)
            if clash is not None:
                found.problems.append(clash_message(path, clash))
        for name, path in _scan(folder, _signature(folder)).items():
            if name not in taken and name not in found.demos:
                found.demos[name] = DemoInfo(name, path, "user")
    return found


def clash_message(mine: Path, bundled: Path) -> str:
    if bundled.stem in _scan(bundled.parent, _signature(bundled.parent)):
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
    return [p for p in sorted(folder.glob("*.py")) if not p.name.startswith("_")] if folder.is_dir() else []


def modules(folder: Path) -> dict[str, Path]:
    """Every module a demo could import from ``folder`` (the bundled one), by name."""
    return {p.stem: p for p in _py_files(folder)}


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a demo is added, removed or edited: the folder is scanned again then."""
    out = []
    for p in _py_files(folder):
        try:
            st = p.stat()
        except OSError:
            continue
        out.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


@cache
def _scan(folder: Path, signature: tuple[tuple[str, int, int], ...]) -> dict[str, Path]:
    found = {}
    for name, _, _ in signature:
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
