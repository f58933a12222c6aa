"""Benchmark ``gistquiz serve``: page load to the deck table, as a ratio to a hello-world Textual app served
the same way (the same server, routes and checks; only the app process differs).

    python benchmarks/bench_serve.py [--repeat 7]

Needs the web extra and the test extra (``websockets``, ``pyte``). No browser: a load is timed as the page
does it, from the request for ``/`` through ``/static/js/textual.js`` and the websocket until the marker
text is on a terminal emulator's screen (100x30). Interleaved (anchor, app, anchor, app, ...); prints the
median and IQR of each and the ratio of medians. The goal from issue 19 is <= 1.5x.

gistquiz's modules are first compiled to bytecode, as ``pip install`` does for the wheel (Textual's come so
from pip). A source checkout run with ``PYTHONDONTWRITEBYTECODE=1`` has none, and then every tab's app
compiles the thirty-odd gistquiz modules it imports from source before it can draw; ``--no-compile`` measures that case.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pyte
import websockets

HERE = Path(__file__).resolve().parent
SERVER = """
import sys, json
from gistquiz.serve.server import GistQuizServer, Options
port, token, command = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
GistQuizServer(Options(port=port, token=token, child_command=command or None)).serve()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str] | None) -> tuple[subprocess.Popen, int, str]:
    import json

    port, token = free_port(), secrets.token_urlsafe(32)
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), token, json.dumps(command or [])],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port, token
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def login(port: int, token: str) -> str:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(f"http://127.0.0.1:{port}/?token={token}")
    except urllib.error.HTTPError as err:
        return err.headers["Set-Cookie"].split(";")[0]
    raise RuntimeError("no redirect")


async def load(port: int, cookie: str, marker: str) -> float:
    origin = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    for path in ("/", "/static/js/textual.js", "/static/css/xterm.css", "/static/page.css"):
        req = urllib.request.Request(origin + path, headers={"Cookie": cookie})
        await asyncio.to_thread(lambda r=req: urllib.request.urlopen(r).read())
    screen = pyte.Screen(100, 30)
    stream = pyte.ByteStream(screen)
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/ws?width=100&height=30", additional_headers={"Cookie": cookie, "Origin": origin}
    ) as ws:
        while not any(marker in line for line in screen.display):
            message = await asyncio.wait_for(ws.recv(), 30)
            if isinstance(message, bytes):
                stream.feed(message)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-compile", action="store_true", help="leave gistquiz's bytecode as it is")
    args = parser.parse_args()
    if not args.no_compile:
        import compileall

        import gistquiz

        compileall.compile_dir(Path(gistquiz.__file__).parent, quiet=1)
    home = tempfile.mkdtemp(prefix="gistquiz-bench-serve-")
    os.environ["GISTQUIZ_HOME"] = home
    hello = [sys.executable, str(HERE / "hello_textual.py")]
    servers = {"hello": start(hello), "gistquiz": start(None)}
    markers = {"hello": "Hello, world", "gistquiz": "Deep learning: the gist"}
    times: dict[str, list[float]] = {"hello": [], "gistquiz": []}
    try:
        cookies = {name: login(port, token) for name, (_, port, token) in servers.items()}
        for name in ("hello", "gistquiz"):  # warm-up, not counted (first compile of the modules)
            asyncio.run(load(servers[name][1], cookies[name], markers[name]))
        for _ in range(args.repeat):
            for name in ("hello", "gistquiz"):
                times[name].append(asyncio.run(load(servers[name][1], cookies[name], markers[name])))
                time.sleep(0.5)  # let the closed tab's app end before the next load
    finally:
        for proc, _, _ in servers.values():
            proc.terminate()
            proc.wait(10)
    for name, ts in times.items():
        q = statistics.quantiles(ts, n=4)
        median, iqr = statistics.median(ts) * 1000, (q[2] - q[0]) * 1000
        print(f"{name:9s} median {median:6.0f} ms  IQR {iqr:5.0f} ms  n={len(ts)}")
    ratio = statistics.median(times["gistquiz"]) / statistics.median(times["hello"])
    print(f"page load to deck table / hello world: {ratio:.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    main()
