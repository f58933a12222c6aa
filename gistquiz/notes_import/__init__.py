"""Turn a person's own plain-text or Markdown notes into a deck they then edit: ``gistquiz import-notes``.

An offline heuristic, not an understanding of the notes. It reads the notes'
shapes (headings, bullet lists, "X : Y", "X is Y", "why X? Y", "If A, B") and
makes cards from the notes' own words, each with the lines it came from in a
comment, so that nothing in the deck is a fact the notes do not state.

- :mod:`.lines` reads the file and groups its lines into sections and statements (TODO / FIXME lines and
  questions to oneself are set aside);
- :mod:`.words` holds the only words the importer may change (a small, explicit
  table of abbreviations and misspellings);
- :mod:`.rules` turns statements into cards, hiding in a cloze only the key term :mod:`.key_terms` finds;
- :mod:`.importer` puts it together and checks every card with the deck parser;
- :mod:`.template` is the commented example deck of ``gistquiz new-deck``.

Nothing is imported here, so that ``gistquiz --help`` (which imports :mod:`.commands`) stays instant.
"""

MAX_NOTES_BYTES = 2**20
"""Notes files larger than this are refused: hand-written notes are a few kB, and 1 MiB is some 300 pages."""
