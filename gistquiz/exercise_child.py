"""The two child processes that grade an exercise. Standard library and NumPy only; run as a script.

    python -I exercise_child.py harness WORKDIR FD   (trusted: the deck's tests)
    python -I exercise_child.py sandbox   (the learner's code)

The app starts the **harness** with its work folder and the number of the pipe the verdict goes to, and
hands it, on stdin, one JSON job: the learner's code, the tests, the names the starter defines and a per-run
nonce. The harness starts the **sandbox** (before the job arrives: see ``exercise.Worker``), which runs
the learner's code under resource limits in a temporary folder with a scrubbed environment, and then only
answers calls: the harness runs the ``test_*`` functions, and every call a test makes to a learner's
function (``softmax(x)``) is sent to the sandbox and its result sent back as data (arrays, numbers, strings
and their containers, unpickled by an allow-list).

So the learner's code never sees the tests, the nonce or the verdict pipe: printing a fake result, exiting
early, deleting or patching the tests, or monkeypatching NumPy changes nothing but its own process, and a
verdict that is missing, has the wrong nonce or lacks a test is a fail. (Like a notebook, the code still
runs as the user and can touch the user's files: the app asks before running code it did not write.)
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections import deque

TAIL_BYTES = 64 * 1024
MESSAGE_BYTES = 256 * 1024 * 1024
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}
_HEADER = struct.Struct("!Q")
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
PR_SET_CHILD_SUBREAPER = 36


# ---------------------------------------------------------------- framing (both sides)


def send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=5)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exactly(stream, size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        part = stream.read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def receive_bytes(stream) -> bytes:
    header = _read_exactly(stream, _HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the other process closed the channel")
    (size,) = _HEADER.unpack(header)
    if size > MESSAGE_BYTES:
        raise ValueError(f"a message of {size} bytes is over the {MESSAGE_BYTES} byte limit")
    data = _read_exactly(stream, size)
    if len(data) < size:
        raise EOFError("the other process closed the channel mid-message")
    return data


class DataOnly(pickle.Unpickler):
    """Unpickles data only: Python's own containers and scalars, NumPy arrays, dtypes and scalars."""

    ALLOWED = {
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("builtins", "complex"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "range"),
        ("builtins", "slice"),
        ("builtins", "bytearray"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self.ALLOWED or module.startswith("numpy.dtypes"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name}")


def load_data(data: bytes):
    return DataOnly(io.BytesIO(data)).load()


# ---------------------------------------------------------------- the sandbox (the learner's code)


def isolate_network() -> bool:
    """Drop the network with a new network namespace where the kernel lets us (True if it is gone)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNET) == 0:
            return True
        return libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0
    except (OSError, AttributeError):
        return False


def sandbox_limits(cpu_seconds: int, memory_bytes: int, file_bytes: int) -> None:
    """Run in the sandbox before the learner's code: its own CPU, memory, file size and core limits."""
    for limit, value in (
        (resource.RLIMIT_CPU, cpu_seconds),
        (resource.RLIMIT_AS, memory_bytes),
        (resource.RLIMIT_FSIZE, file_bytes),
        (resource.RLIMIT_CORE, 0),
    ):
        soft, hard = resource.getrlimit(limit)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, hard if hard != resource.RLIM_INFINITY else value))


def sandbox(requests, replies) -> None:
    """Run the learner's code, then answer calls until the channel closes.

    The network and NumPy come first, the code and its limits when it arrives: so a sandbox started ahead of
    its job (``exercise.Worker``) waits with NumPy imported, and its limits are still set before any of the
    learner's code runs.
    """
    network_isolated = isolate_network()
    import numpy  # noqa: F401  (before the memory limit: NumPy's own start-up is not the learner's)

    try:
        setup = pickle.loads(receive_bytes(requests))
    except EOFError:  # the harness went away before a job came (a pre-started worker closed unused)
        return
    sandbox_limits(setup["cpu_seconds"], setup["memory_bytes"], setup["file_bytes"])
    namespace = {"__name__": "__learner__"}
    try:
        code = compile(setup["code"], "your code", "exec")
        exec(code, namespace)
    except BaseException as err:  # a syntax error, an exception at import, sys.exit, ...
        send(replies, {"loaded": False, "error": describe(err), "network_isolated": network_isolated})
        return
    send(replies, {"loaded": True, "network_isolated": network_isolated})
    while True:
        try:
            name, args, kwargs = pickle.loads(receive_bytes(requests))
        except EOFError:
            return
        try:
            result = namespace[name](*args, **kwargs)
        except BaseException as err:
            payload = pickle.dumps(("error", describe(err)), protocol=5)
        else:
            try:
                payload = pickle.dumps(("ok", result), protocol=5)
            except Exception:
                message = (
                    f"{name} returned a {type(result).__name__} object: return arrays, numbers, strings or "
                    "lists of them"
                )
                payload = pickle.dumps(("error", message), protocol=5)
        replies.write(_HEADER.pack(len(payload)) + payload)
        replies.flush()


def describe(err: BaseException) -> str:
    """The exception as the learner should read it: type, message and the lines of their code."""
    if isinstance(err, SyntaxError):
        return f"SyntaxError on line {err.lineno} of your code: {err.msg}"
    if isinstance(err, MemoryError):
        return "MemoryError: your code asked for more memory than the exercise allows"
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == "your code"]
    where = f" (line {frames[-1].lineno} of your code)" if frames else ""
    return f"{type(err).__name__}{where}: {err}"


# ---------------------------------------------------------------- the harness (the tests)


class LearnerError(Exception):
    """The learner's function raised, returned something that is not data, or the sandbox died."""


class Sandbox:
    """The learner's process, and calls into it."""

    def __init__(self, workdir: str):
        """Start the learner's process: it drops the network, imports NumPy and waits for :meth:`load`."""
        env = {"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8", **ONE_THREAD}
        self.proc = subprocess.Popen(
            [sys.executable, "-I", os.path.abspath(__file__), "sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=workdir,
            env=env,
            start_new_session=True,
        )
        self.replies = os.fdopen(os.dup(self.proc.stdout.fileno()), "rb", buffering=0)
        self.wall_seconds = 0.0
        self.network_isolated = False
        self.load_error: str | None = "your code was not loaded"
        # The sandbox's own prints go to its stderr (below): stdout is the reply channel.
        self.output: deque[bytes] = deque()
        self.output_size = 0
        self.reader = threading.Thread(target=self._read_output, daemon=True)
        self.reader.start()

    def load(self, job: dict) -> None:
        """Send the learner's code and the limits; the sandbox sets the limits, runs the code and says hello."""
        self.wall_seconds = job["wall_seconds"]
        limits = {k: job[k] for k in ("cpu_seconds", "memory_bytes", "file_bytes")}
        try:
            send(self.proc.stdin, {"code": job["code"], **limits})
            hello = self._reply()
        except (LearnerError, OSError) as err:
            hello = {"loaded": False, "error": str(err) or "your code's process ended at once"}
        self.network_isolated = hello.get("network_isolated", False)
        self.load_error = None if hello.get("loaded") else hello.get("error", "your code did not load")

    def _read_output(self) -> None:
        while chunk := self.proc.stderr.read1(65536):
            self.output.append(chunk)
            self.output_size += len(chunk)
            while self.output_size - len(self.output[0]) >= TAIL_BYTES:
                self.output_size -= len(self.output.popleft())

    def printed(self) -> str:
        return b"".join(self.output)[-TAIL_BYTES:].decode("utf-8", "replace")

    def _reply(self):
        ready, _, _ = select.select([self.replies], [], [], self.wall_seconds)
        if not ready:
            self.close()
            raise LearnerError(
                f"your code took longer than {self.wall_seconds:g} s (an endless loop, a sleep or waiting "
                "for input?) and was stopped"
            )
        try:
            return load_data(receive_bytes(self.replies))
        except EOFError:
            code = self.proc.wait()
            raise LearnerError(ended(code)) from None
        except pickle.UnpicklingError as err:
            raise LearnerError(
                f"your function returned a {err} object: return arrays, numbers, strings or lists of them"
            ) from None

    def call(self, name: str, args: tuple, kwargs: dict):
        if self.load_error:
            raise LearnerError(self.load_error)
        send(self.proc.stdin, (name, args, kwargs))
        status, value = self._reply()
        if status == "error":
            raise LearnerError(value)
        return value

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def ended(code: int) -> str:
    if code == -signal.SIGXCPU or code == -signal.SIGKILL:
        return "your code used up its CPU time (an endless loop?) and was stopped"
    if code < 0:
        return f"your code's process was ended by signal {signal.Signals(-code).name}"
    return f"your code's process exited (status {code}) before returning"


def harness_namespace(job: dict, box: Sandbox) -> dict:
    import numpy as np

    from_checks = test_helpers(np)
    namespace = {"__name__": "__tests__", "np": np, "numpy": np, **from_checks}
    for name in job["functions"]:
        namespace[name] = _proxy(box, name)
    return namespace


def _proxy(box: Sandbox, name: str):
    def call(*args, **kwargs):
        return box.call(name, args, kwargs)

    call.__name__ = name
    return call


def test_helpers(np) -> dict:
    """What a test may use besides NumPy: ``close`` and ``numerical_gradient``."""

    def close(actual, expected, rtol=1e-6, atol=1e-8, what="result"):
        """Assert ``actual`` equals ``expected`` to a tolerance, saying where and by how much it differs."""
        expected = np.asarray(expected)
        try:
            actual = np.asarray(actual, dtype=expected.dtype if expected.dtype.kind in "fc" else None)
        except (TypeError, ValueError):
            raise AssertionError(
                f"{what}: got {type(actual).__name__}, expected an array like {expected.shape}"
            ) from None
        if actual.shape != expected.shape:
            raise AssertionError(f"{what}: shape {actual.shape}, expected {expected.shape}")
        if expected.dtype.kind in "biufc":
            if not np.all(np.isfinite(actual)) and np.all(np.isfinite(expected)):
                bad = tuple(int(i) for i in np.argwhere(~np.isfinite(actual))[0])
                raise AssertionError(f"{what}: not finite at index {bad} ({actual[bad]})")
            wrong = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
            if wrong.any():
                first = tuple(int(i) for i in np.argwhere(wrong)[0])
                err = float(np.max(np.abs(actual - expected)))
                raise AssertionError(
                    f"{what}: max abs error {err:.3g}; first mismatch at index {first}: "
                    f"{actual[first]!r} vs expected {expected[first]!r}"
                )
        elif not np.array_equal(actual, expected):
            raise AssertionError(f"{what}: {actual!r}, expected {expected!r}")

    def numerical_gradient(f, x, h=1e-5):
        """Centred differences of a scalar function ``f`` at array ``x`` (float64)."""
        x = np.array(x, dtype=np.float64)
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            plus = float(f(x))
            x[i] = old - h
            minus = float(f(x))
            x[i] = old
            grad[i] = (plus - minus) / (2 * h)
        return grad

    return {"close": close, "numerical_gradient": numerical_gradient}


def run_tests(job: dict, workdir: str, ready: Sandbox | None = None) -> dict:
    """Every ``test_*`` function of the tests, in the order written, against one sandbox (a new one after
    a test that killed it). ``ready`` is a sandbox started ahead, waiting for the code."""
    results = []
    network_isolated = True
    printed = ""
    box = None
    # The app made the folder and removes it: a harness killed mid-run (by the learner's code) cannot.
    for name in job["tests_names"]:
        if box is None or box.proc.poll() is not None:
            if box is not None:
                box.close()
            box, ready = ready or Sandbox(workdir), None
            box.load(job)
            network_isolated &= box.network_isolated
        try:
            namespace = harness_namespace(job, box)
            exec(compile(job["tests"], "the tests", "exec"), namespace)
            if box.load_error:
                raise LearnerError(box.load_error)
            namespace[name]()
            results.append({"name": name, "passed": True, "message": ""})
        except AssertionError as err:
            results.append({"name": name, "passed": False, "message": str(err) or "an assertion failed"})
        except LearnerError as err:
            results.append({"name": name, "passed": False, "message": str(err)})
        except Exception as err:
            detail = f"{type(err).__name__}: {err}"
            results.append({"name": name, "passed": False, "message": f"{detail} (while checking your result)"})
        printed = box.printed() or printed
        if box.load_error:  # every other test would fail the same way
            break
    if box is not None:
        box.close()
        printed = box.printed() or printed
    if ready is not None:  # no test ran (the app counts that as a fail)
        ready.close()
    return {"results": results, "network_isolated": network_isolated, "printed": printed}


def sweep_descendants(root: int) -> None:
    """SIGKILL every process under ``root`` (a learner's ``setsid()`` grandchild included: as a subreaper,
    the harness inherits the orphans)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    stack = list(children.get(root, []))
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def harness(workdir: str, verdict_fd: int) -> None:
    """Get ready (subreaper, NumPy, a sandbox waiting), then grade the one job that arrives on stdin.

    Everything before the job is what a pre-started worker has done by the time the learner runs the tests;
    a stdin closed without a job (the app closed the worker, or died) ends the harness and its sandbox.
    """
    try:
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    ready = Sandbox(workdir)
    import numpy  # noqa: F401  (the tests' namespace needs it; imported while the sandbox imports its own)

    try:
        data = sys.stdin.buffer.read()
        if not data:
            return
        job = json.loads(data)
        nonce = job.pop("nonce")
        started = time.monotonic()
        outcome = run_tests(job, workdir, ready)
    finally:
        sweep_descendants(os.getpid())
    outcome["seconds"] = time.monotonic() - started
    with os.fdopen(verdict_fd, "w") as channel:
        channel.write(json.dumps({"nonce": nonce, **outcome}))


if __name__ == "__main__":
    if sys.argv[1:] == ["sandbox"]:
        replies = os.fdopen(os.dup(1), "wb")
        os.dup2(2, 1)  # the learner's prints go to stderr, which the harness keeps the end of
        sandbox(sys.stdin.buffer, replies)
    elif sys.argv[1:2] == ["harness"] and len(sys.argv) == 4:
        harness(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit("usage: exercise_child.py harness WORKDIR VERDICT_FD | sandbox")
