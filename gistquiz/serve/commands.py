"""``gistquiz serve``: its options and checks; the web server itself is imported only when it runs."""

from __future__ import annotations

import argparse
import html
import os
import sys
import tempfile
from pathlib import Path

from gistquiz.errors import UserError

INSTALL_HINT = "gistquiz serve needs the web extra: pip install 'gistquiz[web]'"


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "serve",
        parents=[common],
        help="serve the app to a browser tab",
        description=(
            "Serve the app (the same decks, keys and demos) to a browser tab. Only the URL printed, with its "
            "token, logs in; see 'In a browser' in the README for the security model."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument("--token-file", metavar="FILE", help="read the token from FILE instead of making a random one")
    p.add_argument("--max-apps", type=int, default=4, metavar="N", help="at most N tabs at once (default: 4)")
    p.add_argument("--certfile", metavar="FILE", help="TLS certificate (serve HTTPS)")
    p.add_argument("--keyfile", metavar="FILE", help="TLS private key")
    p.add_argument(
        "--insecure",
        action="store_true",
        help="allow plain HTTP on an address other than loopback (anyone on the path can read the token)",
    )
    p.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from gistquiz.serve.auth import is_loopback, new_token

    try:
        import textual_serve  # noqa: F401
    except ImportError:
        print(f"gistquiz: {INSTALL_HINT}", file=sys.stderr)
        return 2
    if bool(args.certfile) != bool(args.keyfile):
        raise UserError("--certfile and --keyfile go together")
    if not is_loopback(args.host) and not args.certfile and not args.insecure:
        raise UserError(
            f"--host {args.host} is reachable from other machines: give --certfile and --keyfile (HTTPS), "
            "or --insecure; or keep 127.0.0.1 and use an SSH tunnel (ssh -L 8000:127.0.0.1:8000 HOST)"
        )
    if args.max_apps < 1:
        raise UserError("--max-apps must be at least 1")
    ssl_context = None
    if args.certfile:
        import ssl

        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            ssl_context.load_cert_chain(args.certfile, args.keyfile)
        except (OSError, ssl.SSLError) as err:
            raise UserError(f"cannot load {args.certfile}/{args.keyfile}: {err}") from None
    token = _read_token(args.token_file) if args.token_file else new_token()

    from gistquiz.serve.server import GistQuizServer, Options

    child_args = [a for home in [getattr(args, "home", None)] if home for a in ("--home", str(home))]
    for folder in getattr(args, "decks", []) or []:
        child_args += ["--decks", str(Path(folder).resolve())]
    scheme = "https" if ssl_context else "http"
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"{scheme}://{shown_host}:{args.port}/?token={token}"
    print(f"gistquiz: serving on {scheme}://{shown_host}:{args.port}/ (Ctrl+C stops it); open:\n    {url}", flush=True)
    if args.open:
        _open_browser(url)
    options = Options(args.host, args.port, token, args.max_apps, ssl_context, child_args)
    GistQuizServer(options).serve()
    return 0


def _read_token(path: str) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as err:
        raise UserError(f"cannot read --token-file {path}: {err.strerror or err}") from None
    if len(token) < 16:
        raise UserError(f"{path}: the token must be at least 16 characters")
    return token


def _open_browser(url: str) -> None:
    """Hand the browser a redirect file (as Jupyter does), so the token is on no command line."""
    import webbrowser

    folder = tempfile.mkdtemp(prefix="gistquiz-open-")
    page = Path(folder) / "open.html"
    fd = os.open(page, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        target = html.escape(url, quote=True)
        f.write(f'<!DOCTYPE html><meta http-equiv="refresh" content="0;url={target}"><a href="{target}">gistquiz</a>\n')
    webbrowser.open(page.as_uri())
