"""The parse cache: an unchanged deck is not parsed again, and a changed one is never served from it.

Each staleness test counts the parses (a spy on ``deck_cache.parse_deck``) and compares the deck the
library returns with a fresh parse of the file as it is now.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gistquiz import deck_cache, library, locations
from gistquiz.deck import Card, Deck, Kind, Option, parse_deck, read_deck
from gistquiz.errors import DeckError
from gistquiz.exercise_card import Exercise

DEMOS = frozenset({"bleu", "tiny_cnn"})

EVERY_KIND = """\
# Every kind

A deck with one card of each kind.

## What is BLEU?
id: bleu-basic
tags: nlp metrics
demo: bleu

An n-gram overlap score.

## Learning rate
type: reversed

The step size of gradient descent.

## Which layer has no weights?

- [ ] Convolution
- [x] Max-pooling

Pooling takes a maximum.

## The metric
type: typed

BLEU | BLEU score
It counts shared n-grams.

## CNN parts
A CNN stacks {{c1::convolution}} and {{c2::pooling::downsampling}}.

## Softmax
type: exercise

Write it.

```python
def softmax(x):
    \"\"\"x: (N, C)\"\"\"
```

```python tests
def test_rows():
    close(softmax(np.zeros((1, 2))), [[0.5, 0.5]])
```

```python solution
import numpy as np

def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
```

## Renamed demo
demo: no_such_demo

A card whose demo is unknown: reported, kept.

## Broken choice

- [ ] no right option
- [ ] here either
"""


def spy_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = deck_cache.parse_deck

    def counting(data, path, **kw):
        calls.append(path)
        return real(data, path, **kw)

    monkeypatch.setattr(deck_cache, "parse_deck", counting)
    return calls


def load(home: Path, names=DEMOS) -> library.Library:
    return library.load(home, known_demos=names, bundled=False)


def fresh(path: Path, names=DEMOS) -> object:
    return read_deck(path, known_demos=names, source="user")


def user_deck(home: Path, text: str, name: str = "deck.md") -> Path:
    path = locations.user_decks_dir(home) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def only_entry(home: Path) -> Path:
    (entry,) = locations.deck_cache_dir(home).glob("*.json")
    return entry


def test_a_cached_deck_is_the_deck_a_parse_makes_every_kind_and_every_problem(gistquiz_home, monkeypatch):
    path = user_deck(gistquiz_home, EVERY_KIND)
    first = load(gistquiz_home).decks
    calls = spy_parses(monkeypatch)
    again = load(gistquiz_home).decks
    assert calls == [] and again == first == [fresh(path)]
    deck = again[0]
    kinds = {c.kind.value for c in deck.cards}
    assert kinds == {"basic", "reversed", "choice", "typed", "cloze", "exercise"}
    assert all(type(c.kind) is type(first[0].cards[0].kind) for c in deck.cards)
    # A broken deck still reports its problems, as file:line, from the cache.
    shown = [str(e) for e in deck.errors]
    assert any(s.startswith(f"{path}:") and "unknown demo 'no_such_demo'" in s for s in shown)
    assert any("multiple choice has no correct option" in s for s in shown)


def test_the_bundled_decks_round_trip_through_the_cache(gistquiz_home, monkeypatch):
    for path in sorted(locations.bundled_decks_dir().glob("*.md")):
        cache = deck_cache.DeckCache(locations.deck_cache_dir(gistquiz_home))
        parsed = read_deck(path, known_demos=DEMOS, source="bundled", cache=cache)
        calls = spy_parses(monkeypatch)
        assert read_deck(path, known_demos=DEMOS, source="bundled", cache=cache) == parsed
        assert calls == [] and parsed == read_deck(path, known_demos=DEMOS, source="bundled")


def test_a_card_with_every_field_set_comes_back_whole():
    # decode() names its columns one by one: a field it forgot, or two it swapped, would show here
    card = Card(
        "d:one", "d", Kind.CHOICE, "front", "back", 7, ("a", "b"), "bleu", (Option("x", True), Option("y", False)),
        "cloze {{c1::x}}", 3, "one", Exercise("starter", "tests", "solution", 9),
    )  # fmt: skip
    assert all(getattr(card, name) != default for name, default in Card._field_defaults.items())
    deck = Deck("d", "Title", "about", "d.md", [card], [DeckError("d.md", 2, "odd")], "user")
    body = json.loads(json.dumps(deck_cache.encode(deck)))
    assert deck_cache.decode(body, "d.md", "user") == deck


def reloaded_once(home: Path, path: Path, monkeypatch: pytest.MonkeyPatch):
    """The one deck the library loads now, asserting it was parsed afresh (once) and is the file's parse."""
    calls = spy_parses(monkeypatch)
    (deck,) = load(home).decks
    assert calls == [str(path)] and deck == fresh(path)
    return deck


def test_an_edit_in_the_same_mtime_tick_and_of_the_same_size_is_parsed(gistquiz_home, monkeypatch):
    path = user_deck(gistquiz_home, "# D\n\n## Question one?\n\nAnswer A.\n")
    load(gistquiz_home)
    before = path.stat()
    path.write_text("# D\n\n## Question one?\n\nAnswer B.\n", encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # the same tick, as on a coarse clock
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert reloaded_once(gistquiz_home, path, monkeypatch).cards[0].back == "Answer B."


def test_a_replaced_file_with_the_old_size_and_mtime_is_parsed(gistquiz_home, monkeypatch):
    path = user_deck(gistquiz_home, "# D\n\n## Question one?\n\nAnswer A.\n")
    load(gistquiz_home)
    st = path.stat()
    other = path.with_name("new.tmp")
    other.write_text("# D\n\n## Question two?\n\nAnswer A.\n", encoding="utf-8")
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, path)
    assert reloaded_once(gistquiz_home, path, monkeypatch).cards[0].front == "Question two?"


def test_a_deleted_deck_is_gone_and_a_new_file_at_its_path_is_parsed(gistquiz_home, monkeypatch):
    path = user_deck(gistquiz_home, "# D\n\n## Question one?\n\nAnswer A.\n")
    load(gistquiz_home)
    path.unlink()
    assert load(gistquiz_home).decks == []
    user_deck(gistquiz_home, "# D\n\n## Question three?\n\nAnswer C.\n")
    assert reloaded_once(gistquiz_home, path, monkeypatch).cards[0].front == "Question three?"


@pytest.mark.parametrize(
    "change",
    [
        ("__version__", "0.0.1"),  # an entry written by an older gistquiz
        ("FORMAT", deck_cache.FORMAT + 1),  # an entry of another layout
        ("parser_hash", lambda: "a parser changed in a checkout, same version"),
    ],
    ids=["gistquiz-version", "format-version", "parser-source"],
)
def test_an_entry_from_another_gistquiz_is_not_used(gistquiz_home, monkeypatch, change):
    path = user_deck(gistquiz_home, EVERY_KIND)
    load(gistquiz_home)
    monkeypatch.setattr(deck_cache, *change)
    calls = spy_parses(monkeypatch)
    assert load(gistquiz_home).decks == [fresh(path)] and calls == [str(path)]
    calls.clear()
    load(gistquiz_home)
    assert calls == []  # the entry was written again for this gistquiz


def test_the_known_demos_are_part_of_the_key(gistquiz_home, monkeypatch):
    path = user_deck(gistquiz_home, EVERY_KIND)
    load(gistquiz_home)
    names = DEMOS | {"no_such_demo"}
    (deck,) = load(gistquiz_home, names).decks
    assert deck == fresh(path, names) and not any("unknown demo" in e.message for e in deck.errors)


def corrupt_entries(entry: Path) -> list[bytes]:
    raw = entry.read_bytes()
    head, _, body = raw.partition(b"\n")
    header = json.loads(head)
    # A body that is valid JSON, with a header that vouches for it, but not a layout the cache wrote.
    short = json.loads(body)
    short["cards"]["front"].pop()
    short_body = json.dumps(short).encode()
    header["body"] = deck_cache.hashlib.blake2b(short_body).hexdigest()
    return [
        b"",
        raw[: len(raw) // 2],  # torn
        raw[:-40] + b"x" * 40,  # bit rot in the body
        raw.replace(b"n-gram overlap", b"n-gram OVERLAP"),  # still valid JSON: only the body's hash tells
        b"\x00\xff garbage \n not json",
        head + b"\n[1, 2, 3]",
        json.dumps(header).encode() + b"\n" + short_body,  # columns of different lengths
    ]


def test_a_corrupt_entry_is_a_fresh_parse_never_a_traceback(gistquiz_home, monkeypatch):
    path = user_deck(gistquiz_home, EVERY_KIND)
    load(gistquiz_home)
    entry = only_entry(gistquiz_home)
    for damaged in corrupt_entries(entry):
        entry.write_bytes(damaged)
        calls = spy_parses(monkeypatch)
        assert load(gistquiz_home).decks == [fresh(path)] and calls == [str(path)]
        monkeypatch.undo()


def test_only_the_changed_file_is_parsed_again(gistquiz_home, monkeypatch):
    a = user_deck(gistquiz_home, "# A\n\n## Question a?\n\nAnswer.\n", "a.md")
    user_deck(gistquiz_home, EVERY_KIND, "b.md")
    load(gistquiz_home)
    a.write_text("# A\n\n## Question a, edited?\n\nAnswer.\n", encoding="utf-8")
    calls = spy_parses(monkeypatch)
    decks = load(gistquiz_home).decks
    assert calls == [str(a)] and decks[0] == fresh(a)


def test_a_data_folder_the_cache_cannot_be_written_to_still_loads(gistquiz_home, monkeypatch):
    path = user_deck(gistquiz_home, EVERY_KIND)
    locations.deck_cache_dir(gistquiz_home).parent.mkdir(parents=True)
    locations.deck_cache_dir(gistquiz_home).write_text("a file where the folder should be")
    assert load(gistquiz_home).decks == [fresh(path)]
    assert load(gistquiz_home).decks == [fresh(path)]


def test_parse_deck_is_what_the_cache_stores(gistquiz_home):
    """The cache calls the parser with the file's bytes: the same deck as parsing the text."""
    path = user_deck(gistquiz_home, EVERY_KIND)
    assert fresh(path) == parse_deck(EVERY_KIND, str(path), known_demos=DEMOS, source="user")


def test_every_module_that_defines_a_cached_type_is_in_the_cache_key():
    """An entry is keyed by a hash of the parser's sources: the parser's module, and each module that defines a
    type the cache stores, must be among them, or a change there would leave old entries looking fresh."""
    import inspect

    from gistquiz.cloze import Deletion
    from gistquiz.deck import Deck, Option
    from gistquiz.deck_parser import Parser
    from gistquiz.errors import DeckError
    from gistquiz.exercise_card import Exercise

    for stored in (Card, Deck, Option, DeckError, Exercise, Deletion, Parser):
        assert Path(inspect.getfile(stored)).name in deck_cache._PARSER_SOURCES, stored
