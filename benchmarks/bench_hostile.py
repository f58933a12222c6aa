"""Parse hostile decks: seconds per MiB of each shape beside a valid deck of the same size.

    python benchmarks/bench_hostile.py [--mib 1] [--repeat 7]

Each shape once took time quadratic in its size (issue 22): 10,000 cards each with a fenced code block,
20,000 unclosed ``<!--``, 100,000 near-miss ``{{c1:x``, 10,000 lines of unclosed comments in a
description. A valid deck of about the same size (``bench_core.make_deck``) is the anchor, parsed
interleaved with the shape (A B A B) so that both see the same machine; the table gives the medians,
the IQR and the hostile/valid ratio, then the scaling ratio t(4n)/t(n) (best of 5; 4 is linear, 16
quadratic). The inputs are generated in memory; nothing is written.

``SHAPES`` is imported by ``tests/test_deck_hostile.py`` for the same-run scaling test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gistquiz.deck import parse_deck

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import make_deck  # noqa: E402

SHAPES: dict[str, Callable[[int], str]] = {
    # n cards, each with a fenced code block: a valid deck, every card must parse.
    "fenced_cards": lambda n: "# Code\n\n" + "".join(f"## Q{i}\n\n```\ncode {i}\n```\n\n" for i in range(n)),
    # n unclosed comment openers in a card's body.
    "unclosed_comments": lambda n: "# T\n\n## Q\n\nA\n" + "<!-- x\n" * n,
    # n near-miss clozes (one colon): n errors.
    "near_miss_clozes": lambda n: "# T\n\n## Q\n\n" + "{{c1:x\n" * n,
    # n lines of unclosed comments in the deck's description.
    "description_comments": lambda n: "# T\n" + "<!-- line\n" * n + "## Q\n\nA\n",
    # A comment opened in a heading and n lines of unclosed comments after it.
    "heading_comments": lambda n: "# T\n\n## Q <!--\n" + "<!-- line\n" * n,
}

SCALE = {
    "fenced_cards": 2_500,
    "unclosed_comments": 20_000,
    "near_miss_clozes": 25_000,
    "description_comments": 10_000,
    "heading_comments": 10_000,
}
"""The issue's sizes (the 4n step of the scaling test reaches or passes them)."""


def parse_seconds(text: str) -> float:
    """CPU seconds of one parse: the parse is single-threaded, and CPU time leaves out the time other
    processes on a busy machine take the core (with 8 processes on 2 cores wall time varied 2x)."""
    start = time.process_time()
    parse_deck(text, "hostile.md", known_demos=set())
    return time.process_time() - start


def scaling_ratio(shape: Callable[[int], str], n: int, repeat: int = 5) -> float:
    """t(4n)/t(n), each the best of ``repeat``, measured interleaved."""
    small, large = shape(n), shape(4 * n)
    best_small = best_large = float("inf")
    for _ in range(repeat):
        best_small = min(best_small, parse_seconds(small))
        best_large = min(best_large, parse_seconds(large))
    return best_large / best_small


def of_size(shape: Callable[[int], str], target_bytes: int) -> str:
    """The shape with n grown until the text is about ``target_bytes``."""
    n = 1_000
    while len(text := shape(n).encode()) < target_bytes:
        n = max(n + 1, int(n * target_bytes / len(text)) + 1)
    return text.decode()


def valid_of_size(target_bytes: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "valid.md"
        make_deck(path, max(1, target_bytes // 60))
        return path.read_text()[:target_bytes].rsplit("\n## ", 1)[0] + "\n"


def quartiles(xs: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=float, default=1.0, help="size of each input (default 1)")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    target = int(args.mib * 2**20)
    valid = valid_of_size(target)
    print(f"valid anchor: {len(valid.encode()) / 2**20:.2f} MiB, repeats {args.repeat}, interleaved")
    print(
        f"{'shape':22s} {'MiB':>5s} {'s/MiB':>8s} {'IQR':>17s} {'valid s/MiB':>12s} {'ratio':>6s} {'t(4n)/t(n)':>10s}"
    )
    for name, shape in SHAPES.items():
        text = of_size(shape, target)
        mib_h, mib_v = len(text.encode()) / 2**20, len(valid.encode()) / 2**20
        hostile_t: list[float] = []
        valid_t: list[float] = []
        for _ in range(args.repeat):
            hostile_t.append(parse_seconds(text) / mib_h)
            valid_t.append(parse_seconds(valid) / mib_v)
        h, v = statistics.median(hostile_t), statistics.median(valid_t)
        lo, hi = quartiles(hostile_t)
        ratio4 = scaling_ratio(shape, SCALE[name])
        print(f"{name:22s} {mib_h:5.2f} {h:8.4f} [{lo:7.4f}, {hi:7.4f}] {v:12.4f} {h / v:6.2f} {ratio4:10.2f}")


if __name__ == "__main__":
    main()
