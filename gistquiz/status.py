"""A card's state as the learner sees it: new, learning, review, suspended or buried, a leech or not, and
when it is due. Browse shows it, its ``is:`` filters test it (as Anki's search does), the review names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gistquiz.scheduler import CardState, State

FILTERS = ("new", "learning", "review", "due", "suspended", "buried", "leech")
"""The names after ``is:`` in a search; ``learn`` is ``learning``, as in Anki."""
ALIASES = {"learn": "learning"}


@dataclass(frozen=True)
class Status:
    schedule: str
    """``new``, ``learning`` (relearning too) or ``review``."""
    suspended: bool
    buried: bool
    leech: bool
    due: datetime | None
    """When the schedule wants the card again (``None`` for a new card)."""
    is_due: bool
    """Due before the study day ends and neither suspended nor buried: in today's queue, limits allowing."""

    @property
    def label(self) -> str:
        """One word, or two for a leech: what hides the card first, else its schedule (``suspended, leech``)."""
        name = "suspended" if self.suspended else "buried" if self.buried else self.schedule
        return f"{name}, leech" if self.leech else name

    def matches(self, name: str) -> bool:
        """Whether ``is:NAME`` finds this card (``NAME`` one of :data:`FILTERS`)."""
        if name == "due":
            return self.is_due
        if name in ("suspended", "buried", "leech"):
            return getattr(self, name)
        return self.schedule == name


def status(state: CardState | None, now: datetime, day_end: datetime) -> Status:
    """The status of a card with stored ``state`` (``None``: never answered nor flagged) at ``now``."""
    if state is None:
        return Status("new", False, False, False, None, False)
    schedule = {State.NEW: "new", State.REVIEW: "review"}.get(state.state, "learning")
    # As the queue judges it: a bury lasts until the next study day (a later date came from a clock ahead).
    buried = state.buried_until is not None and now < state.buried_until <= day_end
    due = state.due if state.state != State.NEW else None
    is_due = due is not None and due < day_end and not state.suspended and not buried
    return Status(schedule, state.suspended, buried, state.leech, due, is_due)
