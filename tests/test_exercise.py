"""Exercise grading: the learner's code in a sandbox, the deck's tests in a harness, a verdict nobody can forge."""

from __future__ import annotations

import textwrap
import time

import pytest
from timing import best_of_interleaved

from gistquiz.exercise import Attempts, Exercise, Limits, TestResult, Verdict, grade, parse_blocks

# Small limits keep the file fast: every stopped run costs its wall clock once per sandbox.
FAST = Limits(wall_seconds=1.0, cpu_seconds=2, memory_bytes=1 << 30)

TESTS = """
def test_rows_sum_to_one():
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0]])
    close(softmax(x).sum(axis=1), np.ones(2), what="row sums")

def test_matches_closed_form():
    x = np.array([[0.0, np.log(3.0)]])  # e^0 : e^log3 = 1 : 3
    close(softmax(x), [[0.25, 0.75]])
"""
SOFTMAX = Exercise("def softmax(x):\n    pass\n", TESTS)
GOOD = """
import numpy as np
def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))  # (N, C)
    return e / e.sum(axis=1, keepdims=True)
"""
NAIVE = """
import numpy as np
def softmax(x):
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)
"""


def run(code: str, exercise: Exercise = SOFTMAX, limits: Limits = FAST) -> Verdict:
    return grade(exercise, textwrap.dedent(code), limits)


def messages(verdict: Verdict) -> str:
    return " | ".join([verdict.error, *(r.message for r in verdict.results)])


def test_right_solution_passes_every_test():
    verdict = run(GOOD)
    assert verdict.passed, messages(verdict)
    assert [r.name for r in verdict.results] == ["test_rows_sum_to_one", "test_matches_closed_form"]
    assert verdict.summary == "2 of 2 tests passed"


def test_overflowing_softmax_fails_with_where_it_is_not_finite():
    verdict = run(NAIVE)
    assert not verdict.passed
    first, second = verdict.results
    assert not first.passed and "row sums: not finite at index (1,)" in first.message
    assert second.passed  # small logits do not overflow: the message is about the one test that failed
    assert verdict.summary == "1 of 2 tests passed"


def test_a_wrong_array_fails_with_max_error_and_first_mismatching_index():
    verdict = run("def softmax(x):\n    return x * 0 + 0.5\n")
    message = verdict.results[1].message
    assert "max abs error 0.25" in message
    assert "first mismatch at index (0, 0)" in message


def test_a_wrong_shape_is_named():
    verdict = run("import numpy as np\ndef softmax(x):\n    return np.ones(3)\n")
    assert "shape (3,), expected (1, 2)" in verdict.results[1].message


def test_a_syntax_error_names_its_line():
    verdict = run("import numpy as np\n\ndef softmax(x)\n    return x\n")
    assert not verdict.passed
    assert all("SyntaxError on line 3 of your code" in r.message for r in verdict.results)


def test_an_exception_in_the_learners_code_names_type_and_line():
    verdict = run("def softmax(x):\n    y = 1\n    return x / undefined_name\n")
    assert not verdict.passed
    assert "NameError (line 3 of your code)" in verdict.results[0].message


def test_an_exception_in_the_tests_is_reported_as_such():
    exercise = Exercise("def f(x):\n    pass\n", "def test_bad():\n    f(1)\n    {}['missing']\n")
    verdict = run("def f(x):\n    return x\n", exercise)
    assert not verdict.passed
    assert "KeyError" in verdict.results[0].message and "while checking your result" in verdict.results[0].message


ONE_TEST = Exercise("def f(x):\n    pass\n", "def test_identity():\n    close(f(np.arange(3.0)), np.arange(3.0))\n")


@pytest.mark.parametrize(
    "code",
    [
        "def f(x):\n    while True:\n        pass\n",
        "import time\ndef f(x):\n    time.sleep(60)\n",
        "import time\ntime.sleep(60)\ndef f(x):\n    return x\n",
        "import sys\ndef f(x):\n    return sys.stdin.read()\n",
    ],
    ids=["endless-loop", "sleep-in-call", "sleep-at-import", "blocked-read"],
)
def test_wall_clock_stops_code_that_uses_no_cpu_or_never_returns(code):
    started = time.monotonic()
    verdict = run(code, ONE_TEST)
    assert not verdict.passed
    assert "took longer than 1 s" in verdict.results[0].message
    assert time.monotonic() - started < 10


def test_a_touched_2_gb_allocation_is_a_memory_error():
    # np.ones writes every page (an untouched np.zeros would allocate nothing and prove nothing).
    code = "import numpy as np\ndef f(x):\n    big = np.ones(2 * 1024**3 // 8)\n    return x + big[:3]\n"
    verdict = run(code, ONE_TEST)
    assert not verdict.passed
    assert verdict.results[0].message.startswith("MemoryError")


def test_an_output_flood_keeps_only_the_last_64_kib():
    code = "import sys\nsys.stdout.write('x' * 30_000_000 + 'END')\ndef f(x):\n    return x\n"
    verdict = run(code, ONE_TEST)
    assert verdict.passed, messages(verdict)
    assert verdict.printed.endswith("END")
    assert len(verdict.printed.encode()) <= 64 * 1024


FORGERIES = {
    "prints-a-verdict": """
        import json
        print(json.dumps({"nonce": "0" * 32, "results": [{"name": "test_identity", "passed": True}]}))
        def f(x):
            return None
    """,
    "exit-0-at-import": "import os\nos._exit(0)\n",
    "exit-0-in-call": "import os\ndef f(x):\n    os._exit(0)\n",
    "sys-exit-at-import": "import sys\nsys.exit(0)\n",
    "patches-numpy": """
        import numpy as np
        np.isclose = lambda *a, **k: np.ones(1, bool)
        np.allclose = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        def f(x):
            return x * 0
    """,
    "always-equal-object": """
        class Same:
            def __eq__(self, other):
                return True
            def __array__(self, dtype=None, copy=None):
                raise RuntimeError
        def f(x):
            return Same()
    """,
    "ndarray-subclass": """
        import numpy as np
        class Liar(np.ndarray):
            def __eq__(self, other):
                return np.ones(np.shape(other), bool)
        def f(x):
            return (x * 0).view(Liar)
    """,
    "deletes-and-overwrites-names": """
        import builtins
        builtins.AssertionError = type("Nothing", (Exception,), {})
        builtins.print = None
        del builtins.isinstance
        close = lambda *a, **k: None
        test_identity = lambda: None
        def f(x):
            return x * 0
    """,
    "writes-to-every-descriptor": """
        import os, json
        fake = json.dumps({"nonce": "0" * 32, "results": [{"name": "test_identity", "passed": True}]})
        for fd in range(3, 64):
            try:
                os.write(fd, fake.encode())
            except OSError:
                pass
        def f(x):
            return x * 0
    """,
    "kills-its-parent": """
        import os, signal
        def f(x):
            os.kill(os.getppid(), signal.SIGKILL)
            return x
    """,
}


@pytest.mark.parametrize("code", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_verdicts_grade_as_fails(code):
    verdict = run(code, ONE_TEST)
    assert not verdict.passed, messages(verdict)


def test_a_short_or_foreign_verdict_is_a_fail():
    from gistquiz.exercise import _verdict

    names = ["test_a", "test_b"]
    one = b'{"nonce": "n", "results": [{"name": "test_a", "passed": true}]}'
    assert "ran 1 of 2" in _verdict(one, "n", names, "", 0).error
    assert "did not come from this run" in _verdict(one, "other", names, "", 0).error
    assert not _verdict(b"", "n", names, "", 0).passed
    assert not _verdict(b'{"nonce": "n", "results": []}', "n", [], "", 0).passed  # no test ran: no pass


def setsid_grandchild(pid_file) -> str:
    """Code whose call forks a grandchild that leaves the sandbox's process group and sleeps."""
    return f"""
        import os, time
        def f(x):
            if os.fork() == 0:
                os.setsid()  # leaves the sandbox's process group
                if os.fork() == 0:
                    open({str(pid_file)!r}, "w").write(str(os.getpid()))
                    time.sleep(600)
                os._exit(0)
            while not os.path.exists({str(pid_file)!r}):
                time.sleep(0.01)
            time.sleep(0.05)
            return x
    """


def test_a_setsid_grandchild_is_ended(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    verdict = run(setsid_grandchild(pid_file), ONE_TEST)
    assert verdict.passed, messages(verdict)
    pid = int(pid_file.read_text())
    assert not _alive(pid), f"grandchild {pid} outlived the grading"


def _alive(pid: int) -> bool:
    """Running (a zombie that nobody reaped yet is dead: it runs nothing and holds no memory)."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state in ("Z", "X"):
            return False
        time.sleep(0.05)
    return True


def _verdict_of(*passed: bool) -> Verdict:
    return Verdict(tuple(TestResult(f"test_{i}", p) for i, p in enumerate(passed)))


def test_suggested_rating_good_at_first_pass_hard_after_fixes_again_when_revealed():
    assert Attempts([_verdict_of(True)]).suggested_rating() == 3
    assert Attempts([_verdict_of(False), _verdict_of(True, True)]).suggested_rating() == 2
    assert Attempts([_verdict_of(False)], revealed_before_passing=True).suggested_rating() == 1
    assert Attempts([]).suggested_rating() == 1
    assert Attempts([_verdict_of(True, False)]).suggested_rating() == 1
    # Passing after the reveal is copying the solution, not recall.
    assert Attempts([_verdict_of(False), _verdict_of(True)], revealed_before_passing=True).suggested_rating() == 1


BODY = """Write softmax.

```python
def softmax(x):
    pass
```

```python tests
def test_one():
    close(softmax(np.zeros((1, 2))), [[0.5, 0.5]])
```

```python solution
import numpy as np
def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
```

Why the shift: exp(1000) overflows.
"""


def test_parse_blocks_splits_task_starter_tests_solution_and_after():
    task, exercise, after, problems = parse_blocks(BODY, 10)
    assert problems == []
    assert task == "Write softmax."
    assert exercise.starter == "def softmax(x):\n    pass\n"
    assert exercise.test_names == ["test_one"]
    assert exercise.functions == ["softmax"]
    assert "np.exp" in exercise.solution
    assert exercise.tests_line == 17
    assert after == "Why the shift: exp(1000) overflows."


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("Task\n```python\ndef f(): pass\n```\n", 10, "```python tests block"),
        ("Task\n```python tests\ndef test_a(): pass\n```\n", 10, "starter"),
        ("Task\n```python\ndef f(): pass\n```\n```python tests\ndef test_a(): pass\n", 14, "not closed"),
        ("Task\n```python\ndef f(): pass\n```\n```python tests\nx = 1\n```\n", 14, "defines no test"),
        ("Task\n```python\nx = 1\n```\n```python tests\ndef test_a(): pass\n```\n", 11, "defines no function"),
        ("Task\n```python\ndef f(): pass\n```\n```python tests\ndef test_a():\n  if\n```\n", 16, "syntax error"),
        (
            "T\n```python\ndef f(): 0\n```\n```python\ndef g(): 0\n```\n```python tests\ndef test_a(): 0\n```",
            14,
            "second",
        ),
    ],
    ids=["no-tests", "no-starter", "unclosed", "no-test-function", "no-function", "syntax", "two-starters"],
)
def test_parse_blocks_reports_problems_with_deck_lines(body, line, words):
    _, exercise, _, problems = parse_blocks(body, 10)
    assert exercise is None
    assert any(at == line and words in message for at, message in problems), problems


def test_parse_blocks_is_linear_in_the_number_of_fences():
    def body(n: int) -> str:
        return "T\n" + "```python\ndef f(): pass\n```\n" * n + "```python tests\n" * n

    # both bodies larger than a CPU cache (a smaller one runs faster per byte); CPU time, interleaved
    small, large = best_of_interleaved(5, lambda b: parse_blocks(b, 1), body(8000), body(32000))
    assert large / small < 10  # 4x the fences: a linear scan takes ~4x, a quadratic one ~16x


def test_code_in_a_network_namespace_cannot_reach_a_local_server():
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    exercise = Exercise("def f():\n    pass\n", "def test_reach():\n    assert f() == 'refused', f()\n")
    code = f"""
        import socket
        def f():
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=0.5).close()
                return "reached"
            except OSError:
                return "refused"
    """
    verdict = run(code, exercise)
    server.close()
    if not verdict.network_isolated:
        pytest.skip("this kernel does not let an unprivileged process drop the network")
    assert verdict.passed, messages(verdict)


def test_the_work_folder_is_removed_even_when_the_code_kills_the_harness(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the harness's own temp folders land here too
    verdict = run(FORGERIES["kills-its-parent"], ONE_TEST)
    assert not verdict.passed
    assert list(tmp_path.iterdir()) == []
