"""The app quits when its terminal goes away without a hang-up signal.

A terminal window that closes sends SIGHUP, and the process ends. A program that runs gistquiz in a
pseudo-terminal it then closes (a test harness, a web terminal) sends none: Textual's input thread then read
end-of-file at once on every turn of its loop, and the app ran on at a full core until killed."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

pty = pytest.importorskip("pty")


def start(home: Path) -> tuple[subprocess.Popen, int]:
    """gistquiz on a new pseudo-terminal that is not its controlling terminal; the process and the terminal's
    other end, once the deck table is drawn."""
    main, child = pty.openpty()
    env = {**os.environ, "GISTQUIZ_HOME": str(home), "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    proc = subprocess.Popen([sys.executable, "-m", "gistquiz"], stdin=child, stdout=child, stderr=child, env=env)
    os.close(child)
    seen, deadline = b"", time.monotonic() + 30
    while b"Total" not in seen:
        assert time.monotonic() < deadline, f"no deck table; the screen began {seen[:400]!r}"
        if select.select([main], [], [], 1)[0]:
            seen += os.read(main, 65536)
    return proc, main


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc")
def test_the_app_quits_when_its_terminal_is_closed_without_a_hangup(tmp_path):
    proc, main = start(tmp_path)
    try:
        time.sleep(1.5)  # a terminal that stays: the app stays too
        assert proc.poll() is None
        os.close(main)
        main = -1
        proc.wait(timeout=10)  # the watch looks once a second
        assert proc.returncode == 0
    finally:
        if main >= 0:
            os.close(main)
        if proc.poll() is None:
            spun = cpu_seconds(proc.pid)
            proc.kill()
            proc.wait()
            pytest.fail(f"still running 10 s after its terminal closed, {spun:.1f} s of CPU in all")
