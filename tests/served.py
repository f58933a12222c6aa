"""Driving a real ``gistquiz serve`` from a test: start it on a free loopback port, log in with the URL it
prints, and open the websocket as the page does (the ``websockets`` package), reading what the app draws in a
terminal emulator (``pyte``). Shared by ``test_serve.py`` and ``test_serve_browser.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyte
import websockets

from gistquiz.serve import reaping

DECK = """# Served deck

## How does test accuracy grow with data?
demo: data_and_compute

A large network keeps improving.
"""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class Served:
    proc: subprocess.Popen
    host: str
    port: int
    url: str

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        """(status, headers, body) of a GET, redirects not followed."""

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args):
                return None

        req = urllib.request.Request(f"{self.origin}{path}", headers=headers or {})
        try:
            with urllib.request.build_opener(NoRedirect).open(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read().decode()

    def login(self) -> str:
        """The session cookie (``name=value``) the printed URL gives."""
        status, headers, _ = self.get(self.url.removeprefix(self.origin))
        assert status == 303 and headers["Location"] == "/"
        cookie = headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "token" not in cookie
        return cookie.split(";")[0]

    def descendants(self) -> list[int]:
        found, todo = [], [self.proc.pid]
        while todo:
            kids = reaping.children(todo.pop())
            found += kids
            todo += kids
        return found


def start_server(tmp_path: Path, *args: str, host: str = "127.0.0.1") -> Served:
    decks = tmp_path / "decks"
    decks.mkdir(exist_ok=True)
    (decks / "served.md").write_text(DECK)
    (Path(os.environ["GISTQUIZ_HOME"]) / "settings.toml").write_text("bundled_decks = false\n")
    port = free_port(host)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gistquiz", "serve", "--host", host, "--port", str(port), "--decks", str(decks), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = proc.stdout.readline()
    assert first.startswith("gistquiz: serving on"), first + proc.stderr.read()
    url = proc.stdout.readline().strip()
    served = Served(proc, host, port, url)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return served
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server did not start listening")


def stop(served: Served) -> None:
    if served.proc.poll() is None:
        served.proc.kill()
        served.proc.wait(10)


class Tab:
    """The page's side of the websocket: keys in, the screen as a terminal emulator shows it."""

    def __init__(self, ws, width: int = 100, height: int = 30):
        self.ws = ws
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.ByteStream(self.screen)

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, words: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while words not in self.text:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{words!r} not on screen:\n{self.text}")
            try:
                message = await asyncio.wait_for(self.ws.recv(), left)
            except TimeoutError:
                continue
            if isinstance(message, bytes):
                self.stream.feed(message)
        return self.text

    async def press(self, keys: str) -> None:
        await self.ws.send(json.dumps(["stdin", keys]))


def open_tab(served: Served, cookie: str | None, origin: str | None = None, host: str | None = None):
    headers = {}
    if cookie:
        headers["Cookie"] = cookie
    if origin:
        headers["Origin"] = origin
    # A foreign Host: the URL names it, the connection still goes to the server (as after DNS rebinding).
    return websockets.connect(
        f"ws://{host or f'{served.host}:{served.port}'}/ws?width=100&height=30",
        additional_headers=headers,
        open_timeout=10,
        host=served.host,
        port=served.port,
    )


async def study(served: Served) -> Tab:
    """Log in, open the tab, and wait for the deck table; returns the open tab (the caller closes it)."""
    cookie = served.login()
    ws = await open_tab(served, cookie, origin=served.origin)
    tab = Tab(ws)
    await tab.wait_for("Served deck")
    return tab
