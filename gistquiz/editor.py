"""The external editor for a deck file: which command, checked before the app gives up the terminal.

``$VISUAL``, then ``$EDITOR``, then the first of ``vi`` and ``nano`` that is installed (the order git and
most Unix tools follow). Everything that can be checked without running the editor is checked here:
once the app has suspended itself, a failure would leave the user on a blank screen.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass

FALLBACKS = ("vi", "nano")
HOW_TO_SET = "set $VISUAL or $EDITOR to an installed editor, e.g. export VISUAL='nano'"
QUICK_S = 1.0
"""An editor that returns sooner than this with the file unchanged never waited for the user."""

# Editors that take ``FILE:LINE`` instead of ``+LINE FILE`` (``code +3 f.md`` would open a file named "+3").
GOTO_FLAG = {"code": ["--goto"], "codium": ["--goto"], "code-insiders": ["--goto"], "subl": [], "zed": []}


class EditorError(Exception):
    """The editor command cannot start; the message is one line saying why and what to do."""


@dataclass(frozen=True)
class Editor:
    argv: tuple[str, ...]
    """The command split into words, its program resolved to a path."""
    origin: str
    """Where it came from: ``$VISUAL``, ``$EDITOR`` or ``the default``."""
    text: str
    """The command as the user wrote it (for messages)."""

    def command(self, path: str, line: int) -> list[str]:
        """The command that opens ``path`` at ``line``."""
        name = os.path.basename(self.argv[0])
        if name in GOTO_FLAG:
            return [*self.argv, *GOTO_FLAG[name], f"{path}:{line}"]
        return [*self.argv, f"+{line}", path]


def find_editor(env: Mapping[str, str] | None = None) -> Editor:
    """The editor to start, resolved on ``PATH``.

    Raises
    ------
    EditorError
        When the command cannot be split, its program is missing or not executable, or no
        editor is set and none of the fallbacks is installed.
    """
    env = os.environ if env is None else env
    path = env.get("PATH", os.defpath)
    for var in ("VISUAL", "EDITOR"):
        text = env.get(var, "").strip()
        if text:
            return _resolve(text, f"${var}", path)
    for name in FALLBACKS:
        found = shutil.which(name, path=path)
        if found:
            return Editor((found,), "the default", name)
    tried = " nor ".join(FALLBACKS)
    raise EditorError(f"no editor: $VISUAL and $EDITOR are not set and neither {tried} is installed; {HOW_TO_SET}")


def _resolve(text: str, origin: str, path: str) -> Editor:
    try:
        words = shlex.split(text)
    except ValueError as err:  # an unbalanced quote
        raise EditorError(f"cannot read {origin} ({text}): {str(err).lower()}; {HOW_TO_SET}") from None
    if not words:
        raise EditorError(f"{origin} ({text}) names no program; {HOW_TO_SET}")
    program = words[0]
    found = shutil.which(program, path=path)
    if found is None:
        raise EditorError(f"cannot start {origin} ({text}): {_why_not(program, path, text)}; {HOW_TO_SET}")
    return Editor((found, *words[1:]), origin, text)


def _why_not(program: str, path: str, text: str) -> str:
    """Why ``shutil.which`` found nothing: missing, not executable, or a folder."""
    on_path = [os.path.join(d, program) for d in path.split(os.pathsep) if d]
    candidates = [program] if os.sep in program else on_path
    for c in candidates:
        if os.path.isdir(c):
            return f"{c} is a folder"
        if os.path.exists(c):
            return f"{c} is not executable (chmod +x {shlex.quote(c)})"
    if os.sep in program:
        hint = " (a path with spaces needs quotes)" if os.path.exists(text) else ""
        return f"{program} does not exist{hint}"
    return f"'{program}' is not installed (not found on PATH)"


def describe_run(
    editor: Editor, returncode: int | None, error: str | None, changed: bool, seconds: float
) -> str | None:
    """One line about an editor run worth telling the user about, or ``None`` when it went as expected."""
    if error is not None:
        return f"cannot start {editor.origin} ({editor.text}): {error}; {HOW_TO_SET}"
    if returncode is not None and returncode < 0:
        return f"the editor ({editor.text}) was stopped by signal {-returncode}"
    if returncode:
        kept = "the deck was read again" if changed else "the file is unchanged"
        return f"the editor ({editor.text}) exited with status {returncode}; {kept}"
    if not changed and seconds < QUICK_S:
        return (
            f"the editor ({editor.text}) returned at once and the file is unchanged: "
            "if it opens a window, make it wait (e.g. export VISUAL='code --wait')"
        )
    return None
