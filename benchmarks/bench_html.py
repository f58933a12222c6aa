"""The Anki field converter against the standard library's ``html.parser`` on the same inputs.

    python benchmarks/bench_html.py [--repeat 5]

Issue 22 asked whether ``html.parser`` driven once would convert linearly where the hand-written tokenizer
was quadratic. This times our whole conversion (``html_to_markdown``) beside a bare ``HTMLParser`` pass
that only tokenizes (no Markdown is built, so it is a floor for any converter built on it), interleaved,
best of ``--repeat`` in CPU time (a shared machine's wall clock is too noisy), on ordinary fields
and on each hostile shape at n and 4n, and prints t(4n)/t(n).
"""

from __future__ import annotations

import argparse
import time
from html.parser import HTMLParser

from gistquiz.interop.html_md import html_to_markdown

ORDINARY = "<div>The <b>learning rate</b> &eta; sets the step: <code>w -= lr * dw</code><br>see <i>CS231n</i></div>"
SHAPES = {
    "ordinary fields": lambda n: ORDINARY * (n // 100),
    "unclosed tags": lambda n: "<a " * n,
    "one tag of spaces": lambda n: "<a" + " " * (4 * n),
    "comments": lambda n: "<!--" * n,
    "unclosed quotes": lambda n: '<a "' * n + "x" * n,
}


def tokenize(text: str) -> None:
    parser = HTMLParser(convert_charrefs=True)
    parser.feed(text)
    parser.close()


def best(fn, arg, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn(arg)
        times.append(time.process_time() - t)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args(argv)
    print(f"{'input':<20} {'ours n':>9} {'ours 4n':>9} {'ratio':>6} | {'parser n':>9} {'parser 4n':>9} {'ratio':>6}")
    for name, make in SHAPES.items():
        small, large = make(args.n), make(4 * args.n)
        row = []
        for fn in (html_to_markdown, tokenize):
            t_small = t_large = float("inf")
            for _ in range(args.repeat):  # interleaved: n, 4n, n, 4n, ...
                t_small = min(t_small, best(fn, small, 1))
                t_large = min(t_large, best(fn, large, 1))
            row += [t_small, t_large, t_large / t_small]
        print(
            f"{name:<20} {row[0] * 1000:7.1f}ms {row[1] * 1000:7.1f}ms {row[2]:6.1f} | "
            f"{row[3] * 1000:7.1f}ms {row[4] * 1000:7.1f}ms {row[5]:6.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
