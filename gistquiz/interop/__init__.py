"""Anki interoperability: import Anki packages and text exports as deck files, export decks and history back.

``gistquiz import`` and ``gistquiz export`` are in :mod:`gistquiz.interop.commands`. The modules, by concept:
``anki_model`` (Anki's note types and how they map to gistquiz's kinds), ``html_md`` (field HTML <-> Markdown),
``anki_text`` (the plain-text format), ``zipsafe`` and ``apkg`` (reading untrusted packages), ``convert`` (notes
to deck files), ``importer`` (writing all or nothing), ``history`` (review logs in and out), ``anki_export``
(decks to ``.apkg`` and text).
"""
