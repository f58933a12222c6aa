"""Errors that carry a location, turned into one clear line at the command-line edge."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class DeckError:
    """A problem in a deck file, at a line (1-based): prints as ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        # Line 0: a problem with the file itself (a FIFO, a dangling link), not with one of its lines.
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class DeckFileError(Exception):
    """Raised where one problem must stop the caller; carries the :class:`DeckError`."""

    def __init__(self, error: DeckError):
        super().__init__(str(error))
        self.error = error


class UserError(Exception):
    """A mistake in what the user asked for (a bad option, a missing deck): one line, no traceback."""


class StoreError(Exception):
    """The review database cannot be opened, or was made by a newer gistquiz."""
