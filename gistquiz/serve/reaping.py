"""Ending every process a served app started: its own process group, its demos' groups, its orphans.

The demo runner starts each demo in a session of its own (so cancelling kills its whole tree), which
also means killing an app's process group misses them. So:

- the server and each app process become child subreapers (Linux ``PR_SET_CHILD_SUBREAPER``): a process
  orphaned below them is re-parented to them, not to init, so it can still be found as a child;
- each app process asks for a signal when its parent dies (``PR_SET_PDEATHSIG``), so a server killed
  with SIGKILL still takes its apps along, and each app's handler takes its children along.

Elsewhere than Linux these are no-ops and only the process groups are killed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Be sent ``sig`` when the parent dies (call in the child; a parent already gone counts as dead)."""
    parent = os.getppid()
    ok = _prctl(PR_SET_PDEATHSIG, sig)
    if ok and parent == 1:  # it died before the request took effect
        os.kill(os.getpid(), sig)
    return ok


def children(pid: int | None = None) -> list[int]:
    """The direct children of ``pid`` (default: this process), from ``/proc`` (empty where there is none)."""
    pid = os.getpid() if pid is None else pid
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # ``pid (comm) state ppid ...``: comm may hold spaces and parentheses, so split after the last ")".
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(text.split(" ", 1)[0]))
    return found


def kill_group(pid: int, sig: int) -> None:
    """Signal ``pid``'s process group if it leads one, else ``pid`` alone."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def reap() -> None:
    """Collect exited children (orphans re-parented to a subreaper become ours to wait for)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def end_tree(root: int, grace: float = 1.0) -> None:
    """End ``root``'s process group with SIGTERM, then SIGKILL whatever is left after ``grace`` seconds."""
    kill_group(root, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(root):
        time.sleep(0.02)
    kill_group(root, signal.SIGKILL)


def end_children(grace: float = 1.0, keep: set[int | None] | None = None) -> None:
    """End every child of this process (but ``keep``) with its process group, and the orphans that come back."""
    for _ in range(5):  # killing a child can re-parent its orphans to us: go round until none is left
        kids = [pid for pid in children() if pid not in (keep or set())]
        if not kids:
            return
        for pid in kids:
            kill_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(_alive(p) for p in kids):
            reap()
            time.sleep(0.02)
        for pid in kids:
            kill_group(pid, signal.SIGKILL)
        time.sleep(0.05)
        reap()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not Path("/proc").is_dir()
    return state[state.rfind(")") + 2] != "Z"
