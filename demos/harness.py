"""The contract every demo follows, and the command line that runs one.

A demo module in this folder has:

- a docstring whose first line states the claim it demonstrates;
- ``PARAMS``: a list of :class:`Param` (name, default, range, help) that the
  command line, the app's parameter form and ``run`` all validate with;
- ``run(p, seed, progress)`` under ``@takes(PARAMS)``: it receives the checked
  parameters (defaults filled in) and returns a :class:`Result` dataclass, which
  the decorator stamps with those parameters and the seed; callers write
  ``run(seed=0, progress=None, **params)`` with any of the parameters;
- ``report(result) -> Report``: the headline numbers, curves, tables and small
  images of a result, in a form a terminal or the app can draw (:func:`main`
  stamps the demo's name, claim, parameters and seed on it);
- at the bottom: ``if __name__ == "__main__": raise SystemExit(main(sys.modules[__name__]))``.

This module imports only the standard library, so that ``--help`` and
parameter errors are instant and a learner can copy the folder anywhere.

The ``--jsonl`` mode is the wire format the gistquiz app reads from a child
process: one JSON object per line, ``{"type": "progress", ...}`` while the demo
runs and a final ``{"type": "result", ...}`` (or ``{"type": "error", ...}``).
"""

from __future__ import annotations

import argparse
import codecs
import ctypes
import functools
import json
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

Progress = Callable[..., None]
"""``progress(step, total, **info)``: called while a demo runs (info: loss, accuracy, message...)."""


class ParamError(ValueError):
    """A demo parameter is unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class Param:
    """One tunable parameter of a demo."""

    name: str
    default: Any
    help: str
    low: float | None = None
    """Inclusive lower bound (numbers only)."""
    high: float | None = None
    """Inclusive upper bound (numbers only)."""
    choices: tuple[Any, ...] | None = None
    """The allowed values, for a parameter that picks one of a few options."""

    @property
    def type(self) -> type:
        return type(self.default)

    def parse(self, raw: Any) -> Any:
        """Convert ``raw`` (a string from a command line or form, or a value) and check it."""
        value = raw
        if isinstance(raw, str) and self.type is not str:
            text = raw.strip()
            try:
                if self.type is bool:
                    if text.lower() not in {"true", "false", "yes", "no", "1", "0", "on", "off"}:
                        raise ValueError
                    value = text.lower() in {"true", "yes", "1", "on"}
                elif self.type is int:
                    value = int(text)
                else:
                    value = float(text)
            except ValueError:
                raise ParamError(f"{self.name}: expected {self.type.__name__}, got {raw!r}") from None
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.type) or (self.type is int and isinstance(value, bool)):
            raise ParamError(f"{self.name}: expected {self.type.__name__}, got {value!r}")
        if self.type is float and not math.isfinite(value):
            raise ParamError(f"{self.name}: expected a finite number, got {value!r}")
        if self.choices is not None and value not in self.choices:
            options = ", ".join(map(str, self.choices))
            raise ParamError(f"{self.name}: must be one of {options}, got {value!r}")
        if self.low is not None and value < self.low:
            raise ParamError(f"{self.name}: must be >= {self.low}, got {value!r}")
        if self.high is not None and value > self.high:
            raise ParamError(f"{self.name}: must be <= {self.high}, got {value!r}")
        return value

    def describe_range(self) -> str:
        if self.choices is not None:
            return " | ".join(map(str, self.choices))
        if self.low is None and self.high is None:
            return ""
        return f"{'' if self.low is None else self.low} .. {'' if self.high is None else self.high}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "default": self.default,
            "type": self.type.__name__,
            "low": self.low,
            "high": self.high,
            "choices": list(self.choices) if self.choices is not None else None,
            "help": self.help,
        }


def resolve_params(params: Sequence[Param], given: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overridden by ``given``, every value parsed and checked.

    Raises
    ------
    ParamError
        For an unknown name or a bad value, with a one-line message.
    """
    by_name = {p.name: p for p in params}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        known = ", ".join(by_name) or "none"
        raise ParamError(f"unknown parameter {unknown[0]!r} (known: {known})")
    return {p.name: p.parse(given[p.name]) if p.name in given else p.default for p in params}


def seed_param(seed: Any) -> int:
    """Check a seed the same way a parameter is checked."""
    return Param("seed", 0, "random seed", low=0, high=2**32 - 1).parse(seed)


@dataclass(kw_only=True)
class Result:
    """What every demo's result carries besides its own numbers (filled in by :func:`takes`)."""

    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0


def takes(params: Sequence[Param]) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    """Turn ``run(p, seed, progress)`` into ``run(seed=0, progress=None, **given)``.

    The returned function fills in defaults, checks every value and the seed
    (a :class:`ParamError` for a bad one) and stamps them on the result, so a
    demo's ``run`` starts at the lesson.
    """

    def decorate(run: Callable[..., Result]) -> Callable[..., Result]:
        @functools.wraps(run)
        def checked(seed: Any = 0, progress: Progress | None = None, **given: Any) -> Result:
            p = resolve_params(params, given)
            seed = seed_param(seed)
            result = run(p, seed, progress)
            result.params, result.seed = p, seed
            return result

        return checked

    return decorate


# --------------------------------------------------------------------------- report


@dataclass
class Series:
    """One curve: ``y`` against ``x``."""

    x: list[float]
    y: list[float]


@dataclass
class Plot:
    """A chart drawing some of the report's series against one x axis."""

    title: str
    series: list[str]
    xlabel: str = ""
    ylabel: str = ""
    log_x: bool = False
    log_y: bool = False
    scatter: bool = False
    """Draw points, not lines (a 2-D projection, one series per class)."""


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]
    percent: list[str] = field(default_factory=list)
    """Columns of fractions shown as percentages, as the headline writes them (0.8 reads "80.0%")."""

    def __post_init__(self) -> None:
        unknown = [c for c in self.percent if c not in self.columns]
        if unknown:  # a misspelt name would silently leave a column of fractions
            raise ValueError(f"table {self.title!r}: percent names {unknown}, not among its columns")


@dataclass
class Image:
    """A small grayscale picture (or heat map) drawn with half-block characters.

    ``pixels`` is a list of rows; values are mapped linearly from
    ``[vmin, vmax]`` (default: the data range) to dark..light. Images that share
    a ``group`` are drawn side by side.
    """

    title: str
    pixels: list[list[float]]
    group: str = ""
    vmin: float | None = None
    vmax: float | None = None
    labels: bool = False
    """Write each value in its cell (a confusion matrix), instead of a picture."""


@dataclass
class Report:
    """What a demo shows: the same data for a terminal, ``--json`` and the app."""

    demo: str = ""
    """Stamped by :func:`main`, as are ``claim``, ``params`` and ``seed``."""
    claim: str = ""
    headline: str = ""
    """One sentence with the measured result, e.g. "batch norm reached 90% in 140 steps"."""
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    metrics: dict[str, float | int | None] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    plots: list[Plot] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "demo": self.demo,
            "claim": self.claim,
            "headline": self.headline,
            "params": self.params,
            "seed": self.seed,
            "metrics": {k: _json_number(v) for k, v in self.metrics.items()},
            "series": {
                k: {"x": [_json_number(v) for v in s.x], "y": [_json_number(v) for v in s.y]}
                for k, s in self.series.items()
            },
            "plots": [vars(p) for p in self.plots],
            "tables": [
                {
                    "title": t.title,
                    "columns": t.columns,
                    "rows": [[_json_value(v) for v in r] for r in t.rows],
                    "percent": t.percent,
                }
                for t in self.tables
            ],
            "images": [
                {**vars(im), "pixels": [[_json_number(v) for v in row] for row in im.pixels]} for im in self.images
            ],
            "notes": self.notes,
            "elapsed_s": round(self.elapsed_s, 4),
        }


def _json_number(v: Any) -> float | int | None:
    """Plain Python numbers; NaN and infinities become ``None`` so the JSON stays valid."""
    if v is None:
        return None
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") in "iu"):
        return int(v)
    f = float(v)
    return f if math.isfinite(f) else None


def _json_value(v: Any) -> Any:
    if isinstance(v, str) or v is None:
        return v
    try:
        return _json_number(v)
    except (TypeError, ValueError):
        return str(v)


def fmt(v: Any, missing: str = "-", percent: bool = False) -> str:
    """A number as a report shows it: 4 decimals without trailing zeros, 3 significant digits when tiny or huge.

    ``percent`` writes a fraction as the headlines do (``f"{v:.1%}"``), so a table and its headline agree.
    """
    if v is None:
        return missing
    if percent and isinstance(v, int | float) and not isinstance(v, bool):
        return f"{v:.1%}"
    if isinstance(v, float):
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.3g}"
        return f"{v:.4f}".rstrip("0").rstrip(".")
    return str(v)


def decade_ticks(low: float, high: float, most: int = 6) -> tuple[list[float], list[str]]:
    """Powers of ten spanning [low, high] labelled ``1e-20``: plotext's own log ticks print every digit."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    step = max(1, math.ceil((last - first) / most))
    powers = range(first, last + 1, step)
    return [10.0**k for k in powers], [f"1e{k}" if k else "1" for k in powers]


def claim_of(module: ModuleType) -> str:
    """The first line of a demo's docstring: the claim it demonstrates."""
    return (module.__doc__ or "").strip().splitlines()[0].strip() if module.__doc__ else ""


def demo_name(module: ModuleType) -> str:
    return module.__name__.rsplit(".", 1)[-1] if module.__name__ != "__main__" else _script_name(module)


def _script_name(module: ModuleType) -> str:
    from pathlib import Path

    return Path(getattr(module, "__file__", "demo")).stem


# --------------------------------------------------------------------------- command line


def build_parser(module: ModuleType) -> argparse.ArgumentParser:
    name = demo_name(module)
    parser = argparse.ArgumentParser(
        prog=f"python demos/{name}.py",
        description=claim_of(module),
        epilog="Parameters out of range are refused with exit code 2.",
    )
    parser.add_argument("--seed", default="0", help="random seed (default: 0)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument(
        "--jsonl", action="store_true", help="stream progress and the result as JSON lines (used by the app)"
    )
    parser.add_argument("--list-params", action="store_true", help="print the parameter table as JSON and exit")
    for p in module.PARAMS:
        rng = p.describe_range()
        parser.add_argument(
            f"--{p.name.replace('_', '-')}",
            dest=p.name,
            default=None,
            metavar=p.type.__name__.upper(),
            help=f"{p.help} (default: {p.default}{'; ' + rng if rng else ''})",
        )
    return parser


def main(module: ModuleType, argv: Sequence[str] | None = None) -> int:
    """Run ``module`` as a command: parse, validate, run, print. Returns the exit code."""
    parser = build_parser(module)
    args = parser.parse_args(argv)
    name = demo_name(module)
    given = {p.name: getattr(args, p.name) for p in module.PARAMS if getattr(args, p.name) is not None}
    try:
        params = resolve_params(module.PARAMS, given)
        seed = seed_param(args.seed)
    except ParamError as err:
        if args.jsonl:
            _emit({"type": "error", "kind": "params", "message": str(err)})
        print(f"{name}: {err}", file=sys.stderr)
        return 2
    if args.list_params:
        print(json.dumps([p.to_dict() for p in module.PARAMS]))
        return 0

    if args.jsonl:
        progress: Progress = _jsonl_progress
    elif args.json:
        progress = _silent_progress
    else:
        progress = _stderr_progress
    keep_freed_memory()  # a training step's arrays reuse the last step's memory, as PyTorch's would
    start = time.perf_counter()
    result = module.run(seed=seed, progress=progress, **params)
    rep = module.report(result)
    rep.demo, rep.claim, rep.params, rep.seed = name, claim_of(module), params, seed
    rep.elapsed_s = time.perf_counter() - start
    if not args.jsonl and not args.json:
        print(file=sys.stderr, end="\r\033[K" if sys.stderr.isatty() else "")
    if args.jsonl:
        _emit({"type": "result", "result": rep.to_dict()})
        return 0
    if args.json:
        return write_stdout(name, json.dumps(rep.to_dict()))
    from textreport import render_text  # only the human report needs it

    return write_stdout(name, render_text(rep, color=sys.stdout is not None and sys.stdout.isatty() and _shows("▀")))


# --------------------------------------------------------------------------- the process

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>
MMAP_THRESHOLD_MAX = 32 * 2**20  # glibc's own ceiling on 64-bit systems


def keep_freed_memory(trim_mib: int = 256) -> bool:
    """Keep freed memory in the process for the next array of the same size; True if it applied.

    A training step allocates the same arrays every time: a batch's activations, their gradients,
    im2col's columns. glibc's ``malloc`` hands an array above its mmap threshold (128 KiB at start)
    straight to the kernel with ``mmap`` and gives it back at ``free``, so the next step's array
    touches fresh pages, a page fault per 4 KiB: the tiny CNN's test pass over 360 images took 1,470
    of them, and its max-pool 1.4 ms instead of 0.25 (``benchmarks/bench_numpy_vs_torch.py``).

    This raises the thresholds (what ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` in the
    environment would do): arrays up to 32 MiB come from the heap, and up to ``trim_mib`` MiB of freed
    memory stays there. It applies to the whole process, PyTorch's tensors too; without glibc it does
    nothing. :func:`main` calls it before a demo runs.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the symbols already loaded: the C library's
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and bool(mallopt(M_TRIM_THRESHOLD, trim_mib * 2**20))


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


_last_emit = 0.0


def _jsonl_progress(step: int, total: int, **info: Any) -> None:
    # At most ~20 lines a second: the app redraws a progress bar, not a log.
    global _last_emit
    now = time.monotonic()
    if step < total and now - _last_emit < 0.05:
        return
    _last_emit = now
    _emit({"type": "progress", "step": step, "total": total, **{k: _json_value(v) for k, v in info.items()}})


def _silent_progress(step: int, total: int, **info: Any) -> None:
    pass


def _stderr_progress(step: int, total: int, **info: Any) -> None:
    if not sys.stderr.isatty():
        return
    extra = "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in info.items())
    sys.stderr.write(f"\r\033[K{step}/{total}  {extra}")
    sys.stderr.flush()


# --------------------------------------------------------------------------- the printing edge
# Like a Unix tool: a closed pipe (``| head -1``) ends quietly with 141, the status a shell reports for
# SIGPIPE; any other failed write is one line and 1; characters the terminal's encoding cannot show
# get an ASCII stand-in. (gistquiz's own commands do the same in gistquiz/textout.py; the demos import
# only the standard library, so they keep their own copy of the few lines.)

EXIT_PIPE = 141


def write_stdout(name: str, text: str) -> int:
    """Print ``text`` and return the exit status."""
    if sys.stdout is None:  # ``>&-``
        print(f"{name}: cannot write the report: standard output is closed", file=sys.stderr)
        return 1
    try:
        sys.stdout.reconfigure(errors="demo-ascii")
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        _drain_to_devnull()
        return EXIT_PIPE
    except OSError as err:
        _drain_to_devnull()
        print(f"{name}: cannot write the report: {err.strerror}", file=sys.stderr)
        return 1
    return 0


def _shows(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _drain_to_devnull() -> None:
    """Point fd 1 at /dev/null so the interpreter's last flush of the buffered rest cannot fail."""
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, sys.stdout.fileno())
    os.close(fd)


_ASCII = {"→": "->", "←": "<-", "−": "-", "–": "-", "—": "--", "×": "x", "·": ".", "≈": "~", "°": " deg"}


def _ascii(ch: str) -> str:
    """A stand-in for a character the terminal cannot show: plots' box lines and braille, symbols, '?'."""
    import unicodedata

    name = unicodedata.name(ch, "")
    if name.startswith("BOX DRAWINGS"):
        return "-" if "HORIZONTAL" in name and "VERTICAL" not in name else "|" if "VERTICAL" in name else "+"
    if name.startswith("BRAILLE PATTERN"):
        return " " if ch == "\u2800" else "*"
    if name.startswith("GREEK") and " LETTER " in name:
        return name.rsplit(" ", 1)[-1].lower().replace("lamda", "lambda")
    return _ASCII.get(ch, "?")


def _fallback(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    return "".join(_ascii(ch) for ch in err.object[err.start : err.end]), err.end


codecs.register_error("demo-ascii", _fallback)
