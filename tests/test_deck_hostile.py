"""Hostile decks (issue 22): never a traceback, never a hang, never a terminal control sequence."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gistquiz import cloze, library
from gistquiz.deck import parse_deck
from gistquiz.errors import DeckError

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
from bench_hostile import SHAPES, scaling_ratio  # noqa: E402

GOOD = "# Good\n\n## What is 2 + 2?\n\n4\n"
HUGE_CLOZE = "# Bad\n\n## Q\n\nThe {{c" + "9" * 5000 + "::answer}}.\n"


def test_a_cloze_number_of_5000_digits_is_one_error_line():
    deck = parse_deck(HUGE_CLOZE, "bad.md", known_demos=set())
    assert [str(e) for e in deck.errors] == ["bad.md:5: cloze number c999999999999… is too large: use c1 to c9999"]
    assert deck.cards == []


def test_cloze_numbers_up_to_the_bound_parse_and_leading_zeros_do_not_count():
    found = cloze.find("{{c9999::a}} {{c" + "0" * 5000 + "7::b}} {{c10000::c}}")
    assert [d.number for d in found.deletions] == [9999, 7]
    assert [e.message for e in found.errors] == ["cloze number c10000 is too large: use c1 to c9999"]


def test_a_deck_with_a_huge_cloze_number_does_not_stop_the_deck_next_to_it(tmp_path):
    (tmp_path / "a_bad.md").write_text(HUGE_CLOZE)
    (tmp_path / "b_good.md").write_text(GOOD)
    lib = library.load_paths([tmp_path], known_demos=frozenset())
    assert [str(e) for e in lib.errors] == [f"{tmp_path / 'a_bad.md'}:5: {cloze_too_large()}"]
    assert [c.front for c in lib.cards()] == ["What is 2 + 2?"]


def cloze_too_large() -> str:
    return "cloze number c999999999999… is too large: use c1 to c9999"


def test_a_deck_whose_parse_raises_is_one_line_and_the_others_load(tmp_path, monkeypatch):
    """The deck boundary: whatever bug the parser has not met yet stays inside one deck."""
    (tmp_path / "a_bad.md").write_text("# Bad\n\n## Q\n\nThe {{c1::trigger}}.\n")
    (tmp_path / "b_good.md").write_text(GOOD)
    real_find = cloze.find

    def find(text, *args, **kwargs):
        if "trigger" in text:
            int("9" * 5000)  # the ValueError the parser raised before its numbers were bounded
        return real_find(text, *args, **kwargs)

    monkeypatch.setattr(cloze, "find", find)
    lib = library.load_paths([tmp_path], known_demos=frozenset())
    (error,) = lib.errors
    assert error.path == str(tmp_path / "a_bad.md") and error.line == 1
    assert error.message.startswith("gistquiz could not read this deck (ValueError: Exceeds the limit")
    assert error.message.endswith("please report it with the file") and len(str(error)) < 400
    assert [c.front for c in lib.cards()] == ["What is 2 + 2?"]


@pytest.mark.parametrize("name", list(SHAPES))
def test_hostile_shapes_parse_in_time_linear_in_their_size(name):
    """t(4n)/t(n), best of 5, same run: 4 when linear, 16 when quadratic; 8 leaves room for noise."""
    n = {"fenced_cards": 2_500, "near_miss_clozes": 25_000}.get(name, 50_000)
    ratio = scaling_ratio(SHAPES[name], n)
    assert ratio < 8, f"{name}: t(4n)/t(n) = {ratio:.1f}"


def test_a_valid_deck_of_fenced_cards_parses_completely():
    deck = parse_deck(SHAPES["fenced_cards"](10_000), "code.md", known_demos=set())
    assert deck.errors == [] and len(deck.cards) == 10_000
    assert deck.cards[-1].back == "```\ncode 9999\n```"


def test_unclosed_and_closed_comments_are_stripped_as_before():
    text = "# T\n<!-- a\nb --> kept <!-- x --> too <!-- open\n## Q\n\nA <!-- c\n-->B <!-- d\n"
    deck = parse_deck(text, "d.md", known_demos=set())
    assert deck.description == "kept  too <!-- open"
    assert deck.cards[0].back == "A \nB <!-- d"


CONTROLS = "\x00\x07\x08\x0b\x0c\x1b[2J\x7f\x9b\u2028\u2029\u202e"


def test_error_messages_escape_control_characters_from_the_deck():
    text = f"## Q\nid: bad{CONTROLS}id\n\n4\n\n## {{{{c1:{CONTROLS}\n\n{{{{c1:x{CONTROLS}\n"
    deck = parse_deck(text, f"de{CONTROLS}ck.md", known_demos=set())
    shown = "\n".join(str(e) for e in deck.errors)
    assert len(deck.errors) == 2 and shown.count("\n") == 1
    assert not any(c in shown for c in CONTROLS if not c.isprintable())
    assert r"\x00\x07\x08\x0b\x0c\x1b[2J\x7f\x9b\u2028\u2029\u202e" in shown


def test_escaping_leaves_ordinary_text_alone():
    error = DeckError("décks/ü.md", 3, "unknown type 'ŧÿþé' 😀 — tab-free")
    assert str(error) == "décks/ü.md:3: unknown type 'ŧÿþé' 😀 — tab-free"


HOSTILE_PIECES = st.sampled_from(
    [
        "\n",
        "## ",
        "# ",
        "```",
        "~~~",
        "<!--",
        "-->",
        "{{c1::",
        "{{c",
        "}}",
        "::",
        "{{c1:",
        "9" * 5000,
        "- [x] ",
        "- [ ] ",
        "?\n",
        "id: ",
        "tags: ",
        "type: ",
        "demo: ",
        "\r",
        "\ufeff",
        "\x00",
        "\x1b[31m",
        "\u2028",
        "\x0b",
        "\x0c",
        "typed",
        "reversed",
        "cloze",
        "\t",
        " ",
        "a",
        "é",
    ]  # fmt: skip
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(HOSTILE_PIECES, st.text(max_size=5)), max_size=60).map("".join))
def test_hostile_text_gives_deck_errors_never_an_exception(text):
    deck = parse_deck(text, "hostile.md", known_demos={"tiny_cnn"})
    for e in deck.errors:
        assert isinstance(e, DeckError)
        assert "\n" not in str(e) and "\x1b" not in str(e) and "\x00" not in str(e)
    for c in deck.cards:
        if c.kind == "cloze":
            assert cloze.answers(c.cloze_text, c.cloze_index)
