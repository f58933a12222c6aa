"""A non-editable install works from any folder: the bundled decks and demos ship inside the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-w", str(out), "-q"],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("gistquiz-*.whl")
    return path


def test_wheel_holds_the_bundled_decks_and_demos(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    decks = {p.name for p in (ROOT / "decks").glob("*.md")}
    demos = {p.name for p in (ROOT / "demos").glob("*.py")}
    assert decks and demos
    assert {f"gistquiz/bundled/decks/{n}" for n in decks} <= names
    assert {f"gistquiz/bundled/demos/{n}" for n in demos} <= names
    assert "gistquiz/ui/app.tcss" in names or not (ROOT / "gistquiz/ui/app.tcss").exists()


def test_installed_wheel_runs_from_any_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    # The dependencies come from this test environment (a path entry, so its editable gistquiz is not seen);
    # gistquiz itself only from the wheel.
    site = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True
    ).stdout.strip()
    Path(site, "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "GISTQUIZ_HOME": str(tmp_path / "home")}
    env.pop("PYTHONPATH", None)
    where = subprocess.run(
        [py, "-c", "import gistquiz; print(gistquiz.__file__)"], capture_output=True, text=True, cwd=elsewhere, env=env
    )
    assert where.stdout.startswith(site), where.stdout + where.stderr
    decks = subprocess.run(
        [venv / "bin" / "gistquiz", "decks"], capture_output=True, text=True, cwd=elsewhere, env=env, timeout=120
    )
    assert decks.returncode == 0, decks.stderr
    assert "bundled:" in decks.stdout and str(Path(site, "gistquiz", "bundled", "decks")) in decks.stdout
    demos = subprocess.run(
        [venv / "bin" / "gistquiz", "demo", "list"], capture_output=True, text=True, cwd=elsewhere, env=env
    )
    assert demos.returncode == 0 and "tiny_cnn" in demos.stdout
