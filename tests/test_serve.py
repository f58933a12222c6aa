"""``gistquiz serve`` end to end, without a browser: the page's websocket is opened the way textual.js does
(the ``websockets`` package) and what the app draws is read in a terminal emulator (``pyte``).

Each test starts a real server on a free loopback port. Refusals are checked to start no app process
(the server's children, read from /proc), and shutdown to leave nothing behind.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("textual_serve")
websockets = pytest.importorskip("websockets")
pytest.importorskip("pyte")

from served import Served, open_tab, start_server, stop, study  # noqa: E402

from gistquiz.serve import reaping  # noqa: E402
from gistquiz.serve.auth import Gate, allowed_hosts, clamp_size, cookie_name, is_loopback  # noqa: E402

linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


# ----------------------------------------------------------------- the gate (pure)


def test_gate_compares_the_token_and_hands_out_a_fresh_session():
    gate = Gate("t" * 43, 8000, "127.0.0.1")
    assert gate.login("127.0.0.1:8000", "wrong")[1] is None
    assert gate.login("127.0.0.1:8000", None)[1] is None
    verdict, session = gate.login("localhost:8000", "t" * 43)
    assert verdict.ok and session and session != "t" * 43
    assert gate.page("localhost:8000", session).ok and not gate.page("localhost:8000", "guess").ok


def test_gate_allows_only_its_hosts_and_its_own_origin():
    gate = Gate("tok", 8000, "127.0.0.2")
    _, s = gate.login("127.0.0.2:8000", "tok")
    assert allowed_hosts("127.0.0.2", 8000) == {"127.0.0.2:8000", "localhost:8000", "127.0.0.1:8000"}
    assert not gate.page("evil.example:8000", s).ok  # DNS rebinding: the name is the attacker's
    assert not gate.page("127.0.0.1:9999", s).ok
    assert gate.websocket("localhost:8000", s, "http://localhost:8000").ok
    assert not gate.websocket("localhost:8000", s, None).ok
    assert not gate.websocket("localhost:8000", s, "http://evil.example").ok
    assert not gate.websocket("localhost:8000", s, "http://127.0.0.1:8000").ok  # not the page's own origin
    assert not gate.websocket("localhost:8000", None, "http://localhost:8000").ok


def test_sizes_are_clamped_and_cookie_names_are_per_port():
    assert clamp_size(None, None) == (80, 24)
    assert clamp_size("100000", "-5") == (500, 8)
    assert clamp_size("x", "40") == (80, 40)
    assert cookie_name(8000) != cookie_name(8001)
    assert is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")


# ----------------------------------------------------------------- a real server


@pytest.fixture
def server(tmp_path: Path):
    served = start_server(tmp_path)
    yield served
    stop(served)


async def test_the_printed_url_logs_in_and_the_tab_shows_the_decks_and_reviews(server: Served):
    status, headers, page = server.get("/", {"Cookie": server.login()})
    assert (
        status == 200
        and "Content-Security-Policy" in headers
        and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    )
    assert f"ws://{server.host}:{server.port}/ws" in page and "googleapis" not in page and "<style" not in page
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    tab = await study(server)
    try:
        await tab.press("\r")  # Enter on home starts the review
        await tab.wait_for("How does test accuracy grow with data?")
        assert "Show answer" in tab.text
    finally:
        await tab.ws.close()


async def test_the_tab_names_a_broken_deck_by_its_folder_not_the_servers_path(server: Served, tmp_path: Path):
    (tmp_path / "decks" / "broken.md").write_text("# Broken\n\n## Q\nfoo: bar\n\nA\n")
    tab = await study(server)
    try:
        text = await tab.wait_for("broken.md:4:")
    finally:
        await tab.ws.close()
    assert "! decks/broken.md:4: unknown metadata key 'foo'" in text  # the --decks folder, by its name
    assert str(tmp_path) not in text


def test_the_one_style_the_policy_allows_is_the_one_textual_js_inserts():
    from gistquiz.serve.server import CSP, STOCK, TEXTUAL_JS_STYLE, _style_hash

    bundle = (STOCK / "js" / "textual.js").read_text(encoding="utf-8")
    assert bundle.count(f'"{TEXTUAL_JS_STYLE}"') == 1  # fails when a new textual-serve changes it
    assert bundle.count('createElement("style")') == 3  # style-loader's, and xterm.js's DOM renderer's two
    assert _style_hash(TEXTUAL_JS_STYLE) in CSP


def refused_ws(served: Served, **kw) -> int:
    async def attempt() -> int:
        try:
            async with open_tab(served, **kw):
                return 101
        except websockets.exceptions.InvalidStatus as err:
            return err.response.status_code

    return asyncio.run(attempt())


@linux_only
def test_every_refusal_is_403_and_starts_no_app(server: Served):
    cookie = server.login()
    wrong = server.url.rsplit("=", 1)[0] + "=" + "x" * 43
    own = server.origin
    cases = {
        "no token": server.get("/")[0],
        "wrong token": server.get(wrong.removeprefix(own))[0],
        "token, foreign Host": server.get(server.url.removeprefix(own), {"Host": f"evil.example:{server.port}"})[0],
        "page, foreign Host": server.get("/", {"Cookie": cookie, "Host": f"evil.example:{server.port}"})[0],
        "static without a session": server.get("/static/js/textual.js")[0],
        "ws without a cookie": refused_ws(server, cookie=None, origin=own),
        "ws from a foreign Origin": refused_ws(server, cookie=cookie, origin="http://evil.example"),
        "ws without an Origin": refused_ws(server, cookie=cookie),
        "ws, foreign Host": refused_ws(server, cookie=cookie, origin=own, host=f"evil.example:{server.port}"),
    }
    assert cases == dict.fromkeys(cases, 403)
    # With a session: what is not the page, its websocket or its static files does not exist.
    for path in ("/static/", "/static/js/", "/static/../server.py", "/download/abc", "/static/images/background.png"):
        status, _, body = server.get(path, {"Cookie": cookie})
        assert status == 404, path
        assert "Index of" not in body
    assert server.get("/static/js/textual.js", {"Cookie": cookie})[0] == 200
    assert server.descendants() == []
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(10)
    log = server.proc.stderr.read()
    assert "token=" not in log and server.url.rsplit("=", 1)[1] not in log


def test_127_0_0_2_with_insecure_serves_too(tmp_path: Path):
    try:
        socket.socket().bind(("127.0.0.2", 0))
    except OSError:
        pytest.skip("no 127.0.0.2 on this machine")
    served = start_server(tmp_path, "--insecure", host="127.0.0.2")
    try:

        async def run() -> None:
            tab = await study(served)
            await tab.ws.close()

        asyncio.run(run())
        assert refused_ws(served, cookie=served.login(), origin="http://127.0.0.1:1") == 403
    finally:
        stop(served)


def test_a_host_other_than_loopback_needs_https_or_insecure():
    result = subprocess.run(
        [sys.executable, "-m", "gistquiz", "serve", "--host", "0.0.0.0", "--port", "1"], capture_output=True, text=True
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "--certfile" in result.stderr and "--insecure" in result.stderr


@linux_only
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_stopping_the_server_leaves_no_process_it_started(tmp_path: Path, how: signal.Signals):
    served = start_server(tmp_path)
    started: list[int] = []

    async def run_a_demo() -> None:
        tab = await study(served)
        await tab.press("\r")
        await tab.wait_for("How does test accuracy grow with data?")
        await tab.press(" ")
        await tab.wait_for("A large network keeps improving.")
        await tab.press("r")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the app, and the demo in a session of its own
            started[:] = served.descendants()
            if len(started) >= 2 and len({os.getsid(p) for p in started}) >= 2:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"no demo process started: {started}")
        served.proc.send_signal(how)
        served.proc.wait(20)

    asyncio.run(run_a_demo())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(reaping._alive(p) for p in started):
        time.sleep(0.1)
    assert [p for p in started if reaping._alive(p)] == []


@linux_only
async def test_a_closed_tab_ends_its_app(server: Served):
    tab = await study(server)
    apps = server.descendants()
    assert apps
    await tab.ws.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(reaping._alive(p) for p in apps):
        await asyncio.sleep(0.1)
    assert [p for p in apps if reaping._alive(p)] == []
