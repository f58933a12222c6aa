"""Rules about where code lives, checked on the package's source: each rule has one home.

- The core (everything outside ``gistquiz/ui/``) never imports Textual.
- Only ``python -m gistquiz`` imports the command line; command modules never import it back.
- Only the store and the demo cache hold SQL on gistquiz's database: no other module runs ``.execute(``
  or names one of its tables in a query; they ask the store for named operations instead. The Anki
  reader opens Anki's own database and names Anki's tables (``cards`` among them), so it is exempt.
  ``salvage.py`` reads a damaged gistquiz database row by row for ``gistquiz repair``: the store refuses a
  damaged database (that is its job), so the reading that goes on anyway has a module of its own.
"""

from __future__ import annotations

import ast
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import gistquiz

PACKAGE = Path(gistquiz.__file__).parent
SQL_OWNERS = {"store.py", "demo_cache.py", "salvage.py"}
ANKI_READER = "interop/apkg.py"
TABLES = ("cards", "reviews", "links", "demo_runs", "meta", "fsrs_params", "exercise_code")

# A string is SQL when it starts with a statement's verb (any case) or holds an upper-case clause; in SQL,
# a table is the word after FROM, INTO, UPDATE, JOIN, TABLE or EXISTS. Prose ("parse a file into cards")
# is neither, and docstrings are not looked at.
SQL_START = re.compile(r"^\s*(?:select|insert|update|delete|create|alter|drop|replace|with)\b", re.IGNORECASE)
SQL_CLAUSE = re.compile(r"\b(?:SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE TABLE|CREATE INDEX)\b")
TABLE_IN_SQL = re.compile(
    r"\b(?:from|into|update|join|table(?:\s+if\s+not\s+exists)?|exists)\s+(" + "|".join(TABLES) + r")\b",
    re.IGNORECASE,
)


def sources() -> dict[str, ast.Module]:
    return {p.relative_to(PACKAGE).as_posix(): ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def sql_calls(tree: ast.Module) -> list[int]:
    """Lines that call ``.execute``, ``.executemany`` or ``.executescript`` on anything."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("execute", "executemany", "executescript")
    ]


def strings(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, text) of each string but docstrings; an f-string's text has ``?`` for each ``{...}``."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "?" for v in node.values)
            out.append((node.lineno, text))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            out.append((node.lineno, node.value))
    return out


def tables_named(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, table) for each table a string of SQL names, in line order."""
    found = {
        (line, m.group(1).lower())
        for line, text in strings(tree)
        if SQL_START.match(text) or SQL_CLAUSE.search(text)
        for m in TABLE_IN_SQL.finditer(text)
    }
    return sorted(found)


def test_only_the_store_and_the_demo_cache_run_sql():
    found = [
        f"{name}:{line}"
        for name, tree in sources().items()
        if name not in SQL_OWNERS and name != ANKI_READER
        for line in sql_calls(tree)
    ]
    assert found == [], "SQL belongs in gistquiz/store.py (or demo_cache.py): add a named operation there"


def test_only_the_store_and_the_demo_cache_name_gistquiz_tables():
    found = [
        f"{name}:{line}: {table}"
        for name, tree in sources().items()
        if name not in SQL_OWNERS and name != ANKI_READER
        for line, table in tables_named(tree)
    ]
    assert found == [], "SQL belongs in gistquiz/store.py (or demo_cache.py): add a named operation there"


def test_the_checks_see_what_they_look_for():
    # The two checks above pass trivially if the scan finds nothing: the owners must be found by it.
    trees = sources()
    assert trees.keys() >= SQL_OWNERS and ANKI_READER in trees
    assert sql_calls(trees["store.py"]) and sql_calls(trees["demo_cache.py"]) and sql_calls(trees["salvage.py"])
    assert {t for _, t in tables_named(trees["store.py"])} == set(TABLES)  # the schema too
    assert {t for _, t in tables_named(trees["demo_cache.py"])} == {"demo_runs"}
    sample = ast.parse(
        '"""Parse text into cards."""\n'
        'q = f"SELECT 1 FROM {t} JOIN links WHERE x={y}"\n'
        'z = "made from cards of a deck"\n'
        'w = "select * from Reviews r where " + "r.x IN (SELECT 1 FROM meta)"\n'
        "db.execute(q)"
    )
    assert tables_named(sample) == [(2, "links"), (4, "meta"), (4, "reviews")] and sql_calls(sample) == [5]


def test_nothing_imports_the_command_line_back():
    # The CLI imports the command modules; they reach the workspace through gistquiz.workspace.
    found = [
        f"{name}:{node.lineno}"
        for name, tree in sources().items()
        if name != "__main__.py"
        for node in ast.walk(tree)
        if (isinstance(node, ast.ImportFrom) and node.module == "gistquiz.cli")
        or (isinstance(node, ast.ImportFrom) and node.module == "gistquiz" and any(a.name == "cli" for a in node.names))
        or (isinstance(node, ast.Import) and any(a.name == "gistquiz.cli" for a in node.names))
    ]
    assert found == []


def test_core_never_imports_textual():
    core = sorted(
        m.name
        for m in pkgutil.walk_packages([str(PACKAGE)], prefix="gistquiz.")
        if not m.name.startswith("gistquiz.ui") and m.name != "gistquiz.__main__"
    )
    assert "gistquiz.store" in core and "gistquiz.interop.commands" in core
    code = f"import importlib, sys\nfor m in {core!r}:\n    importlib.import_module(m)\nprint('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
