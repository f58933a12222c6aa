"""The pre-started grading worker: used once and replaced, nothing kept between runs, every sandbox guarantee
of a cold start (limits, descendants, the nonce channel, a scrubbed environment) held by a child that waited."""

from __future__ import annotations

import os
import textwrap
import time

import pytest
from test_exercise import FAST, FORGERIES, GOOD, ONE_TEST, SOFTMAX, _alive, messages, setsid_grandchild

from gistquiz import exercise
from gistquiz.exercise import Exercise, Pool, Verdict, Worker


@pytest.fixture
def pool():
    p = Pool()
    p.prestart()
    yield p
    p.close()


def run(pool: Pool, code: str, ex: Exercise = ONE_TEST) -> Verdict:
    return exercise.grade(ex, textwrap.dedent(code), FAST, pool=pool)


def _descendants(pid: int) -> list[int]:
    """Live processes under ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


LEAK = Exercise(
    "def f():\n    pass\n",
    """
def test_fresh():
    assert not hasattr(np, "_set_by_the_last_tests"), "the tests of the last run left a global behind"
    np._set_by_the_last_tests = 1
    assert f() == "fresh", f()
""",
)
LEAKY_CODE = """
    import builtins, numpy, os
    def f():
        seen = hasattr(builtins, "set_by_the_last_code") or hasattr(numpy, "set_by_the_last_code")
        seen = seen or os.path.exists("left-by-the-last-code")
        builtins.set_by_the_last_code = numpy.set_by_the_last_code = 1
        open("left-by-the-last-code", "w").close()
        return "leaked" if seen else "fresh"
"""


def test_each_run_uses_the_waiting_worker_once_and_a_new_one_replaces_it(pool):
    pids = []
    for _ in range(3):
        waiting = pool._waiting
        assert waiting is not None and waiting.ready, "a prestarted pool keeps a worker waiting"
        pids.append(waiting.proc.pid)
        verdict = run(pool, LEAKY_CODE, LEAK)
        assert verdict.passed, messages(verdict)  # a global or file from the last run would fail it
        assert waiting.closed and waiting.proc.poll() is not None, "a used worker is ended"
        assert not os.path.exists(waiting.workdir)
        assert pool._waiting is not waiting
    assert len(set(pids)) == 3
    assert pool.started == 4  # the first and one replacement per run


def test_a_used_worker_refuses_a_second_job(pool):
    worker = pool.take()
    worker.grade(SOFTMAX, textwrap.dedent(GOOD), FAST)
    with pytest.raises(RuntimeError, match="one job"):
        worker.grade(SOFTMAX, textwrap.dedent(GOOD), FAST)


def test_a_waiting_worker_has_numpy_and_its_sandbox_ready_and_ends_with_no_trace():
    worker = Worker()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(_descendants(worker.proc.pid)) < 1:
        time.sleep(0.02)
    under = _descendants(worker.proc.pid)
    assert under, "the harness starts its sandbox before the job"
    worker.close()
    assert worker.proc.poll() is not None
    assert not any(_alive(p) for p in under)
    assert not os.path.exists(worker.workdir)


def test_a_waiting_worker_ends_when_the_app_goes_away():
    """The app's end closes the harness's stdin (even a SIGKILL does): no job, so harness and sandbox exit."""
    worker = Worker()
    time.sleep(0.3)
    under = _descendants(worker.proc.pid)
    worker.proc.stdin.close()
    assert worker.proc.wait(timeout=30) == 0
    assert not any(_alive(p) for p in under)
    worker.close()


def test_prestart_is_idempotent_and_close_ends_the_waiting_worker():
    p = Pool()
    p.prestart()
    first = p._waiting
    p.prestart()
    assert p._waiting is first and p.started == 1
    p.close()
    assert first.closed and first.proc.poll() is not None
    p.refill()
    assert p._waiting is None, "a closed pool starts nothing"


@pytest.mark.parametrize("code", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_verdicts_fail_on_a_prestarted_worker(pool, code):
    assert not run(pool, code).passed


def test_a_prestarted_workers_sandbox_has_its_limits_and_a_scrubbed_environment(pool, monkeypatch):
    monkeypatch.setenv("GISTQUIZ_TEST_SECRET", "s3cret")
    pool.close()
    pool.prestart()  # started with the secret in this process's environment
    code = """
        import os, resource
        def f(x):
            assert "GISTQUIZ_TEST_SECRET" not in os.environ, "the environment was not scrubbed"
            assert resource.getrlimit(resource.RLIMIT_CORE)[0] == 0
            assert resource.getrlimit(resource.RLIMIT_CPU)[0] == 2
            assert resource.getrlimit(resource.RLIMIT_AS)[0] == 1 << 30
            assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
            return x
    """
    verdict = run(pool, code)
    assert verdict.passed, messages(verdict)


def test_a_touched_2_gb_allocation_is_a_memory_error_on_a_prestarted_worker(pool):
    code = "import numpy as np\ndef f(x):\n    big = np.ones(2 * 1024**3 // 8)\n    return x + big[:3]\n"
    verdict = run(pool, code)
    assert verdict.results[0].message.startswith("MemoryError"), messages(verdict)


def test_the_wall_clock_stops_a_sleep_on_a_prestarted_worker(pool):
    verdict = run(pool, "import time\ndef f(x):\n    time.sleep(60)\n")
    assert "took longer than 1 s" in verdict.results[0].message


def test_a_setsid_grandchild_of_a_prestarted_worker_is_ended(pool, tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    verdict = run(pool, setsid_grandchild(pid_file))
    assert verdict.passed, messages(verdict)
    assert not _alive(int(pid_file.read_text()))


def test_grade_without_a_pool_is_a_cold_start_and_leaves_no_worker():
    before = exercise.POOL.started
    verdict = exercise.grade(SOFTMAX, textwrap.dedent(GOOD), FAST)
    assert verdict.passed, messages(verdict)
    assert exercise.POOL.started == before + 1
    assert exercise.POOL._waiting is None, "without prestart() nothing waits"
