"""The Anki exchange judged by Anki's own backend (the ``anki`` package: Anki's Rust collection code, headless).

Collections are built with Anki's API, exported by Anki, imported by gistquiz; gistquiz's exports are imported
into fresh Anki collections. The ``anki`` wheel needs a recent glibc, so it is an extra of its own
(``pip install -e '.[anki]'``) and these tests skip where it is missing.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

anki_collection = pytest.importorskip("anki.collection")

from gistquiz import card_text  # noqa: E402
from gistquiz.deck import Kind, read_deck  # noqa: E402
from gistquiz.errors import UserError  # noqa: E402
from gistquiz.interop import anki_export  # noqa: E402
from gistquiz.interop.anki_model import guid_to_id  # noqa: E402
from gistquiz.interop.importer import import_file  # noqa: E402

Collection = anki_collection.Collection


@pytest.fixture
def col(tmp_path):
    (tmp_path / "anki").mkdir()
    c = Collection(str(tmp_path / "anki" / "collection.anki2"))
    yield c
    c.close()


def add(col, notetype: str, deck: str, **fields: str):
    note = col.new_note(col.models.by_name(notetype))
    for name, value in fields.items():
        note[name.replace("_", " ")] = value
    col.add_note(note, col.decks.id(deck))
    return note


def export(col, path: Path, deck: str, scheduling: bool = False) -> Path:
    options = anki_collection.ExportAnkiPackageOptions(
        with_scheduling=scheduling, with_deck_configs=scheduling, with_media=True, legacy=False
    )
    col.export_anki_package(out_path=str(path), options=options, limit=anki_collection.DeckIdLimit(col.decks.id(deck)))
    return path


def import_into_anki(tmp_path: Path, package: Path, name: str = "fresh"):
    """A fresh Anki collection with ``package`` imported, as Anki's File > Import does it."""
    from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    (tmp_path / name).mkdir()
    fresh = Collection(str(tmp_path / name / "collection.anki2"))
    fresh.import_anki_package(
        ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions(with_scheduling=True))
    )
    return fresh


def test_literal_cloze_braces_in_a_basic_note_stay_basic_both_ways(tmp_path, col):
    note = add(col, "Basic", "Lit", Front="Anki's syntax?", Back="write {{c1::answer}} in a <b>Cloze</b> note")
    result = import_file(export(col, tmp_path / "lit.apkg", "Lit"), tmp_path / "decks")
    deck = read_deck(result.plan.decks[0].path)
    (card,) = deck.cards
    assert card.kind is Kind.BASIC and card.note_id == guid_to_id(note.guid)
    assert card.back == "write {\\{c1::answer}} in a **Cloze** note"  # Markdown for the same two braces
    # And back in Anki: the same text in a basic note.
    anki_export.write_apkg([deck], tmp_path / "back.apkg")
    fresh = import_into_anki(tmp_path, tmp_path / "back.apkg")
    (nid,) = fresh.find_notes("")
    back = fresh.get_note(nid)
    assert back.note_type()["type"] == 0  # a standard note type, not cloze
    assert back.fields[1] == "write {{c1::answer}} in a <b>Cloze</b> note"
    fresh.close()


def test_back_extra_is_on_the_answer_side_only(tmp_path, col):
    add(col, "Cloze", "Geo", Text="{{c1::Paris}} is the capital of {{c2::France}}", Back_Extra="since <i>508</i>")
    result = import_file(export(col, tmp_path / "geo.apkg", "Geo"), tmp_path / "decks")
    cards = read_deck(result.plan.decks[0].path).cards
    assert [c.cloze_index for c in cards] == [1, 2]
    for card in cards:
        assert "508" not in card_text.front_text(card)
        assert card_text.back_text(card).endswith("since *508*")
    assert "**[...]** is the capital of France" in card_text.front_text(cards[0])


def test_a_skipped_note_is_named_by_its_front_then_its_guid(tmp_path, col):
    empty = add(col, "Basic", "S", Front="What is <b>entropy</b>?", Back="")
    add(col, "Basic", "S", Front="fine", Back="ok")
    result = import_file(export(col, tmp_path / "s.apkg", "S"), tmp_path / "decks")
    front = "What is **entropy**?"
    assert result.messages == [f"skipped 1 note: note '{front}' (GUID {empty.guid}) (an empty front or back)"]


def test_a_text_export_with_history_imports_the_notes_and_says_it_has_none(tmp_path, col):
    add(col, "Basic", "T", Front="one", Back="1")
    add(col, "Basic (and reversed card)", "T", Front="two", Back="2")
    out = tmp_path / "notes.txt"
    col.export_note_csv(
        out_path=str(out),
        limit=anki_collection.DeckIdLimit(col.decks.id("T")),
        with_html=True,
        with_tags=True,
        with_deck=True,
        with_notetype=True,
        with_guid=True,
    )
    result = import_file(out, tmp_path / "decks", with_history=True)
    assert result.plan.cards == 3 and result.history_cards == 0
    assert any("a text export holds no review history" in m for m in result.messages)


def custom_notetype(col, name: str, fields: list[str], qfmt: str, afmt: str):
    mm = col.models
    nt = mm.new(name)
    for f in fields:
        mm.add_field(nt, mm.new_field(f))
    t = mm.new_template("Card 1")
    t["qfmt"], t["afmt"] = qfmt, afmt
    mm.add_template(nt, t)
    mm.add(nt)
    return mm.by_name(name)


def vocabulary_notetype(col):
    """A custom note type with a hint, an optional Example (a section and its inverse) and an unshown field."""
    return custom_notetype(
        col,
        "Vocabulary",
        ["Term", "Meaning", "Example", "Hint", "Source"],
        "{{Term}}{{hint:Hint}}",
        "{{FrontSide}}<hr id=answer>{{Meaning}}{{#Example}}<br><i>e.g.</i> {{Example}}{{/Example}}"
        "{{^Example}}<br>(no example){{/Example}}",
    )


def test_a_custom_note_type_keeps_every_field_its_templates_show(tmp_path, col):
    vocabulary_notetype(col)
    add(col, "Vocabulary", "V", Term="logit", Meaning="a raw score", Example="z = Wx + b", Hint="pre-softmax")
    add(col, "Vocabulary", "V", Term="softmax", Meaning="normalised exponentials", Source="cs231n")
    custom_notetype(col, "Spelling", ["Word", "Spoken", "Note"], "{{Spoken}}<br>{{type:Word}}", "{{type:Word}}")
    add(col, "Spelling", "V", Word="gradient", Spoken="GRAY-dee-ent", Note="x")
    result = import_file(export(col, tmp_path / "v.apkg", "V"), tmp_path / "decks")
    by_front = {c.front.split("\n")[0]: c for c in read_deck(result.plan.decks[0].path).cards}
    logit, softmax, spelling = by_front["logit"], by_front["softmax"], by_front["GRAY-dee-ent"]
    # Every shown field, in template order; not the fields concatenated (Source is on no card).
    assert logit.front == "logit\n\nHint: pre-softmax"
    assert logit.back == "a raw score\\\n*e.g.* z = Wx + b"
    assert softmax.back == "normalised exponentials\\\n(no example)"
    assert (spelling.kind, spelling.answers) == (Kind.TYPED, ("gradient",))
    assert "1 note of note type 'Spelling': field 'Note', shown on no card, not kept" in result.messages
    assert "2 notes of note type 'Vocabulary': field 'Source', shown on no card, not kept" in result.messages


PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201e5277ede0000000049454e44ae426082"
)


def test_image_occlusion_keeps_image_and_header_as_a_basic_card_on_both_paths(tmp_path, col):
    image = tmp_path / "heart.png"
    image.write_bytes(PNG_1X1)
    io_type = col.models.by_name("Image Occlusion")
    masks = "{{c1::image-occlusion:rect:left=.1:top=.2:width=.3:height=.2:oi=1}}"
    col.add_image_occlusion_note(io_type["id"], str(image), masks, "The chambers", "left is stronger", [])
    (nid,) = col.find_notes("")
    col.set_deck(col.card_ids_of_note(nid), col.decks.id("IO"))
    text = tmp_path / "io.txt"
    col.export_note_csv(
        out_path=str(text),
        limit=anki_collection.DeckIdLimit(col.decks.id("IO")),
        with_html=True,
        with_tags=True,
        with_deck=True,
        with_notetype=True,
        with_guid=True,
    )
    from_package = import_file(export(col, tmp_path / "io.apkg", "IO"), tmp_path / "a")
    from_text = import_file(text, tmp_path / "b")
    message = "1 image occlusion note imported as basic cards (the header and the image in front)"
    for result in (from_package, from_text):
        (card,) = read_deck(result.plan.decks[0].path).cards
        assert card.kind is Kind.BASIC
        assert card.front.startswith("The chambers\n\n")
        assert card.back == "left is stronger"
        assert "image-occlusion" not in card.front + card.back
        assert [m.split(":")[0] for m in result.messages] == [message]
    (card,) = read_deck(from_package.plan.decks[0].path).cards
    media = from_package.plan.decks[0].media_dir
    (name,) = [p.name for p in media.iterdir()]
    assert f"]({media.name}/{name})" in card.front and (media / name).read_bytes() == PNG_1X1


def test_suspended_and_buried_cards_stay_so_with_their_history(tmp_path, col, gistquiz_home):
    from gistquiz.scheduler import Scheduler
    from gistquiz.store import Store

    answered = add(col, "Basic", "Q", Front="answered then suspended", Back="a")
    buried = add(col, "Basic", "Q", Front="buried, never answered", Back="b")
    untouched = add(col, "Basic", "Q", Front="untouched", Back="c")
    suspended_new = add(col, "Basic", "Q", Front="suspended, never answered", Back="d")
    card = col.get_card(answered.card_ids()[0])
    card.start_timer()
    col.sched.answerCard(card, 3)  # Good, through Anki's v3 scheduler
    col.sched.suspend_cards(answered.card_ids() + suspended_new.card_ids())
    col.sched.bury_cards(buried.card_ids(), manual=True)
    pkg = export(col, tmp_path / "q.apkg", "Q", scheduling=True)
    store = Store(gistquiz_home / "gq.sqlite3")
    import_file(pkg, tmp_path / "decks", store=store, scheduler=Scheduler(), with_history=True)
    states = store.states()

    def state(note):
        return states.get(f"q:{guid_to_id(note.guid)}")

    assert state(answered).suspended and state(answered).reps == 1
    assert state(suspended_new).suspended and state(suspended_new).reps == 0
    assert state(buried).buried_until is not None and not state(buried).suspended
    assert state(untouched) is None
    store.close()


def test_images_and_links_are_exported_and_anki_finds_no_media_missing_or_unused(tmp_path):
    folder = tmp_path / "notes"
    (folder / "img").mkdir(parents=True)
    (folder / "pic.png").write_bytes(PNG_1X1)
    (folder / "img" / "pic.png").write_bytes(PNG_1X1 + b"other")  # same name, other file
    (folder / "d.md").write_text(
        "# D\n\n## What is this?\n\n![a pixel](pic.png)\n\nsee [the docs](https://example.org/a?b=1)\n\n"
        "## And this?\n\n![another](img/pic.png)\n"
    )
    outside = tmp_path / "secret.png"
    outside.write_bytes(PNG_1X1)
    deck = read_deck(folder / "d.md")
    anki_export.write_apkg([deck], tmp_path / "d.apkg")
    fresh = import_into_anki(tmp_path, tmp_path / "d.apkg")
    fields = sorted(fresh.get_note(nid).fields[1] for nid in fresh.find_notes(""))
    assert fields[0] == '<img src="pic-2.png" alt="another">'
    assert fields[1] == '<img src="pic.png" alt="a pixel"><br><br>see <a href="https://example.org/a?b=1">the docs</a>'
    check = fresh.media.check()
    assert (list(check.missing), list(check.unused)) == ([], [])
    media = Path(fresh.media.dir())
    assert (media / "pic.png").read_bytes() == PNG_1X1 and (media / "pic-2.png").read_bytes() == PNG_1X1 + b"other"
    fresh.close()
    (folder / "bad.md").write_text("# Bad\n\n## Leak?\n\n![x](../secret.png)\n")
    with pytest.raises(UserError, match="is outside the deck's folder"):
        anki_export.write_apkg([read_deck(folder / "bad.md")], tmp_path / "bad.apkg")


def gq_export(folder: Path, deck: str, target: Path, *extra: str) -> None:
    from gistquiz.cli import main

    assert main(["export", deck, "--decks", str(folder), "-o", str(target), "--force", *extra]) == 0


def import_again(col, package: Path):
    """Import ``package`` into ``col`` as Anki's File > Import does (notes updated only if newer); returns the log."""
    from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    request = ImportAnkiPackageRequest(
        package_path=str(package), options=ImportAnkiPackageOptions(with_scheduling=True)
    )
    return col.import_anki_package(request).log


def set_mtime(path: Path, seconds_ago: int) -> None:
    t = time.time() - seconds_ago
    os.utime(path, (t, t))


def test_an_unchanged_reexport_updates_nothing_and_one_edit_updates_one_note(tmp_path):
    folder = tmp_path / "decks"
    folder.mkdir()
    deck_file = folder / "t.md"
    deck_file.write_text(
        "# T\n\n## What does dropout do at training time?\n\nZeroes each unit with probability p\n\n"
        "## What does batch norm normalise?\n\nEach feature over the mini-batch\n\n"
        "## Why initialise weights with He scaling?\n\n"
        "To keep the variance of activations constant through ReLU layers\n"
    )
    set_mtime(deck_file, 1000)
    gq_export(folder, "t", tmp_path / "t.apkg")
    anki = import_into_anki(tmp_path, tmp_path / "t.apkg")
    by_front = {anki.get_note(n).fields[0]: anki.get_note(n) for n in anki.find_notes("")}
    edited = by_front["What does batch norm normalise?"]
    edited.fields[1] = "edited in Anki"
    anki.update_note(edited)
    time.sleep(1.1)  # Anki keeps modification times in seconds: a stamp of "now" would be newer than the edit
    gq_export(folder, "t", tmp_path / "t.apkg")  # nothing changed in gistquiz
    log = import_again(anki, tmp_path / "t.apkg")
    assert (len(log.new), len(log.updated)) == (0, 0)
    assert anki.get_note(edited.id).fields[1] == "edited in Anki"
    deck_file.write_text(deck_file.read_text().replace("through ReLU", "through the ReLU"))
    set_mtime(deck_file, 500)
    gq_export(folder, "t", tmp_path / "t.apkg")
    log = import_again(anki, tmp_path / "t.apkg")
    assert (len(log.new), [n.fields[1] for n in log.updated]) == (
        0,
        ["To keep the variance of activations constant through the ReLU layers"],
    )
    assert anki.get_note(edited.id).fields[1] == "edited in Anki"
    anki.close()


def test_a_reworded_card_without_id_updates_its_anki_note_instead_of_adding_one(tmp_path, gistquiz_home):
    from gistquiz.locations import database_path
    from gistquiz.scheduler import Rating, Scheduler, utcnow
    from gistquiz.store import Store

    folder = tmp_path / "decks"
    folder.mkdir()
    deck_file = folder / "r.md"
    deck_file.write_text(
        "# R\n\n## Why initialise weights with He scaling?\n\nTo keep the variance of activations constant "
        "through ReLU layers\n\n## What does dropout do at training time?\n\nZeroes each unit with probability p\n"
    )
    deck = read_deck(deck_file)
    anki_export.write_apkg([deck], tmp_path / "r.apkg")  # exported without the store, as before it kept GUIDs
    anki = import_into_anki(tmp_path, tmp_path / "r.apkg")
    he = deck.cards[0]
    now, sched = utcnow(), Scheduler()
    with Store(database_path(gistquiz_home)) as store:  # answered once in gistquiz: it has a history to re-link
        store.answer(
            he.key, "r", Rating.GOOD, now, lambda s: sched.review(s, Rating.GOOD, now), fingerprint=he.fingerprint
        )
    time.sleep(1.1)  # that export stamped its notes "now": the edit comes a second later
    deck_file.write_text(deck_file.read_text().replace("through ReLU", "through the ReLU"))
    assert read_deck(deck_file).cards[0].key != he.key  # reworded: a new key, the history re-linked to it
    gq_export(folder, "r", tmp_path / "r2.apkg")
    log = import_again(anki, tmp_path / "r2.apkg")
    # The first export with the store has no record of when the notes changed: the deck file's time, once.
    assert len(log.new) == 0 and "To keep the variance of activations constant through the ReLU layers" in [
        n.fields[1] for n in log.updated
    ]
    assert len(anki.find_notes("")) == 2
    gq_export(folder, "r", tmp_path / "r3.apkg")
    log = import_again(anki, tmp_path / "r3.apkg")
    assert (len(log.new), len(log.updated)) == (0, 0)
    anki.close()


def test_a_tsv_export_imports_into_a_fresh_collection_with_stock_note_types(tmp_path):
    from anki.import_export_pb2 import ImportCsvRequest

    from tests.test_interop_export import write_deck

    out = tmp_path / "tiny.txt"
    deck = read_deck(write_deck(tmp_path / "decks"))
    with out.open("w", encoding="utf-8", newline="") as f:
        anki_export.write_tsv([deck], f)
    (tmp_path / "fresh").mkdir()
    fresh = Collection(str(tmp_path / "fresh" / "collection.anki2"))
    metadata = fresh.get_csv_metadata(str(out), None)
    log = fresh.import_csv(ImportCsvRequest(path=str(out), metadata=metadata)).log
    assert (len(log.new), len(log.missing_notetype)) == (6, 0)
    notes = {fresh.get_note(n).fields[0]: fresh.get_note(n) for n in fresh.find_notes("")}
    kinds = {front.partition("<")[0]: n.note_type()["name"] for front, n in notes.items()}
    assert kinds == {
        "What is 2 + 2?": "Basic",
        "Capital of France?": "Basic (type in the answer)",
        "Learning rate": "Basic (and reversed card)",
        "Which is a prime?": "Basic",
        "What does this print?": "Basic",
        "The parts of a CNN": "Cloze",  # the heading, then the text
    }
    assert len(fresh.find_cards("")) == 8  # the reversed note and the cloze note make two cards each
    assert notes["Capital of France?"].fields[1] == "Paris"  # what Anki compares the typed answer with
    (cnn,) = [n for front, n in notes.items() if front.startswith("The parts of a CNN<br><br>A CNN stacks {{c1::")]
    assert cnn.fields[1] == ""  # no Back Extra
    assert set(notes["What is 2 + 2?"].tags) == {"maths", "easy"}
    assert fresh.decks.by_name("Tiny deck") is not None
    fresh.close()


def test_due_dates_set_by_hand_and_filtered_decks_keep_anki_s_due(tmp_path, col, gistquiz_home):
    """Due dates from the card (days from col.crt; odue in a filtered deck), memory from SM-2 where that is all."""
    import fsrs

    from gistquiz.scheduler import Scheduler, State
    from gistquiz.store import Store

    by_hand = add(col, "Basic", "Due", Front="due in 10 days, never answered", Back="a")
    filtered = add(col, "Basic", "Due", Front="due in 20 days, in a filtered deck", Back="b")
    add(col, "Basic", "Due", Front="new", Back="c")
    (hand_cid,), (filtered_cid,) = by_hand.card_ids(), filtered.card_ids()
    col.sched.set_due_date([hand_cid], "10")
    col.sched.set_due_date([filtered_cid], "20")
    dyn = col.sched.get_or_create_filtered_deck(0)
    dyn.name, dyn.allow_empty = "Cram", False
    dyn.config.search_terms[0].search = '"deck:Due" "front:due in 20*"'
    dyn.config.search_terms[0].limit = 10
    dyn.config.reschedule = True
    col.sched.add_or_update_filtered_deck(dyn)
    moved = col.get_card(filtered_cid)
    assert moved.odid == col.decks.id("Due") and moved.odue == 20  # Anki keeps its home due in odue
    start = col.sched.day_cutoff - 86400  # Anki's today, independent of col.crt
    package = tmp_path / "all.colpkg"
    col.export_collection_package(str(package), include_media=True, legacy=False)
    store = Store(gistquiz_home / "gq.sqlite3")
    scheduler = Scheduler()
    import_file(package, tmp_path / "decks", store=store, scheduler=scheduler, with_history=True)
    states = {k.partition(":")[2]: s for k, s in store.states().items()}
    hand, cram = states[guid_to_id(by_hand.guid)], states[guid_to_id(filtered.guid)]
    day = 86400
    assert (hand.state, hand.due.timestamp()) == (State.REVIEW, start + 10 * day)
    assert (cram.state, cram.due.timestamp()) == (State.REVIEW, start + 20 * day)
    assert len(states) == 2  # the new card stays new
    # SM-2 interval 10, ease 2.5: the stability is the interval (90% recall at 10 days), and a Good answer
    # at that recall multiplies it by the ease, as py-fsrs's own scheduler computes it.
    assert hand.stability == pytest.approx(10, rel=1e-9)
    card = fsrs.Card(state=fsrs.State.Review, stability=hand.stability, difficulty=hand.difficulty)
    card.last_review = hand.due - timedelta(days=10)
    after, _ = fsrs.Scheduler(enable_fuzzing=False).review_card(card, fsrs.Rating.Good, hand.due)
    assert after.stability / hand.stability == pytest.approx(2.5, rel=1e-6)
    store.close()


def test_anki_s_fsrs_memory_state_is_kept(tmp_path, col, gistquiz_home):
    from gistquiz.scheduler import Scheduler
    from gistquiz.store import Store

    col.set_config("fsrs", True)
    conf = col.decks.config_dict_for_deck_id(col.decks.id("F"))
    conf["fsrsParams6"] = [0.5, 2.0, 4.0, 10.0, *fsrs_defaults()[4:]]  # parameters fitted in Anki, not gistquiz's
    col.decks.save(conf)
    note = add(col, "Basic", "F", Front="answered with FSRS on", Back="a")
    for rating in (3, 3):
        card = col.get_card(note.card_ids()[0])
        card.start_timer()
        col.sched.answerCard(card, rating)
    anki_state = col.get_card(note.card_ids()[0]).memory_state
    store = Store(gistquiz_home / "gq.sqlite3")
    pkg = export(col, tmp_path / "f.apkg", "F", scheduling=True)
    import_file(pkg, tmp_path / "decks", store=store, scheduler=Scheduler(), with_history=True)
    (state,) = store.states().values()
    assert (round(state.stability, 3), round(state.difficulty, 3)) == (
        round(anki_state.stability, 3),
        round(anki_state.difficulty, 3),
    )
    store.close()


def fsrs_defaults() -> list[float]:
    import fsrs

    return list(fsrs.Scheduler().parameters)


def plain_review(folder: Path, deck: str, home: Path, encoding: str) -> str:
    import subprocess
    import sys

    env = {**os.environ, "GISTQUIZ_HOME": str(home), "PYTHONIOENCODING": encoding}
    args = [sys.executable, "-m", "gistquiz", "review", deck, "--plain", "--decks", str(folder)]
    out = subprocess.run(args, input="\n3\nq\n", capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_review_plain_shows_the_card_as_anki_does_not_the_markdown_escapes(tmp_path, col, gistquiz_home):
    add(col, "Basic", "Chem", Front="Is H<sub>2</sub>O = x<sup>2</sup>?", Back="\\(x^2\\) and a*b*c<br>next line")
    result = import_file(export(col, tmp_path / "c.apkg", "Chem"), tmp_path / "decks")
    (card,) = read_deck(result.plan.decks[0].path).cards
    assert card.front == "Is H<sub>2</sub>O = x<sup>2</sup>?"  # kept in the deck, so it goes back to Anki as it came
    shown = plain_review(tmp_path / "decks", "chem", gistquiz_home, "utf-8")
    assert "Is H₂O = x²?" in shown
    assert "\\(x^2\\) and a*b*c\nnext line" in shown
    assert "Is H_2O = x^2?" in plain_review(tmp_path / "decks", "chem", gistquiz_home, "ascii")
    assert card_text.front_text(card) == "Is H₂O = x²?"  # what the app renders
    anki_export.write_apkg([read_deck(result.plan.decks[0].path)], tmp_path / "back.apkg")
    fresh = import_into_anki(tmp_path, tmp_path / "back.apkg")
    (nid,) = fresh.find_notes("")
    assert fresh.get_note(nid).fields[:2] == ["Is H<sub>2</sub>O = x<sup>2</sup>?", "\\(x^2\\) and a*b*c<br>next line"]
    fresh.close()


def user_collection(tmp_path: Path, name: str):
    """A user's own collection: a picture, a custom note type with a field no template shows, a cloze."""
    (tmp_path / name).mkdir()
    col = Collection(str(tmp_path / name / "collection.anki2"))
    image = tmp_path / "heart.png"
    image.write_bytes(PNG_1X1)
    stored = col.media.add_file(str(image))
    custom_notetype(
        col,
        "Vocabulary",
        ["Term", "Meaning", "Example", "Source"],
        "{{Term}}",
        "{{FrontSide}}<hr id=answer>{{Meaning}}{{#Example}}<br><i>e.g.</i> {{Example}}{{/Example}}",
    )
    add(col, "Basic", "Mine", Front="What does the heart look like?", Back=f'<img src="{stored}">')
    add(col, "Vocabulary", "Mine", Term="logit", Meaning="a raw score", Example="z = Wx + b", Source="cs231n")
    add(col, "Cloze", "Mine", Text="{{c1::Paris}} is in <b>France</b>", Back_Extra="since 508")
    add(col, "Basic", "Mine", Front="Water?", Back="H<sub>2</sub>O&nbsp;mostly")
    add(col, "Basic", "Mine", Front="Which note is edited in gistquiz?", Back="this one")
    return col


def snapshot(col) -> dict[str, tuple]:
    """GUID -> (note type id, fields, tags) of every note."""
    return {n.guid: (n.mid, tuple(n.fields), tuple(n.tags)) for n in (col.get_note(i) for i in col.find_notes(""))}


@pytest.mark.parametrize("merge", [True, False])
def test_a_round_trip_back_into_the_users_collection_changes_only_what_was_edited(tmp_path, merge):
    from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    col = user_collection(tmp_path, "mine")
    before = snapshot(col)
    result = import_file(export(col, tmp_path / "mine.apkg", "Mine"), tmp_path / "decks")
    deck_file = result.plan.decks[0].path
    time.sleep(1.1)  # Anki keeps modification times in seconds: the edit comes after the notes were made
    deck_file.write_text(deck_file.read_text().replace("this one", "this one, edited"))
    gq_export(tmp_path / "decks", deck_file.stem, tmp_path / "back.apkg")
    options = ImportAnkiPackageOptions(merge_notetypes=merge, with_scheduling=False)
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(tmp_path / "back.apkg"), options=options))
    after = snapshot(col)
    assert after.keys() == before.keys()  # no note added, none lost
    edited = next(g for g, (_, fields, _) in before.items() if fields[0] == "Which note is edited in gistquiz?")
    for guid, note in before.items():
        if guid != edited:
            assert after[guid] == note  # same note type, same fields (the unshown Source too), same tags
    mid, fields, _ = before[edited]
    assert after[edited][:2] == (mid, (fields[0], "this one, edited"))  # the edit arrives, in the note's own type
    assert col.fix_integrity() == ("Database rebuilt and optimized.", True)  # nothing to fix
    check = col.media.check()
    assert list(check.missing) == []
    col.close()


def vocabulary_collection(tmp_path: Path, name: str):
    """A user's collection with a custom note type: a hint, an optional Example, a field shown on no card."""
    (tmp_path / name).mkdir()
    col = Collection(str(tmp_path / name / "collection.anki2"))
    vocabulary_notetype(col)
    words = {
        "logit": ("a raw score", "z = Wx + b", "pre-softmax"),
        "softmax": ("normalised exponentials", "", ""),
        "tag": ("write &lt;sub&gt; for a subscript", "H<sub>2</sub>O", ""),
        "unit": ("a neuron", "relu(Wx)", "one of many"),
        "bias": ("the b in Wx + b", "b = 0", ""),
        "untouched": ("as it was", "nothing", "none"),
    }
    for term, (meaning, example, hint) in words.items():
        add(col, "Vocabulary", "Mine", Term=term, Meaning=meaning, Example=example, Hint=hint, Source="cs231n")
    return col


@pytest.mark.parametrize("merge", [True, False])
def test_an_edited_note_of_a_custom_note_type_goes_back_in_that_note_type(tmp_path, merge):
    from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    col = vocabulary_collection(tmp_path, "mine")
    before = {col.get_note(i)["Term"]: col.get_note(i) for i in col.find_notes("")}
    mid = before["logit"].mid
    result = import_file(export(col, tmp_path / "mine.apkg", "Mine"), tmp_path / "decks")
    deck_file = result.plan.decks[0].path
    time.sleep(1.1)  # Anki keeps modification times in seconds: the edits come after the notes were made
    text = deck_file.read_text()
    edits = [
        ("a raw score", "an unnormalised score"),  # Meaning
        ("normalised exponentials\\\n(no example)", "normalised exponentials\\\n*e.g.* softmax(z)"),  # Example added
        ("write \\<sub> for a subscript", "write \\<sub> or \\<sup>"),  # Meaning, with the literal <sub> kept
        ("Hint: one of many", "Hint: one of a layer"),  # Hint
        ("## bias", "## bias term"),  # Term and Meaning at once
        ("the b in Wx + b", "the **b** in Wx + b"),
    ]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    deck_file.write_text(text)
    gq_export(tmp_path / "decks", deck_file.stem, tmp_path / "back.apkg")
    options = ImportAnkiPackageOptions(merge_notetypes=merge, with_scheduling=False)
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(tmp_path / "back.apkg"), options=options))
    after = {col.get_note(i)["Term"]: col.get_note(i) for i in col.find_notes("")}
    assert len(after) == len(before)  # no note added, none lost: bias is found by its GUID, under its new Term
    assert {n.mid for n in after.values()} == {mid}  # the user's note type, for every note
    assert col.models.get(mid)["name"] == "Vocabulary" and col.models.field_names(col.models.get(mid)) == [
        "Term",
        "Meaning",
        "Example",
        "Hint",
        "Source",
    ]

    def fields(term: str) -> list[str]:
        return after[term].fields

    assert fields("logit") == ["logit", "an unnormalised score", "z = Wx + b", "pre-softmax", "cs231n"]
    assert fields("softmax") == ["softmax", "normalised exponentials", "softmax(z)", "", "cs231n"]
    assert fields("tag") == ["tag", "write &lt;sub&gt; or &lt;sup&gt;", "H<sub>2</sub>O", "", "cs231n"]
    assert fields("unit") == ["unit", "a neuron", "relu(Wx)", "one of a layer", "cs231n"]
    assert fields("bias term") == ["bias term", "the <b>b</b> in Wx + b", "b = 0", "", "cs231n"]
    assert fields("untouched") == list(before["untouched"].fields)
    assert after["bias term"].guid == before["bias"].guid
    assert col.fix_integrity() == ("Database rebuilt and optimized.", True)
    col.close()


def test_an_edit_of_the_template_s_own_text_goes_back_as_gistquiz_s_note_type_and_says_so(tmp_path, capsys):
    col = vocabulary_collection(tmp_path, "mine")
    result = import_file(export(col, tmp_path / "mine.apkg", "Mine"), tmp_path / "decks")
    deck_file = result.plan.decks[0].path
    text = deck_file.read_text()
    assert text.count("*e.g.* relu(Wx)") == 1
    deck_file.write_text(text.replace("*e.g.* relu(Wx)", "*for example* relu(Wx)"))  # no field holds "e.g."
    capsys.readouterr()
    gq_export(tmp_path / "decks", deck_file.stem, tmp_path / "back.apkg")
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{deck_file}:{read_deck(deck_file).cards[3].line}: 'unit Hint: one of many' was edited beyond the text of"
        " its Anki fields: it goes back as a 'gistquiz basic' note, not a 'Vocabulary'"
    ]
    col.close()
    fresh = import_into_anki(tmp_path, tmp_path / "back.apkg")
    types = sorted(fresh.get_note(i).note_type()["name"] for i in fresh.find_notes(""))
    assert types == ["Vocabulary"] * 5 + ["gistquiz basic"]  # the other five notes, not edited, as they came
    fresh.close()
