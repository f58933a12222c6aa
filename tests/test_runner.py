"""The demo runner: a child process streaming JSON lines, with cancel, timeout and crash handling."""

from __future__ import annotations

import os
import shutil
import textwrap
import threading
import time
from pathlib import Path

import pytest

from gistquiz.runner import TAIL_BYTES, DemoRun, Outcome, Progress, bounded_lines, list_params

ROOT = Path(__file__).resolve().parents[1]

HEAD = '''"""{claim}"""
import os, subprocess, sys, time
from dataclasses import dataclass
from harness import Param, Report, main, resolve_params

PARAMS = [Param("n", 3, "steps", low=1, high=100), Param("rate", 0.5, "a rate", low=0.0, high=1.0)]

@dataclass
class Result:
    n: int

def report(r):
    return Report("x", "", f"did {{r.n}}", {{}}, 0, {{"n": r.n}})
'''
TAIL = """
if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
"""
BODIES = {
    "count": """
def run(seed=0, progress=None, **params):
    p = resolve_params(PARAMS, params)
    for i in range(p["n"]):
        progress(i + 1, p["n"], loss=1.0 / (i + 1))
        time.sleep(0.06)  # keeps the progress lines apart (the harness sends at most ~20 a second)
    return Result(p["n"])
""",
    "hang": """
def run(seed=0, progress=None, **params):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    print(child.pid, file=sys.stderr, flush=True)  # a grandchild that must die with it
    progress(1, 2, message="hanging")
    time.sleep(600)
""",
    "boom": """
def run(seed=0, progress=None, **params):
    print("working...", flush=True)
    raise ValueError("boom: a bug in the demo")
""",
    "flood": """
def run(seed=0, progress=None, **params):
    block = b"o" * 2**20
    for _ in range(20):  # 20 MiB on stdout and on stderr, not one newline
        os.write(1, block)
        os.write(2, block.replace(b"o", b"e"))
    os.write(1, b"END-OUT")
    os.write(2, b"END-ERR")
    os._exit(3)
""",
    "odd_messages": """
def run(seed=0, progress=None, **params):
    import json
    lines = [
        '{"type": "progress", "step": ' + "9" * 5000 + ', "total": 2}',  # int() refuses 5,000 digits
        '{"type": "progress", "step": Infinity, "total": "x"}',
        '{"type": "progress", "step": 1, "total": 2, "deep": ' + "[" * 100000 + "]" * 100000 + "}",
        json.dumps({"type": "progress", "step": 2, "total": 2}),
        json.dumps({"type": "result", "result": {"blob": "x" * 300000}}),  # a big result still comes whole
    ]
    sys.stdout.write("\\n".join(lines) + "\\n")
    sys.stdout.flush()
    os._exit(0)
""",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "demos" / "harness.py", tmp_path / "harness.py")
    for name, body in BODIES.items():
        (tmp_path / f"{name}.py").write_text(HEAD.format(claim=f"{name} demo.") + textwrap.dedent(body) + TAIL)
    return tmp_path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by its parent) is not running
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")


def test_progress_then_exactly_one_result(folder):
    events = list(DemoRun("count", {"n": 4}, seed=7, folder=folder).events())
    progress = [e for e in events if isinstance(e, Progress)]
    outcomes = [e for e in events if isinstance(e, Outcome)]
    assert len(outcomes) == 1 and events[-1] is outcomes[0]
    assert [p.step for p in progress] == [1, 2, 3, 4] and progress[-1].fraction == 1.0
    assert progress[0].info == {"loss": 1.0}
    out = outcomes[0]
    assert out.ok and out.result["metrics"] == {"n": 4} and (out.demo, out.seed, out.params) == ("count", 7, {"n": 4})


def test_bad_parameter_gives_the_demos_own_message(folder):
    out = DemoRun("count", {"n": 0}, folder=folder).run()
    assert not out.ok and out.error == "n: must be >= 1, got 0" and out.returncode == 2


def test_a_demo_that_raises_gives_an_error_with_its_last_lines(folder):
    out = DemoRun("boom", folder=folder).run()
    assert not out.ok and out.returncode == 1
    assert out.error.endswith("ValueError: boom: a bug in the demo")
    assert "working..." in out.tail and any("Traceback" in line for line in out.tail)


def test_a_hung_demo_is_killed_at_the_timeout_with_its_children(folder):
    run = DemoRun("hang", timeout=1.5, folder=folder)
    start = time.monotonic()
    out = run.run()
    assert out.timed_out and not out.ok and out.error == "timed out after 1.5 s"
    assert time.monotonic() - start < 10
    grandchild = int(next(line for line in out.tail if line.strip().isdigit()))
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(run.proc.pid) and not alive(grandchild)


def test_cancel_mid_run_leaves_no_child_process(folder):
    run = DemoRun("hang", folder=folder)
    events = run.events()
    first = next(events)  # the demo is running and has reported progress
    assert isinstance(first, Progress) and first.info["message"] == "hanging"
    threading.Timer(0.1, run.cancel).start()  # from another thread, as the app does
    outcome = next(events)
    assert isinstance(outcome, Outcome) and outcome.cancelled and outcome.error == "cancelled"
    assert not alive(run.proc.pid)


def test_unknown_demo_is_refused(folder):
    with pytest.raises(LookupError, match="unknown demo 'nope'"):
        DemoRun("nope", folder=folder)


def test_parameter_table_is_read_from_the_demo(folder):
    table = list_params("count", folder)
    assert [(p["name"], p["default"], p["low"], p["high"]) for p in table] == [
        ("n", 3, 1, 100),
        ("rate", 0.5, 0.0, 1.0),
    ]


def test_a_demo_flooding_both_streams_without_newlines_keeps_only_their_last_64_kib(folder):
    out = DemoRun("flood", folder=folder).run()
    assert not out.ok and out.returncode == 3
    stdout_tail = [line for line in out.tail if line.endswith("END-OUT")]
    stderr_tail = [line for line in out.tail if line.endswith("END-ERR")]
    assert len(stdout_tail) == 1 and stdout_tail[0].endswith("o" * 1000 + "END-OUT")
    assert len(stderr_tail) == 1 and stderr_tail[0].endswith("e" * 1000 + "END-ERR")
    for kept in (stdout_tail[0], stderr_tail[0]):
        assert kept.startswith("…") and TAIL_BYTES - 64 <= len(kept) <= TAIL_BYTES
    assert sum(len(line) for line in out.tail) <= 2 * TAIL_BYTES
    assert len(out.error) < 5000 and out.error.endswith("END-ERR")


def test_messages_with_huge_numbers_or_deep_nesting_are_not_a_crash(folder):
    events = list(DemoRun("odd_messages", folder=folder).events())
    progress = [(e.step, e.total) for e in events if isinstance(e, Progress)]
    assert progress == [(0, 0), (2, 2)]  # the unreadable ones are output; a non-number counts as 0
    out = events[-1]
    assert out.ok and out.result == {"blob": "x" * 300000}
    assert sum(len(line) for line in out.tail) <= TAIL_BYTES


def test_bounded_lines_cut_only_lines_past_their_bound():
    import io

    message = b'{"a": "' + b"x" * 200_000 + b'"}'
    data = b"short\n" + message + b"\n" + b"y" * 300_000 + b"\nlast"
    lines = list(bounded_lines(io.BufferedReader(io.BytesIO(data)), limit=1_000_000))
    assert lines == [(b"short", True), (message, True), (b"y" * TAIL_BYTES, False), (b"last", True)]
    too_long = list(bounded_lines(io.BufferedReader(io.BytesIO(message)), limit=100_000))
    assert too_long == [(message[-TAIL_BYTES:], False)]
