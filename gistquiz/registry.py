"""The demos gistquiz knows: every script in the demos folder that defines ``PARAMS`` and ``run``.

Found by reading the files, not importing them, so that listing demos and
checking a deck's ``demo:`` names costs no NumPy import.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gistquiz.locations import demos_dir

_IS_DEMO = re.compile(r"^PARAMS\s*[:=].*?^def run\(", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class DemoInfo:
    name: str
    path: Path
    claim: str
    """First line of the module docstring."""


def demo_names(folder: Path | None = None) -> frozenset[str]:
    return frozenset(_scan(folder or demos_dir()))


def demo_info(name: str, folder: Path | None = None) -> DemoInfo | None:
    path = _scan(folder or demos_dir()).get(name)
    if path is None:
        return None
    return DemoInfo(name, path, _claim(path))


def all_demos(folder: Path | None = None) -> list[DemoInfo]:
    return [DemoInfo(n, p, _claim(p)) for n, p in sorted(_scan(folder or demos_dir()).items())]


@cache
def _scan(folder: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if _IS_DEMO.search(text):
            found[path.stem] = path
    return found


@cache
def _claim(path: Path) -> str:
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return ""
    return doc.strip().splitlines()[0].strip() if doc else ""
