"""The web server: textual-serve's page, websocket and app processes, behind :mod:`gistquiz.serve.auth`.

What is overridden from textual-serve 1.1 and why:

- the routes: only the page, its websocket and a fixed list of static files (its static route lists
  folders, and its download route serves whatever an app offers);
- the websocket route: every check runs before the websocket is prepared, so a refusal is a 403 and
  starts no app process (textual-serve starts one as soon as it prepares);
- the page: no inline script or style, no Google Fonts, and URLs built from the request's host (the
  stock page builds them from the configured host, so ``localhost`` would connect to ``127.0.0.1``),
  under a Content-Security-Policy that allows no inline script and, by hash, only textual.js's one style;
- the app process: started without a shell, in a process group of its own, and ended with its
  children when the tab closes or the server stops;
- logging: no access log (it would hold the token in a query string).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import signal
import ssl
import sys
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from gistquiz.serve import reaping
from gistquiz.serve.auth import Gate, clamp_size

log = logging.getLogger("gistquiz.serve")

HERE = Path(__file__).parent
STOCK = Path(sys.modules[Server.__module__].__file__ or "").parent / "static"
STATIC_FILES = {
    "js/textual.js": STOCK / "js" / "textual.js",
    "css/xterm.css": STOCK / "css" / "xterm.css",
    "fonts/RobotoMono.ttf": STOCK / "fonts" / "RobotoMono-VariableFont_wght.ttf",
    "page.css": HERE / "static" / "page.css",
    "page.js": HERE / "static" / "page.js",
}
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".ttf": "font/ttf"}
TEXTUAL_JS_STYLE = (
    "h1{color:#fff;background-color:#000}body{margin:0;padding:0}.textual-terminal{width:100vw;height:100vh}"
)
"""The one inline style textual.js inserts (webpack's style-loader: an empty ``<style>``, then this text).
xterm.js draws on a canvas and styles its elements through the CSSOM, which CSP does not restrict; only its
DOM renderer writes ``style`` attributes and ``<style>`` elements, and it is a fallback never used while the
canvas addon textual.js loads works. So styles need no 'unsafe-inline': these two hashes allow that element
(tests/test_serve.py checks the text is still in textual.js; page.css repeats its rules should it change)."""


def _style_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


CSP = f"default-src 'self'; style-src 'self' {_style_hash('')} {_style_hash(TEXTUAL_JS_STYLE)}; frame-ancestors 'none'"
DEFAULT_MAX_APPS = 4


@dataclass
class Options:
    host: str = "127.0.0.1"
    port: int = 8000
    token: str = ""
    max_apps: int = DEFAULT_MAX_APPS
    ssl_context: ssl.SSLContext | None = None
    child_args: list[str] = field(default_factory=list)
    """``--home``/``--decks`` passed on to each app process."""
    child_command: list[str] | None = None
    """Another app to serve instead of gistquiz (the benchmark's hello-world anchor)."""


class AppProcess(AppService):
    """One tab's app: no shell, its own process group, and its whole tree ended when it stops."""

    def __init__(self, argv: list[str], **kwargs) -> None:
        super().__init__(" ".join(argv), **kwargs)
        self.argv = argv

    async def _open_app_process(self, width: int = 80, height: int = 24):
        env = self._build_environment(width=width, height=height)
        env["GISTQUIZ_SERVED"] = "1"
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        self._stdin = process.stdin
        return process

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def stop(self) -> None:
        """Ask the app to quit, then end its process group whatever it did (its handler ends its demos)."""
        task = self._task
        if task is not None:
            self._task = None
            await self.send_meta({"type": "quit"})
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=3)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        process = self._process
        if process is None or process.returncode is not None:
            return
        reaping.kill_group(process.pid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), timeout=2)
        reaping.kill_group(process.pid, signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), timeout=2)

    def end(self) -> None:
        """At shutdown (blocking): the app's process group, SIGTERM then SIGKILL."""
        if self._process is not None and self._process.returncode is None:
            reaping.end_tree(self._process.pid, grace=1.0)


class GistQuizServer(Server):
    def __init__(self, options: Options) -> None:
        self.options = options
        scheme = "https" if options.ssl_context else "http"
        super().__init__("gistquiz", host=options.host, port=options.port, title="gistquiz")
        self.gate = Gate(options.token, options.port, options.host, scheme=scheme)
        self.apps: set[AppProcess] = set()
        self.starting = 0

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.headers])
        app.add_routes(
            [
                web.get("/", self.handle_index),
                web.get("/ws", self.handle_websocket),
                web.get("/static/{name:.+}", self.handle_static),
            ]
        )
        app.on_shutdown.append(self.on_shutdown)
        return app

    @web.middleware
    async def headers(self, request: web.Request, handler):
        try:
            response = await handler(request)
        except web.HTTPException as err:
            response = err
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    def refuse(self, request: web.Request, reason: str) -> web.Response:
        log.warning("refused %s %s: %s", request.method, request.path, reason)  # the path, never the query
        return web.Response(status=403, text="403: forbidden. Open the URL gistquiz serve printed.\n")

    def session_of(self, request: web.Request) -> str | None:
        return request.cookies.get(self.gate.cookie)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        host = request.headers.get("Host")
        if "token" in request.query:
            verdict, session = self.gate.login(host, request.query.get("token"))
            if session is None:
                return self.refuse(request, verdict.reason)
            response = web.HTTPSeeOther("/")
            response.set_cookie(
                self.gate.cookie,
                session,
                httponly=True,
                samesite="Strict",
                secure=self.gate.scheme == "https",
                path="/",
            )
            return response
        verdict = self.gate.page(host, self.session_of(request))
        if not verdict.ok:
            return self.refuse(request, verdict.reason)
        ws = "wss" if self.gate.scheme == "https" else "ws"
        html = (HERE / "static" / "index.html").read_text(encoding="utf-8")
        html = html.replace("{{ websocket_url }}", f"{ws}://{host}/ws")
        return web.Response(text=html, content_type="text/html")

    async def handle_static(self, request: web.Request) -> web.StreamResponse:
        verdict = self.gate.page(request.headers.get("Host"), self.session_of(request))
        if not verdict.ok:
            return self.refuse(request, verdict.reason)
        path = STATIC_FILES.get(request.match_info["name"])
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": CONTENT_TYPES[path.suffix]})

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        host = request.headers.get("Host")
        verdict = self.gate.websocket(host, self.session_of(request), request.headers.get("Origin"))
        if not verdict.ok:
            return self.refuse(request, verdict.reason)
        if len(self.apps) + self.starting >= self.options.max_apps:
            log.warning("refused a websocket: %d apps running (--max-apps)", self.options.max_apps)
            return web.Response(status=503, text=f"503: {self.options.max_apps} tabs are open already.\n")
        width, height = clamp_size(request.query.get("width"), request.query.get("height"))
        websocket = web.WebSocketResponse(heartbeat=15)
        argv = self.options.child_command or [sys.executable, "-m", "gistquiz.serve.child", *self.options.child_args]
        self.starting += 1
        service: AppProcess | None = None
        try:
            await websocket.prepare(request)
            service = AppProcess(
                argv,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
            )
            self.apps.add(service)
            self.starting -= 1
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # a broken client message must not take the server down
            log.warning("websocket ended: %s", error)
        finally:
            if service is None:
                self.starting -= 1
            else:
                await service.stop()
                self.apps.discard(service)
                # An app killed before it could end its demos leaves them orphaned, re-parented to us.
                reaping.end_children(grace=0.5, keep={s.pid for s in self.apps})
        return websocket

    async def on_shutdown(self, app: web.Application) -> None:
        self.end_all()

    def end_all(self) -> None:
        """End every app with its process group, then anything that was re-parented to us."""
        for service in list(self.apps):
            service.end()
        reaping.end_children(grace=1.0)

    def serve(self, debug: bool = False) -> None:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        reaping.become_subreaper()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_exit)
        try:
            web.run_app(
                self._make_app(),
                host=self.options.host,
                port=self.options.port,
                ssl_context=self.options.ssl_context,
                handle_signals=False,
                access_log=None,
                loop=loop,
                print=None,
            )
        finally:
            self.end_all()
