"""A demo's parameters as the app's form sees them, validated by the demos' own rules.

The rules live in ``demos/harness.py`` (the ``Param`` class every demo uses);
it imports only the standard library, so it is loaded from the demos folder
here instead of being copied, and the form refuses exactly what the demo would.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any


@cache
def harness(folder: Path) -> ModuleType:
    path = folder / "harness.py"
    spec = importlib.util.spec_from_file_location("gistquiz_demo_harness", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def param(spec: dict[str, Any], folder: Path) -> Any:
    """The demo's own ``Param`` for ``spec`` (one entry of ``--list-params``)."""
    return harness(folder).Param(
        spec["name"],
        spec["default"],
        spec.get("help", ""),
        low=spec.get("low"),
        high=spec.get("high"),
        choices=tuple(spec["choices"]) if spec.get("choices") is not None else None,
    )


def check(spec: dict[str, Any], raw: str, folder: Path) -> Any:
    """The value of ``raw`` for the parameter described by ``spec`` (from ``--list-params``).

    Raises
    ------
    ValueError
        With the demo's own one-line message for a bad value.
    """
    return param(spec, folder).parse(raw)


def check_seed(raw: str, folder: Path) -> int:
    return harness(folder).seed_param(raw)
