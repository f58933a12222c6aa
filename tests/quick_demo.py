"""A demo small enough for app tests: it counts to n, after a pause (long enough to be seen running).

Written into a test's demos folder (beside a copy of ``demos/harness.py``) as ``quick.py``: :data:`QUICK`
pauses half a second; ``quick(seconds)`` a test that reads the app while the demo runs, on a machine whose
load can stretch a key's handling past half a second.
"""

_SOURCE = '''"""Quick: counting to n gives n."""
import sys, time
from dataclasses import dataclass
from harness import Param, Report, claim_of, main, resolve_params

SECONDS = 0.5
PARAMS = [Param("n", 3, "how far to count", low=1, high=10)]

@dataclass
class Result:
    n: int

def run(seed=0, progress=None, **params):
    p = resolve_params(PARAMS, params)
    time.sleep(SECONDS)  # long enough to be seen running
    return Result(p["n"])

def report(r):
    return Report("quick", claim_of(sys.modules[__name__]), f"counted to {r.n}", {"n": r.n}, 0, {"count": r.n})

if __name__ == "__main__":
    raise SystemExit(main(sys.modules[__name__]))
'''


def quick(seconds: float = 0.5) -> str:
    """The demo's source, pausing ``seconds`` before its result."""
    return _SOURCE.replace("SECONDS = 0.5", f"SECONDS = {seconds!r}")


QUICK = quick()
