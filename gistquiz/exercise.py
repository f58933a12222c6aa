"""Exercise cards: the learner writes NumPy code, the card's tests grade it in child processes.

A card with ``type: exercise`` holds three fenced blocks (the task is the heading and the text above them)::

    ```python
    def softmax(x):
        \"\"\"x: (N, C) scores -> (N, C) probabilities.\"\"\"
    ```
    ```python tests
    def test_rows_sum_to_one():
        close(softmax(np.zeros((2, 3))).sum(axis=1), np.ones(2))
    ```
    ```python solution
    def softmax(x): ...
    ```

The starter is where the learner begins; each ``test_*`` function in the tests is one test, run in the order
written (``np``, ``close(actual, expected, rtol, atol)`` and ``numerical_gradient(f, x)`` are there to use);
the solution is shown on reveal. :func:`grade` runs them (see ``exercise_child.py`` for why a verdict cannot
be forged) and returns a :class:`Verdict`.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from gistquiz.exercise_card import Exercise

CHILD = Path(__file__).with_name("exercise_child.py")
_FENCE = re.compile(r"^(```+|~~~+)[ \t]*python(?:[ \t]+(tests|solution))?[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 10.0
    """Per call into the learner's code (a sleep or a blocked read uses no CPU)."""
    cpu_seconds: int = 10
    memory_bytes: int = 1 << 30
    """Address space of the learner's process, NumPy's own start-up aside."""
    file_bytes: int = 16 << 20


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest class
    name: str
    passed: bool
    message: str = ""


@dataclass(frozen=True)
class Verdict:
    results: tuple[TestResult, ...]
    error: str = ""
    """Why there is no trustworthy verdict (timed out, the harness died, a forged or short verdict)."""
    network_isolated: bool = False
    printed: str = ""
    """The end of what the learner's code printed."""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.error and bool(self.results) and all(r.passed for r in self.results)

    @property
    def summary(self) -> str:
        if self.error:
            return self.error
        n = sum(r.passed for r in self.results)
        return f"{n} of {len(self.results)} tests passed"


@dataclass
class Attempts:
    """One showing of an exercise card: the runs so far, for the suggested rating."""

    verdicts: list[Verdict] = field(default_factory=list)
    revealed_before_passing: bool = False

    def suggested_rating(self) -> int:
        """Good if it passed at the first run, Hard if after fixes, Again if revealed (or never) passing."""
        first_pass = next((i for i, v in enumerate(self.verdicts) if v.passed), None)
        if first_pass is None or self.revealed_before_passing:
            return 1
        return 3 if first_pass == 0 else 2


def verdict_lines(verdict: Verdict) -> list[str]:
    """The verdict as plain lines: one per test (``  pass  name`` or ``  FAIL  name: message``), the end of
    what the code printed, then the summary. The plain review prints them; the app colours them."""
    lines = [
        f"  {'pass' if r.passed else 'FAIL'}  {r.name}" + (f": {r.message}" if r.message else "")
        for r in verdict.results
    ]
    if verdict.printed.strip():
        tail = verdict.printed.strip().splitlines()[-5:]
        lines += ["  your code printed (the end):", *(f"    {t[:200]}" for t in tail)]
    lines.append(verdict.summary + ("" if verdict.network_isolated else " (your code could reach the network)"))
    return lines


def test_names(tests: str) -> list[str]:
    """The ``test_*`` functions defined at the top level of the tests, in order."""
    try:
        tree = ast.parse(tests)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]


def defined_functions(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]


def parse_blocks(body: str, first_line: int) -> tuple[str, Exercise | None, str, list[tuple[int, str]]]:
    """Split an exercise card's body into (task text, exercise, text after the blocks, problems).

    Problems are ``(line, message)`` pairs with deck-file line numbers.
    """
    problems: list[tuple[int, str]] = []
    blocks: dict[str, tuple[str, int]] = {}
    task_end = None
    after_start = 0
    pos = 0
    counted, line = 0, first_line  # lines counted up to ``counted``: each character is counted once
    unclosed = False
    for m in _FENCE.finditer(body):
        if m.start() < pos:
            continue
        line += body.count("\n", counted, m.start())
        counted = m.start()
        role = m.group(2) or "starter"
        close = re.compile(rf"^{re.escape(m.group(1)[0])}{{{len(m.group(1))},}}[ \t]*$", re.MULTILINE)
        end = close.search(body, m.end() + 1)
        if end is None:
            problems.append((line, f"the ```python {m.group(2) or ''} block is not closed".replace("  ", " ")))
            unclosed = True
            break
        if role in blocks:
            problems.append((line, f"a second {role} block (the first is on line {blocks[role][1]})"))
        else:
            blocks[role] = (body[m.end() + 1 : end.start()], line)
        if task_end is None:
            task_end = m.start()
        pos = after_start = end.end()
    task = body[:task_end].strip() if task_end is not None else body.strip()
    after = body[after_start:].strip() if blocks else ""
    if "starter" not in blocks and not unclosed:
        problems.append((first_line, "an exercise needs a ```python block with the starter code"))
    if "tests" not in blocks and not unclosed:
        problems.append((first_line, "an exercise needs a ```python tests block"))
    for role, (code, line) in blocks.items():
        try:
            compile(code, role, "exec")
        except SyntaxError as err:
            problems.append((line + (err.lineno or 0), f"syntax error in the {role}: {err.msg}"))
    if "tests" in blocks and not problems and not test_names(blocks["tests"][0]):
        problems.append((blocks["tests"][1], "the tests block defines no test: write functions named test_..."))
    if "starter" in blocks and not problems and not defined_functions(blocks["starter"][0]):
        problems.append((blocks["starter"][1], "the starter defines no function for the tests to call"))
    if problems:
        return task, None, after, problems
    starter, _ = blocks["starter"]
    tests, tests_line = blocks["tests"]
    solution = blocks.get("solution", ("", 0))[0]
    return task, Exercise(starter, tests, solution, tests_line), after, problems


class Worker:
    """One grading, started ahead: a harness with NumPy imported and its sandbox waiting, used once.

    The processes are the cold start's, started earlier: the harness in its own session with a scrubbed
    environment and one BLAS thread, the verdict pipe made here and passed to it alone, the nonce sent with the
    job, the sandbox's limits set when the job arrives and before the learner's code runs, descendants swept
    at the end. Used for one run and then closed, so nothing one run leaves behind (a global, a patched
    module, a file in the work folder) is there for the next.
    """

    def __init__(self) -> None:
        self.workdir = tempfile.mkdtemp(prefix="gistquiz-exercise-")
        self._read_fd, write_fd = os.pipe()
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")}
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", str(CHILD), "harness", self.workdir, str(write_fd)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(write_fd,),
                env={**env, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
                start_new_session=True,
            )
        except BaseException:
            os.close(self._read_fd)
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise
        finally:
            os.close(write_fd)
        self.used = False
        self.closed = False

    @property
    def ready(self) -> bool:
        """Unused and still running (a harness that died while waiting is replaced, not used)."""
        return not self.used and not self.closed and self.proc.poll() is None

    def grade(self, exercise: Exercise, code: str, limits: Limits = Limits(), timeout: float | None = None) -> Verdict:
        """Grade ``code`` (once: the worker is closed after it, whatever happened)."""
        if self.used:
            raise RuntimeError("a grading worker runs one job; start a new one")
        self.used = True
        names = exercise.test_names
        nonce = secrets.token_hex(16)
        job = {
            "code": code,
            "tests": exercise.tests,
            "tests_names": names,
            "functions": exercise.functions,
            "nonce": nonce,
            "wall_seconds": limits.wall_seconds,
            "cpu_seconds": limits.cpu_seconds,
            "memory_bytes": limits.memory_bytes,
            "file_bytes": limits.file_bytes,
        }
        started = time.monotonic()
        budget = timeout if timeout is not None else limits.wall_seconds * (len(names) + 1) + 10
        proc = self.proc
        try:
            proc.stdin.write(json.dumps(job).encode())
            proc.stdin.close()
            # The verdict is whole when the harness closes the pipe, after its sweep; its interpreter's exit
            # (tens of milliseconds with NumPy loaded) is not waited for: close() ends it.
            raw = _read_all(self._read_fd, budget)
        except TimeoutError:
            self.close()
            return Verdict((), error=f"the tests did not finish within {budget:g} s and were stopped")
        except BrokenPipeError:  # the harness died before the job went in
            raw = b""
        stderr = self.close()
        return _verdict(raw, nonce, names, stderr, time.monotonic() - started)

    def close(self) -> str:
        """End the harness and everything under it, remove the work folder; returns the end of its stderr."""
        if self.closed:
            return ""
        self.closed = True
        os.close(self._read_fd)
        if self.proc.poll() is None:
            _kill_tree(self.proc.pid)
        self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)
        with contextlib.suppress(OSError, ValueError):
            self.proc.stdin.close()
        return self.proc.stderr.read().decode("utf-8", "replace")[-2000:] if self.proc.stderr else ""


class Pool:
    """A pool of one :class:`Worker`: after :meth:`prestart`, a worker is kept waiting, and each one that
    grades is replaced by a new one when it is done (never reused). Before it, ``take`` starts a cold one.

    Thread-safe: the app calls :meth:`prestart` from its UI thread and :func:`grade` from a worker thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: Worker | None = None
        self.active = False
        self.started = 0
        """Workers started so far (the tests count replacements with it)."""

    def prestart(self) -> None:
        """Keep a worker waiting from now on (idempotent; costs one process start, a few milliseconds)."""
        with self._lock:
            if not self.active:
                self.active = True
                atexit.register(self.close)
            if self._waiting is None or not self._waiting.ready:
                if self._waiting is not None:
                    self._waiting.close()
                self._waiting = self._start()

    def take(self) -> Worker:
        """The waiting worker if there is a ready one, else a new one (a cold start)."""
        with self._lock:
            worker, self._waiting = self._waiting, None
        if worker is not None and worker.ready:
            return worker
        if worker is not None:
            worker.close()
        with self._lock:
            return self._start()

    def refill(self) -> None:
        """After a grading: start the next worker if the pool is active."""
        if self.active:
            self.prestart()

    def close(self) -> None:
        """Stop keeping a worker (the app is leaving): the waiting one ends."""
        with self._lock:
            self.active = False
            worker, self._waiting = self._waiting, None
        if worker is not None:
            worker.close()

    def _start(self) -> Worker:
        self.started += 1
        return Worker()


POOL = Pool()
"""The app's pool: :func:`grade` takes from it, :func:`prestart` fills it."""


def prestart() -> None:
    """Call when an exercise card is shown: from then on a grading worker waits with NumPy imported.

    Not at launch: the first screen imports nothing it does not need, and a learner who never opens an
    exercise starts no process. :func:`stop_prestarting` (or the app's exit) ends the waiting worker.
    """
    POOL.prestart()


def stop_prestarting() -> None:
    POOL.close()


def grade(
    exercise: Exercise,
    code: str,
    limits: Limits = Limits(),
    timeout: float | None = None,
    pool: Pool | None = None,
) -> Verdict:
    """Run the exercise's tests against ``code``; the verdict comes back over a pipe of its own.

    Uses ``pool``'s waiting worker (default: :data:`POOL`, which has one after :func:`prestart`), else starts
    one; either way the worker grades this once, and an active pool starts the next one afterwards.
    """
    pool = POOL if pool is None else pool
    worker = pool.take()
    try:
        return worker.grade(exercise, code, limits, timeout)
    finally:
        worker.close()
        pool.refill()


def _verdict(raw: bytes, nonce: str, names: list[str], stderr: str, seconds: float) -> Verdict:
    try:
        data = json.loads(raw)
    except ValueError:
        tail = stderr.strip().splitlines()[-1:] if stderr.strip() else []
        return Verdict((), error="no verdict came back from the tests" + (f": {tail[0]}" if tail else ""))
    if not isinstance(data, dict) or not secrets.compare_digest(str(data.get("nonce", "")), nonce):
        return Verdict((), error="the verdict did not come from this run's tests")
    results = tuple(
        TestResult(str(r.get("name")), r.get("passed") is True, str(r.get("message", "")))
        for r in data.get("results", [])
        if isinstance(r, dict)
    )
    if [r.name for r in results] != names and not (results and not results[-1].passed):
        return Verdict(results, error=f"the tests ran {len(results)} of {len(names)} tests")
    if len(results) < len(names):  # stopped after a load error: the rest fail the same way
        reason = results[-1].message if results else "not run"
        results += tuple(TestResult(n, False, reason) for n in names[len(results) :])
    return Verdict(
        results,
        network_isolated=bool(data.get("network_isolated")),
        printed=str(data.get("printed", "")),
        seconds=seconds,
    )


def _read_all(fd: int, timeout: float) -> bytes:
    import select

    deadline = time.monotonic() + timeout
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            raise TimeoutError
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        if sum(map(len, chunks)) > 16 << 20:
            return b""


def _kill_tree(pid: int) -> None:
    """SIGKILL ``pid``'s process group and everything below it (children that left the group too)."""
    from gistquiz.exercise_child import sweep_descendants

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGSTOP)  # freeze the group so nothing forks while we sweep
    sweep_descendants(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
