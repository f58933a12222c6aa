"""Whose code runs: an exercise's tests and a user's demo run as the learner, so gistquiz asks first.

Like a notebook's cells, the tests of an exercise card and a demo of the learner's own are Python that runs
with the learner's rights: the sandbox in ``exercise_child.py`` bounds time, memory, output and (where the
kernel allows it) the network, but the code can still read and write the learner's files. The question
before the first run is the real protection, and it says so.

Trusted without asking:
- the bundled decks and demos (they ship with gistquiz and are tested with it);
- a file whose content hash gistquiz recorded when it wrote the file itself (its editor, ``new-deck``,
  ``new-demo``): :func:`mark_written`.

Everything else (a file edited in another editor, a ``--decks`` folder, an imported package) is asked about
once per file and content: the same file with other content asks again, and a refusal runs nothing.
The record lives in the store (``trusted_code``), a row per (path, sha256).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from gistquiz.locations import bundled_decks_dir, demos_dir


class TrustRecord(Protocol):
    """What :class:`gistquiz.store.Store` offers here (a protocol so that tests can pass a dict-backed one)."""

    def is_trusted(self, path: str, digest: str) -> bool: ...

    def trust(self, path: str, digest: str, how: str, now: datetime) -> None: ...


@dataclass(frozen=True)
class Code:
    """A file whose code would run, as the learner is asked about it."""

    path: Path
    """The file named in the question (a deck with exercises, or a demo)."""
    digest: str
    """sha256 of the file, and for a demo also of the modules it imports from its own folder."""
    kind: str
    """"deck" or "demo"."""
    bundled: bool
    """Shipped with gistquiz: runs without asking."""
    also: tuple[Path, ...] = ()
    """The demo's own modules that the digest covers besides ``path``."""


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (OSError, ValueError):
        return False
    return True


def _digest(paths: list[Path], known: dict[Path, bytes] | None = None) -> str:
    h = hashlib.sha256()
    for p in paths:
        data = known[p] if known and p in known else p.read_bytes()
        h.update(p.name.encode("utf-8", "surrogateescape") + b"\0" + str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()


def deck_code(path: str | Path) -> Code:
    """The deck file ``path`` as code to trust (its exercises' tests run).

    Raises ``OSError`` when the file cannot be read (a question about a file that is gone runs nothing).
    """
    return deck_code_of(path, Path(path).read_bytes())


def deck_code_of(path: str | Path, data: bytes) -> Code:
    """:func:`deck_code` for content already read (what the file held before gistquiz rewrote it)."""
    p = Path(path)
    return Code(p, _digest([p], {p: data}), "deck", _inside(p, bundled_decks_dir()))


def local_imports(path: Path) -> tuple[Path, ...]:
    """The ``.py`` modules in the demo's own folder that it imports, and theirs, in a stable order."""
    folder, seen, todo = path.parent, {path.resolve()}, [path]
    found: list[Path] = []
    while todo:
        try:
            tree = ast.parse(todo.pop().read_bytes())
        except (OSError, SyntaxError, ValueError):
            continue  # the demo itself fails to run then, and says why
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.level == 1:
                names.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
        for name in sorted(names):
            module = folder / f"{name}.py"
            if module.is_file() and module.resolve() not in seen:
                seen.add(module.resolve())
                found.append(module)
                todo.append(module)
    return tuple(sorted(found))


def demo_code(path: str | Path) -> Code:
    """The demo file ``path`` as code to trust: its digest covers the modules it imports from its folder."""
    p = Path(path)
    also = local_imports(p)
    return Code(p, _digest([p, *also]), "demo", _inside(p, demos_dir()), also)


@dataclass(frozen=True)
class TestsGate:
    """Whether a deck's exercise tests may run now, from :func:`gate_tests` (each review words it its own way)."""

    __test__ = False  # not a pytest class
    code: Code | None = None
    """The deck as it is now (what a question asks about); None when it is gone or unreadable."""
    problem: str = ""
    """"" (see ``trusted``), "gone" (the card has no deck file), "unreadable" (``reason`` says why), or
    "changed" (the file no longer holds the tests read when the decks loaded: read the decks again)."""
    reason: str = ""
    trusted: bool = False
    """The tests may run without asking."""


def gate_tests(record: TrustRecord, deck_path: str | Path | None, tests: str) -> TestsGate:
    """What stands between a deck's ``tests`` and their run: the file is read once, so the hash the learner
    is asked about and the check that the file still holds these tests see the same bytes."""
    if deck_path is None:
        return TestsGate(problem="gone")
    try:
        data = Path(deck_path).read_bytes()
    except OSError as err:
        return TestsGate(problem="unreadable", reason=err.strerror or str(err))
    code = deck_code_of(deck_path, data)
    text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    if tests.strip() not in text:
        return TestsGate(code, "changed")
    return TestsGate(code, trusted=is_trusted(record, code))


def is_trusted(record: TrustRecord, code: Code) -> bool:
    """Whether ``code`` may run without asking."""
    return code.bundled or record.is_trusted(str(code.path.resolve()), code.digest)


def allow(record: TrustRecord, code: Code, now: datetime) -> None:
    """The learner said yes to ``code`` as it is now."""
    record.trust(str(code.path.resolve()), code.digest, "asked", now)


def mark_written(record: TrustRecord, path: str | Path, kind: str, now: datetime) -> None:
    """gistquiz itself just wrote ``path`` (its editor, ``new-deck``, ``new-demo``): trust what it holds."""
    code = demo_code(path) if kind == "demo" else deck_code(path)
    record.trust(str(code.path.resolve()), code.digest, "written", now)


@functools.cache
def network_is_dropped() -> bool:
    """Whether the sandbox can take the network away here (an unprivileged network namespace).

    Asked once per process, in a child (``unshare`` would change this process).
    """
    probe = "from gistquiz.exercise_child import isolate_network as i; raise SystemExit(0 if i() else 1)"
    try:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def question(code: Code, network_dropped: bool | None = None) -> str:
    """What the learner is asked before ``code`` first runs (plain text, a few short lines)."""
    what = "this deck's exercise tests" if code.kind == "deck" else "this demo"
    lines = [f"Run {what}? {code.path}"]
    if code.also:
        lines.append("with its modules: " + ", ".join(p.name for p in code.also))
    if code.kind == "demo":  # a demo runs like any script (the runner bounds its time and output only)
        lines.append("It runs as you, like any script you run: it can read and write your files and use the network.")
    else:
        dropped = network_is_dropped() if network_dropped is None else network_dropped
        lines.append(
            "It runs as you, like a notebook: it can read and write your files. Time, memory and output are "
            "limited" + ("; the network is cut off." if dropped else "; this system cannot cut off its network.")
        )
    lines.append("Say yes only if you trust where this file came from. You are asked again if it changes.")
    return "\n".join(lines)
