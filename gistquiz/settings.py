"""The user's settings: a small TOML file in the data folder, every key optional.

Example ``settings.toml``::

    desired_retention = 0.9      # FSRS's target recall probability (0.7 .. 0.99)
    new_per_day = 20             # new cards introduced per day
    exercise_new_per_day = 3     # new exercise cards per day (a limit of their own: each takes minutes)
    reviews_per_day = 200        # review cards shown per day
    learning_steps = ["1m", "10m"]
    relearning_steps = ["10m"]
    maximum_interval = 36500     # days
    leech_threshold = 8          # lapses before a card is suspended as a leech
    day_starts_at = 4            # local hour when "today" begins, as in Anki
    fuzz = true                  # spread review intervals a little
    quiz_updates_schedule = false  # whether quiz answers count as reviews
    type_cloze_answers = false   # cloze cards ask you to type the hidden words (else Space reveals)
    bundled_decks = true         # load the decks that ship with gistquiz
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

from gistquiz.errors import UserError, not_utf8

_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class Settings(NamedTuple):
    """The learner's ``settings.toml``, with every value it leaves out at its default."""

    desired_retention: float = 0.9
    new_per_day: int = 20
    exercise_new_per_day: int = 3
    reviews_per_day: int = 200
    learning_steps: tuple[str, ...] = ("1m", "10m")
    relearning_steps: tuple[str, ...] = ("10m",)
    maximum_interval: int = 36500
    leech_threshold: int = 8
    day_starts_at: int = 4
    fuzz: bool = True
    quiz_updates_schedule: bool = False
    type_cloze_answers: bool = False
    bundled_decks: bool = True

    def steps(self, which: str) -> tuple[timedelta, ...]:
        return tuple(parse_step(s) for s in getattr(self, which))

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


_RANGES: dict[str, tuple[float, float]] = {
    "desired_retention": (0.7, 0.99),
    "new_per_day": (0, 9999),
    "exercise_new_per_day": (0, 999),
    "reviews_per_day": (0, 99999),
    "maximum_interval": (1, 36500),
    "leech_threshold": (1, 999),
    "day_starts_at": (0, 23),
}


def parse_step(text: str) -> timedelta:
    m = _STEP.match(text)
    if not m:
        raise UserError(f"bad step '{text}': write a number and a unit, e.g. '10m', '1h' or '1d'")
    return timedelta(**{_UNIT[m.group(2)]: float(m.group(1))})


def validate(raw: dict[str, Any], where: str = "settings") -> Settings:
    """Settings from a mapping; every problem raises a one-line :class:`UserError`."""
    known = Settings._fields
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise UserError(f"{where}: unknown setting '{key}' (known: {', '.join(known)})")
        default = getattr(Settings(), key)
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UserError(f'{where}: \'{key}\' must be a list of steps like ["1m", "10m"]')
            for step in value:
                parse_step(step)
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise UserError(f"{where}: '{key}' must be true or false")
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise UserError(f"{where}: '{key}' must be a whole number")
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UserError(f"{where}: '{key}' must be a number")
            value = float(value)
        if key in _RANGES:
            low, high = _RANGES[key]
            if not low <= value <= high:
                raise UserError(f"{where}: '{key}' must be between {low} and {high}, got {value}")
        values[key] = value
    return Settings(**values)


def load(path: Path) -> Settings:
    """The settings in ``path``, or the defaults when the file does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as err:
        raise UserError(f"{path}: cannot read: {err.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line, problem = not_utf8(data, err)
        raise UserError(f"{path}:{line}: {problem}: save it as UTF-8, or delete it to use the defaults") from None
    import tomllib  # here, not at the top: a new learner has no settings file, and the first screen waits on this

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"{path}: {err}") from None
    return validate(raw, str(path))


def write_number(path: Path, key: str, value: float) -> None:
    """Set ``key = value`` in the settings file, editing only that line (the user's comments and layout stay).

    The value is checked first, and the file must read back as valid settings after the edit, or it is
    left as it was.
    """
    validate({key: value}, str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    line = re.compile(rf"^(\s*{re.escape(key)}\s*=\s*)[^#\n]*?(\s*(?:#.*)?)$", re.MULTILINE)
    new, n = line.subn(lambda m: f"{m.group(1)}{value}{m.group(2)}", text, count=1)
    if n == 0:  # a top-level key must come before the first [table]
        new = f"{key} = {value}\n" + text
    import tomllib

    validate(tomllib.loads(new), str(path))
    path.write_text(new, encoding="utf-8")
