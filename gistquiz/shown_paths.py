"""Paths as a browser tab shows them: relative to a folder the learner knows, never the server's own.

A served app (``gistquiz serve``) runs on the server: the absolute paths in its messages (a deck's problem
``/home/ann/.local/share/gistquiz/decks/nets.md:3: ...``, the review database in a store error, a copy of
the bundled deck) mean nothing to the tab and say more about the server than it needs to know. So in a tab a
path under the decks or data folder is shown relative to it, named as such (``decks folder/nets.md``), and
any other absolute path by its file name alone. The terminal app shows paths as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gistquiz import locations

ABSOLUTE = re.compile(r"(?<![\w./~-])/(?:[^\s/:'\"()\[\]{},;<>`]+/)+([^\s/:'\"()\[\]{},;<>`]*)")
"""An absolute path of at least two parts in running text (so ``1/2`` and the ``/`` key are left alone); it
ends at a space, ``:`` (``path:line:``) or punctuation. The last part is the file name."""


@dataclass(frozen=True)
class ShownPaths:
    folders: tuple[tuple[str, str], ...]
    """(absolute folder, name shown for it), the longest folder first: the decks folder lies in the data folder."""

    @classmethod
    def of(cls, home: Path, extra_decks: Iterable[Path] = (), demos: Path | None = None) -> ShownPaths:
        named = [(locations.user_decks_dir(home), "decks folder"), (home, "data folder")]
        named += [(Path(p), Path(p).name) for p in extra_decks]  # a folder the learner named: by its name
        named += [(locations.bundled_decks_dir(), "bundled decks"), (demos or locations.demos_dir(), "bundled demos")]
        pairs = {}
        for folder, name in named:
            for form in (folder.expanduser().absolute(), folder.expanduser().resolve()):
                pairs.setdefault(str(form).rstrip("/"), name)
        return cls(tuple(sorted(pairs.items(), key=lambda p: -len(p[0]))))

    def path(self, path: str | Path) -> str:
        """One path: ``decks folder/nets.md``, or the file name alone when it is in no known folder."""
        text = str(path)
        for folder, name in self.folders:
            if text == folder or text.startswith(folder + "/"):
                return name + text[len(folder) :]
        return Path(text).name if Path(text).is_absolute() else text

    def text(self, text: str) -> str:
        """Every absolute path in ``text`` as :meth:`path` shows it; the rest of the text unchanged."""
        for folder, name in self.folders:
            text = re.sub(re.escape(folder) + r"(?![\w.-])", name, text)
        return ABSOLUTE.sub(lambda m: m.group(1) or m.group(0).rstrip("/").rsplit("/", 1)[-1], text)
