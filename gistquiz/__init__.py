"""gistquiz: spaced-repetition flashcards and quizzes from your notes, each card with a demo that proves it."""

__version__ = "0.1.0"
