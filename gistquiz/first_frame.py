"""The deck table in the app's first frame, from a helper process that looks while the app starts.

Until its first frame the app is busy on one core importing Textual (about 150 ms here). On a machine with a
second core, ``gistquiz`` starts this module as a helper process first; it opens the decks and the store
read-only (``Workspace(read_only=True)``: no backup, migration, open mark or parse-cache write), computes
the home screen's :class:`~gistquiz.home_view.HomeView` with the same code as the app's worker, and writes
it to a pipe. The home screen takes it when it mounts, without waiting: if the helper is not done, or found
anything a normal open would act on (no database yet, another schema, a damage mark, an unclean exit, a
database open elsewhere, an edited deck whose cards need re-linking), it is stopped and the screen says
"Loading decks…" as before.
Either way the app's worker then loads everything as usual and redraws the table only if a number changed.

Run by hand: ``python -m gistquiz.first_frame HOME [DECK_FOLDER ...]`` writes the view, marshalled.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gistquiz.home_view import HomeView
    from gistquiz.workspace import Workspace

TIMEOUT = 5
"""Seconds after which the helper ends itself, whatever it is doing (a stuck network folder)."""


class Lookahead:
    """The running helper: :meth:`take` its view, once, without waiting; :meth:`discard` it after."""

    def __init__(self, pid: int, fd: int):
        self.pid: int | None = pid
        self.fd = fd

    def take(self) -> HomeView | None:
        """The view, if the helper has written all of it (its end of the pipe is closed); else None."""
        import select

        from gistquiz.home_view import decode

        if self.fd < 0:
            return None
        data = b""
        try:
            while select.select([self.fd], [], [], 0)[0]:
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:  # end of file: all of it, or nothing from a helper that declined
                    return decode(data)
                data += chunk
        except (OSError, ValueError, TypeError, EOFError):  # not a view: "Loading decks…" as without a helper
            pass
        finally:
            os.close(self.fd)
            self.fd = -1
        return None

    def discard(self) -> None:
        """Close the pipe and end the helper if it still runs (it is not waited for: it is killed), reaped."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.pid is not None:
            pid, self.pid = self.pid, None
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def start(ws: Workspace) -> Lookahead | None:
    """Start the helper for ``ws``, or None where it would not help: one core (the helper would take the
    app's), no ``posix_spawn`` (Windows), a bundled executable, or ``GISTQUIZ_FIRST_FRAME=0`` in the
    environment."""
    if (
        os.environ.get("GISTQUIZ_FIRST_FRAME") == "0"
        or not hasattr(os, "posix_spawn")
        or not hasattr(os, "sched_getaffinity")
        or len(os.sched_getaffinity(0)) < 2
        or not sys.executable
        or getattr(sys, "frozen", False)  # a bundled app: its executable is not a Python to run -m with
    ):
        return None
    # The app's own module path, given in the code: with -I -S no site module (its .pth files) and no
    # runpy (-m), the helper took 45.7 ms of CPU against 53.6 ms as "-m" (medians of 20, interleaved).
    path = [str(Path(__file__).resolve().parent.parent), *(p for p in sys.path if p and os.path.isdir(p))]
    code = f"import sys; sys.path[:0] = {list(dict.fromkeys(path))!r}; from gistquiz.first_frame import run; run()"
    args = [sys.executable, "-I", "-S", "-c", code, str(ws.home), *(str(p) for p in ws.extra_decks)]
    read, write = os.pipe()
    try:
        pid = os.posix_spawn(
            sys.executable,
            args,
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),  # never the terminal's keys
                (os.POSIX_SPAWN_DUP2, write, 1),
                (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),  # never on the app's screen
            ],
        )
    except OSError:
        os.close(read)
        return None
    finally:
        os.close(write)
    return Lookahead(pid, read)


def main(argv: list[str]) -> int:
    """The helper: the view of the decks in ``argv[0]`` (and the deck folders after it) on standard output."""
    from gistquiz.home_view import encode, look
    from gistquiz.scheduler import utcnow
    from gistquiz.workspace import Workspace

    ws = Workspace(Path(argv[0]), [Path(p) for p in argv[1:]], read_only=True)
    try:
        view = look(ws, utcnow())
    except Exception:  # anything at all: the app's own load meets it and says what it is
        return 1
    finally:
        ws.close()
    if view is None:
        return 1
    sys.stdout.buffer.write(encode(view))
    sys.stdout.flush()
    return 0


def run() -> None:
    """The helper process: :func:`main` with its arguments, at the lowest priority, then exit at once."""
    import contextlib
    import signal

    # Linux: from here on, only a core the app leaves idle runs the helper (beside the app, it cost the app's
    # first frame 14 ms at normal priority, 8 ms so). posix_spawn refuses the policy: the helper sets it.
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    signal.alarm(TIMEOUT)  # SIGALRM's default action ends the process
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)  # at once: the pipe's end of file is what the app looks for, not the interpreter's tidying


if __name__ == "__main__":
    run()
