"""Run a demo in a child process and stream what it reports.

The child is ``python demos/NAME.py --jsonl ...``; it prints one JSON object per
line: ``{"type": "progress", ...}`` while it runs, then ``{"type": "result", ...}``
or ``{"type": "error", ...}``. A slow, crashing or cancelled demo can never freeze
or kill the app, and the maths runs on the other core: the child is limited to
one BLAS thread.

:class:`DemoRun` is blocking by design (iterate :meth:`DemoRun.events` in a worker
thread); :meth:`DemoRun.cancel` may be called from any thread.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from gistquiz.registry import Where, demo_info

DEFAULT_TIMEOUT = 120.0
TAIL_LINES = 20
TAIL_BYTES = 64 * 1024
"""What is kept of each stream's other output (not a JSON message), for the error tail: its last 64 KiB.
A demo flooding stdout without newlines once grew the app by 1.9 GB within its timeout."""
MESSAGE_BYTES = 16 * 1024 * 1024
"""The longest JSON message line read whole (a result with images is tens of KiB); a longer one is
dropped and only its end kept in the tail."""
ERROR_CHARS = 4096
_CHUNK = 64 * 1024
_MESSAGE_START = re.compile(rb"\s*\{")
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}


@dataclass(frozen=True)
class Progress:
    step: int
    total: int
    info: dict[str, Any]

    @property
    def fraction(self) -> float:
        return self.step / self.total if self.total else 0.0


@dataclass
class Outcome:
    """How a run ended: a result, or an error with the last lines the demo printed."""

    demo: str
    params: dict[str, Any]
    seed: int
    result: dict[str, Any] | None = None
    error: str | None = None
    tail: list[str] = field(default_factory=list)
    returncode: int | None = None
    elapsed_s: float = 0.0
    cancelled: bool = False
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.result is not None


class DemoRun:
    def __init__(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        seed: int = 0,
        timeout: float = DEFAULT_TIMEOUT,
        folder: Where = None,
    ):
        info = demo_info(name, folder)
        if info is None:
            raise LookupError(f"unknown demo '{name}'")
        self.name = name
        self.params = dict(params or {})
        self.seed = seed
        self.timeout = timeout
        self.path = info.path
        self.proc: subprocess.Popen[str] | None = None
        self._stderr = _Tail()
        self._cancelled = threading.Event()
        self._timed_out = threading.Event()

    def command(self) -> list[str]:
        args = [sys.executable, str(self.path), "--jsonl", "--seed", str(self.seed)]
        for k, v in self.params.items():
            args += [f"--{k.replace('_', '-')}", _cli_value(v)]
        return args

    def events(self) -> Iterator[Progress | Outcome]:
        """Start the child and yield its progress, then exactly one :class:`Outcome`."""
        start = time.monotonic()
        outcome = Outcome(self.name, self.params, self.seed)
        env = {**os.environ, **ONE_THREAD, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group: cancel kills everything it started
        )
        if self._cancelled.is_set():
            self._kill()
        watchdog = threading.Timer(self.timeout, self._on_timeout)
        watchdog.daemon = True
        watchdog.start()
        reader = threading.Thread(target=self._read_stderr, daemon=True)
        reader.start()
        other = _Tail()
        try:
            assert self.proc.stdout is not None
            for line, whole in bounded_lines(self.proc.stdout, MESSAGE_BYTES):
                text = line.decode("utf-8", "replace")
                msg = _parse(text) if whole else None
                if msg is None:
                    other.add(text, whole)
                elif msg.get("type") == "progress":
                    info = {k: v for k, v in msg.items() if k not in ("type", "step", "total")}
                    yield Progress(_count(msg.get("step")), _count(msg.get("total")), info)
                elif msg.get("type") == "result":
                    result = msg.get("result")
                    outcome.result = result if isinstance(result, dict) else None
                elif msg.get("type") == "error":
                    outcome.error = str(msg.get("message", "error"))[:ERROR_CHARS]
            outcome.returncode = self.proc.wait()
        finally:
            watchdog.cancel()
            if self.proc.poll() is None:
                self._kill()
                self.proc.wait()
        reader.join(timeout=2)
        outcome.elapsed_s = time.monotonic() - start
        outcome.tail = other.lines() + self._stderr.lines()
        outcome.cancelled = self._cancelled.is_set()
        outcome.timed_out = self._timed_out.is_set()
        if outcome.cancelled:
            outcome.result, outcome.error = None, "cancelled"
        elif outcome.timed_out:
            outcome.result, outcome.error = None, f"timed out after {self.timeout:g} s"
        elif outcome.result is None and outcome.error is None:
            last = next((t for t in reversed(outcome.tail) if t.strip()), "")
            last = last if len(last) <= ERROR_CHARS else "…" + last[-ERROR_CHARS:]
            outcome.error = f"the demo stopped (exit code {outcome.returncode})" + (f": {last}" if last else "")
        yield outcome

    def run(self) -> Outcome:
        """Run to the end, ignoring progress."""
        for event in self.events():
            if isinstance(event, Outcome):
                return event
        raise AssertionError("events() always ends with an Outcome")

    def cancel(self) -> None:
        self._cancelled.set()
        if self.proc is not None:
            self._kill()

    def _on_timeout(self) -> None:
        self._timed_out.set()
        self._kill()

    def _kill(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, signal.SIGKILL)
            else:  # pragma: no cover - Windows
                proc.kill()
        except (ProcessLookupError, PermissionError):
            pass

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line, whole in bounded_lines(self.proc.stderr, TAIL_BYTES):
            text = line.decode("utf-8", "replace")
            self._stderr.add(text, whole)


class _Tail:
    """The last lines of a stream that are not messages: at most ``TAIL_LINES`` lines and ``TAIL_BYTES``
    of text (counted in characters, which is at most the bytes read)."""

    def __init__(self) -> None:
        self._lines: deque[str] = deque()
        self._size = 0

    def add(self, line: str, whole: bool = True) -> None:
        """Keep ``line``; one cut short (``whole=False``) is kept as "…" and its end."""
        line = line.rstrip()
        if not line.strip():
            return
        if not whole or len(line) > TAIL_BYTES:
            line = "…" + line[-(TAIL_BYTES - 1) :]
        self._lines.append(line)
        self._size += len(line)
        while len(self._lines) > TAIL_LINES or self._size > TAIL_BYTES:
            self._size -= len(self._lines.popleft())

    def lines(self) -> list[str]:
        return list(self._lines)


def bounded_lines(stream: IO[bytes], limit: int) -> Iterator[tuple[bytes, bool]]:
    """The lines of a binary stream (without their newline), and whether each is whole.

    Reads in chunks rather than by ``readline``, which holds a line in memory however long it grows.
    A line that starts like a JSON message is buffered up to ``limit`` bytes; any other line only up to
    ``TAIL_BYTES``, all the tail will keep of it. A line longer than its bound comes out once, at its
    newline (or the end of the stream), as its last ``TAIL_BYTES`` and ``whole=False``.
    """
    buf = bytearray()
    cut = False
    read = getattr(stream, "read1", stream.read)
    while chunk := read(_CHUNK):
        start = 0
        while (newline := chunk.find(b"\n", start)) != -1:
            buf += chunk[start:newline]
            yield (bytes(buf), True) if not cut and len(buf) <= limit else (bytes(buf[-TAIL_BYTES:]), False)
            buf.clear()
            cut = False
            start = newline + 1
        buf += chunk[start:]
        if len(buf) > TAIL_BYTES and (cut or len(buf) > limit or not _MESSAGE_START.match(buf)):
            del buf[:-TAIL_BYTES]
            cut = True
    if buf:
        yield (bytes(buf), True) if not cut else (bytes(buf[-TAIL_BYTES:]), False)


def _parse(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        msg = json.loads(line)
    except (ValueError, RecursionError):  # not JSON, an integer over 4,300 digits, nesting too deep
        return None
    return msg if isinstance(msg, dict) else None


def _count(value: Any) -> int:
    """A progress count as the child sent it, or 0 for anything that is not a sane number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    if isinstance(value, float) and not math.isfinite(value):
        return 0
    return int(min(max(value, 0), 2**53))


def _cli_value(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def list_params(name: str, folder: Where = None) -> list[dict[str, Any]]:
    """A demo's parameter table (name, default, type, low, high, choices, help), read from the demo."""
    info = demo_info(name, folder)
    if info is None:
        raise LookupError(f"unknown demo '{name}'")
    out = subprocess.run(
        [sys.executable, str(info.path), "--list-params"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **ONE_THREAD},
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "cannot read parameters")
    return json.loads(out.stdout)
