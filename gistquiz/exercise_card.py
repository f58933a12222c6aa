"""An exercise as its deck states it: the starter code, the tests that grade it, a model solution.

Apart from :mod:`gistquiz.exercise`, which runs and grades the learner's code: a deck read back from the parse
cache makes one of these per exercise card, and the first screen's deck table should not wait on importing
the grading machinery (3 ms of it, in a new process).
"""

from __future__ import annotations

from typing import NamedTuple


class Exercise(NamedTuple):
    """What an exercise card holds: the code the learner starts from, the tests that grade it, and a solution
    if the deck gives one."""

    starter: str
    tests: str
    solution: str = ""
    tests_line: int = 0
    """Line of the tests block in the deck file (for messages)."""

    @property
    def test_names(self) -> list[str]:
        from gistquiz.exercise import test_names

        return test_names(self.tests)

    @property
    def functions(self) -> list[str]:
        """The functions the starter asks for: what the tests may call."""
        from gistquiz.exercise import defined_functions

        return defined_functions(self.starter)
