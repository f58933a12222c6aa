"""The command line's standard streams, whatever they are: another encoding, a closed pipe, a full disk, none.

- Text the terminal's encoding cannot show is replaced, not fatal: the few symbols gistquiz prints
  get an ASCII spelling (``→`` as ``->``, ``η`` as ``eta``), accents are dropped (``é`` as ``e``), and
  anything else becomes ``?``.
- A reader that goes away (``gistquiz review --plain | head -1``) ends the command quietly with status
  141, what a shell reports for a program killed by SIGPIPE, so ``set -o pipefail`` sees what it would
  see from ``cat``; Python's own advice (status 1 after pointing stdout at ``/dev/null``) would make a
  closed pipe look like a failure.
- Any other failed write (``> /dev/full``, a closed stdout ``>&-``) is one line on stderr and status 1.
- A closed stdin (``<&-``) is end of input.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import sys
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

EXIT_PIPE = 141  # 128 + SIGPIPE
EXIT_WRITE = 1
ERRORS = "gistquiz-fallback"

ASCII = {
    "→": "->", "←": "<-", "⇒": "=>", "↓": "v", "↑": "^", "—": "--", "–": "-", "−": "-", "…": "...",
    "·": ".", "•": "*", "×": "x", "≈": "~", "≤": "<=", "≥": ">=", "≠": "!=", "‘": "'", "’": "'",
    "“": '"', "”": '"', "✓": "ok", "✗": "x", "°": " deg", "∇": "grad", "Σ": "sum", "√": "sqrt",
}  # fmt: skip


def ascii_spelling(ch: str) -> str:
    """An ASCII stand-in for one character: a spelling, the letter without its accent, or ``?``."""
    if ch in ASCII:
        return ASCII[ch]
    name = unicodedata.name(ch, "")
    if name.startswith("GREEK") and " LETTER " in name:
        word = name.rsplit(" ", 1)[-1].lower().replace("lamda", "lambda")
        return word.capitalize() if " CAPITAL " in name else word
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if base and base.isascii() else "?"


def _fallback(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    return "".join(ascii_spelling(ch) for ch in err.object[err.start : err.end]), err.end


codecs.register_error(ERRORS, _fallback)


class OutputError(Exception):
    """Writing to stdout failed. Raised instead of the ``OSError`` so that the edge knows whose it is, and
    not an ``OSError`` itself so that nothing on the way swallows it (argparse ignores a failed ``--help``)."""

    def __init__(self, err: OSError):
        super().__init__(err.strerror or str(err))
        self.errno = err.errno
        self.strerror = err.strerror or str(err)


class Output:
    """Standard output as the commands see it: encoding fallbacks, and ``OutputError`` for a failed write."""

    def __init__(self, stream: Any):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as err:
            raise OutputError(err) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as err:
            raise OutputError(err) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Closed:
    """What ``>&-`` leaves: every write fails, as it does for ``ls >&-``."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None) -> int:
    """``main(argv)`` with the standard streams made safe; returns the exit status."""
    saved = sys.stdin, sys.stdout
    for stream in (sys.stdout, sys.stderr):
        _reconfigure(stream)
    if sys.stdin is None:  # also keeps fd 0 from being reused by the next file opened
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    sys.stdout = Output(sys.stdout if sys.stdout is not None else _Closed())
    try:
        try:
            return main(argv)
        finally:
            sys.stdout.flush()
    except OutputError as err:
        _drain_to_devnull()
        if err.errno == errno.EPIPE:
            return EXIT_PIPE
        print(f"gistquiz: cannot write the output: {err.strerror}", file=sys.stderr)
        return EXIT_WRITE
    finally:
        sys.stdin, sys.stdout = saved


def _reconfigure(stream: Any) -> None:
    with contextlib.suppress(AttributeError, ValueError):  # None, or not a TextIOWrapper (a test's capture)
        stream.reconfigure(errors=ERRORS)


def _drain_to_devnull() -> None:
    """Point fd 1 at /dev/null, so the interpreter's last flush of what is still buffered cannot fail."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.__stdout__.fileno())
        os.close(fd)
    except (AttributeError, OSError, ValueError):  # stdout was closed from the start: nothing buffered
        pass
