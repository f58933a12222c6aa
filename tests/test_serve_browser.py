"""``gistquiz serve`` in a real browser: headless Chromium (Debian's ``chromium`` package), driven over the
DevTools protocol. Skipped cleanly where no Chromium is installed (``.ci/run`` tries to install it).

xterm.js draws on a canvas, so the page holds no text to read: what the app sent is read from the websocket
frames the browser received (the DevTools ``Network`` events, fed to a terminal emulator), and what a key or
a tap did is read from the review database, independently of any screen. A screenshot of the home screen is
kept under the test's temp folder.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.server
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("textual_serve")
websockets = pytest.importorskip("websockets")
pyte = pytest.importorskip("pyte")

from served import Served, free_port, start_server, stop  # noqa: E402


def find_chromium() -> str | None:
    """``$GISTQUIZ_CHROMIUM``, else ``chromium`` on the PATH, else Debian's binary behind its launcher."""
    candidates = [os.environ.get("GISTQUIZ_CHROMIUM"), shutil.which("chromium"), "/usr/lib/chromium/chromium"]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (Debian: apt-get install chromium)")


class Page:
    """One tab over the DevTools protocol: commands, and the terminal the app's websocket frames draw."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.next_id = 0
        self.replies: dict[int, asyncio.Future] = {}
        self.events: list[dict] = []
        self.screen: pyte.Screen | None = None
        self.stream: pyte.ByteStream | None = None
        self.app_sockets: set[str] = set()
        self.changed = asyncio.Event()

    async def read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message:
                self.replies.pop(message["id"]).set_result(message)
                continue
            self.events.append(message)
            self.on_event(message["method"], message["params"])
            self.changed.set()

    def on_event(self, method: str, params: dict) -> None:
        url = urllib.parse.urlsplit(params.get("url", ""))
        query = urllib.parse.parse_qs(url.query)
        if method == "Network.webSocketCreated" and url.path == "/ws" and {"width", "height"} <= query.keys():
            # textual.js asks for the size that fits the page; the app draws for that size
            self.screen = pyte.Screen(int(query["width"][0]), int(query["height"][0]))
            self.stream = pyte.ByteStream(self.screen)
            self.app_sockets.add(params["requestId"])
        elif method == "Network.webSocketFrameReceived" and params["requestId"] in self.app_sockets:
            frame = params["response"]
            if frame["opcode"] == 2 and self.stream is not None:  # binary: the app's terminal output
                self.stream.feed(base64.b64decode(frame["payloadData"]))

    async def call(self, method: str, **params) -> dict:
        self.next_id += 1
        reply = asyncio.get_running_loop().create_future()
        self.replies[self.next_id] = reply
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        message = await asyncio.wait_for(reply, 30)
        assert "error" not in message, message
        return message["result"]

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result["result"].get("value")

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display) if self.screen else ""

    async def wait_for(self, words: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while words not in self.text:
            if time.monotonic() > deadline:
                raise AssertionError(f"{words!r} not on screen:\n{self.text}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), 0.5)

    async def cell_to_pixel(self, words: str) -> tuple[float, float]:
        """The page coordinates of the middle of ``words``'s first cell on the terminal."""
        row = next(i for i, line in enumerate(self.screen.display) if words in line)
        col = self.screen.display[row].index(words)
        box = await self.evaluate(
            "(() => { const r = document.querySelector('.xterm-screen').getBoundingClientRect();"
            " return [r.left, r.top, r.width, r.height]; })()"
        )
        left, top, width, height = box
        cw, ch = width / self.screen.columns, height / self.screen.lines
        return left + (col + 0.5) * cw, top + (row + 0.5) * ch

    async def tap(self, words: str) -> None:
        """A finger's tap on ``words`` (a touch start and end, as a tablet sends them)."""
        x, y = await self.cell_to_pixel(words)
        for kind, points in (("touchStart", [{"x": x, "y": y}]), ("touchEnd", [])):
            await self.call("Input.dispatchTouchEvent", type=kind, touchPoints=points)

    async def press_enter(self) -> None:
        """Enter, typed into the terminal (focused first, as the learner's first click on it does)."""
        await self.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        for kind in ("keyDown", "keyUp"):
            extra = {"text": "\r"} if kind == "keyDown" else {}
            await self.call(
                "Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13, **extra
            )


@contextlib.asynccontextmanager
async def chromium(profile: Path):
    """A headless Chromium with a fresh profile, and its first tab; both end on exit."""
    proc = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # tests may run as root, where Chromium's sandbox refuses to start
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--window-size=1000,700",
            "--no-first-run",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (active.exists() and len(active.read_text().split()) >= 2):
            assert time.monotonic() < deadline and proc.poll() is None, "Chromium did not start"
            await asyncio.sleep(0.05)
        port = active.read_text().split()[0]
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=10).read())
        target = next(t for t in targets if t["type"] == "page")
        async with websockets.connect(target["webSocketDebuggerUrl"], max_size=None) as ws:
            page = Page(ws)
            reader = asyncio.create_task(page.read())
            for domain in ("Page", "Runtime", "Network", "Log"):
                await page.call(f"{domain}.enable")
            await page.call("Emulation.setTouchEmulationEnabled", enabled=True, maxTouchPoints=1)
            try:
                yield page
            finally:
                reader.cancel()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def server(tmp_path: Path):
    served = start_server(tmp_path)
    yield served
    stop(served)


def answers(home: Path) -> list[tuple[str, int]]:
    """(card key, rating) of every answer recorded, read from the database itself."""
    with contextlib.closing(sqlite3.connect(f"file:{home / 'gistquiz.sqlite3'}?mode=ro", uri=True)) as db:
        return db.execute("SELECT card_key, rating FROM reviews WHERE rating > 0 ORDER BY id").fetchall()


async def test_chromium_shows_the_home_screen_and_a_key_and_taps_answer_a_card(server: Served, tmp_path: Path):
    home = Path(os.environ["GISTQUIZ_HOME"])
    async with chromium(tmp_path / "profile") as page:
        await page.call("Page.navigate", url=server.url)
        await page.wait_for("Served deck")
        # the page shows the terminal: the splash is gone and the address bar holds no token
        assert await page.evaluate("document.body.classList.contains('-first-byte')")
        assert await page.evaluate("getComputedStyle(document.querySelector('.intro-dialog')).display") == "none"
        assert await page.evaluate("location.href") == f"{server.origin}/"
        shot = await page.call("Page.captureScreenshot")
        (tmp_path / "home.png").write_bytes(base64.b64decode(shot["data"]))

        await page.press_enter()  # a key: Enter on home starts the review
        await page.wait_for("Show answer")
        await page.tap("Show answer")
        await page.wait_for("3 Good")
        assert answers(home) == []
        await page.tap("3 Good")
        deadline = time.monotonic() + 10
        while not answers(home) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        blocked = [e["params"]["entry"]["text"] for e in page.events if e["method"] == "Log.entryAdded"]
    assert [rating for _, rating in answers(home)] == [3]
    assert [text for text in blocked if "Content Security Policy" in text] == []  # nothing the page uses


class OtherOrigin(http.server.BaseHTTPRequestHandler):
    """A page from another origin (another port of 127.0.0.1) that tries to open the app's websocket."""

    target = ""

    def do_GET(self) -> None:
        script = (
            f"const ws = new WebSocket({json.dumps(self.target)});"
            "ws.onopen = () => { document.title = 'opened'; };"
            "ws.onclose = () => { if (document.title !== 'opened') document.title = 'refused'; };"
        )
        body = f"<!DOCTYPE html><title>waiting</title><script>{script}</script>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


async def test_a_page_from_another_origin_cannot_open_a_session(server: Served, tmp_path: Path):
    port = free_port()
    handler = type("Handler", (OtherOrigin,), {"target": f"ws://{server.host}:{server.port}/ws"})
    other = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        async with chromium(Path(tempfile.mkdtemp(dir=tmp_path))) as page:
            # logged in first: the browser holds the session cookie, and sends it along (same site, other port)
            await page.call("Page.navigate", url=server.url)
            await page.wait_for("Served deck")
            await page.call("Page.navigate", url=f"http://127.0.0.1:{port}/")
            deadline = time.monotonic() + 20
            while (title := await page.evaluate("document.title")) not in ("opened", "refused"):
                assert time.monotonic() < deadline, title
                await asyncio.sleep(0.1)
            assert title == "refused"
            sent = [e["params"] for e in page.events if e["method"] == "Network.webSocketWillSendHandshakeRequest"]
            attempt = sent[-1]["request"]["headers"]
            assert attempt.get("Origin") == f"http://127.0.0.1:{port}"
    finally:
        other.shutdown()
    stop(server)
    assert "foreign Origin" in server.proc.stderr.read()
