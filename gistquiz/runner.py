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
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gistquiz.registry import demo_info

DEFAULT_TIMEOUT = 120.0
TAIL_LINES = 20
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
        folder: Path | None = None,
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
        self._stderr: deque[str] = deque(maxlen=TAIL_LINES)
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
            text=True,
            encoding="utf-8",
            errors="replace",
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
        other: deque[str] = deque(maxlen=TAIL_LINES)
        try:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                msg = _parse(line)
                if msg is None:
                    if line.strip():
                        other.append(line.rstrip())
                elif msg.get("type") == "progress":
                    info = {k: v for k, v in msg.items() if k not in ("type", "step", "total")}
                    yield Progress(int(msg.get("step", 0)), int(msg.get("total", 0)), info)
                elif msg.get("type") == "result":
                    outcome.result = msg.get("result")
                elif msg.get("type") == "error":
                    outcome.error = str(msg.get("message", "error"))
            outcome.returncode = self.proc.wait()
        finally:
            watchdog.cancel()
            if self.proc.poll() is None:
                self._kill()
                self.proc.wait()
        reader.join(timeout=2)
        outcome.elapsed_s = time.monotonic() - start
        outcome.tail = list(other) + list(self._stderr)
        outcome.cancelled = self._cancelled.is_set()
        outcome.timed_out = self._timed_out.is_set()
        if outcome.cancelled:
            outcome.result, outcome.error = None, "cancelled"
        elif outcome.timed_out:
            outcome.result, outcome.error = None, f"timed out after {self.timeout:g} s"
        elif outcome.result is None and outcome.error is None:
            last = next((t for t in reversed(outcome.tail) if t.strip()), "")
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
        for line in self.proc.stderr:
            self._stderr.append(line.rstrip())


def _parse(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        msg = json.loads(line)
    except json.JSONDecodeError:
        return None
    return msg if isinstance(msg, dict) else None


def _cli_value(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def list_params(name: str, folder: Path | None = None) -> list[dict[str, Any]]:
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
