"""Who may talk to a served app: pure checks, no web framework (the server asks, this module answers).

The model is Jupyter's. Any page the learner visits can open a websocket to 127.0.0.1, and the app edits
files and runs code, so loopback alone protects nothing:

- a random token per start, compared in constant time, is traded once for a session cookie (a random
  id, not the token) and the token leaves the address bar;
- every request needs that session and a ``Host`` from an allow-list (against DNS rebinding: a foreign
  name resolving to 127.0.0.1 still carries its own name);
- the websocket also needs an ``Origin`` equal to the served origin (a missing one is refused).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field

TOKEN_BYTES = 32
MIN_SIZE, MAX_SIZE = (20, 8), (500, 200)
"""Terminal sizes (columns, rows) a tab may ask for; anything else is clamped."""


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def cookie_name(port: int) -> str:
    """Per port, so two servers on one host name never overwrite each other's session."""
    return f"gistquiz-session-{port}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(bound: str, port: int) -> frozenset[str]:
    """The ``Host`` header values accepted: the bound address, ``localhost`` and ``127.0.0.1``, with the port."""
    names = {bound, "localhost", "127.0.0.1"}
    if ":" in bound and not bound.startswith("["):  # an IPv6 address is bracketed in a Host header
        names = {f"[{bound}]", "localhost", "127.0.0.1"}
    return frozenset(f"{name}:{port}" for name in names)


def clamp_size(width: str | None, height: str | None) -> tuple[int, int]:
    """The terminal size from the websocket's query string, defaulted and clamped (never trusted)."""

    def number(text: str | None, default: int) -> int:
        try:
            return int(text) if text is not None else default
        except ValueError:
            return default

    w = min(max(number(width, 80), MIN_SIZE[0]), MAX_SIZE[0])
    h = min(max(number(height, 24), MIN_SIZE[1]), MAX_SIZE[1])
    return w, h


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    """Why a request was refused (for the server's log; the client only sees 403)."""


ALLOWED = Verdict(True)


@dataclass
class Gate:
    """One server's token, sessions and allowed hosts."""

    token: str
    port: int
    bound: str
    scheme: str = "http"
    hosts: frozenset[str] = field(default=frozenset())
    sessions: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.hosts:
            self.hosts = allowed_hosts(self.bound, self.port)

    @property
    def cookie(self) -> str:
        return cookie_name(self.port)

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def login(self, host: str | None, given: str | None) -> tuple[Verdict, str | None]:
        """Trade the token for a new session id (``None`` when refused)."""
        if (v := self.host_ok(host)) != ALLOWED:
            return v, None
        if not self.token_ok(given):
            return Verdict(False, "wrong or missing token"), None
        session = secrets.token_urlsafe(TOKEN_BYTES)
        self.sessions.add(session)
        return ALLOWED, session

    def host_ok(self, host: str | None) -> Verdict:
        if host is None or host.lower() not in self.hosts:
            return Verdict(False, f"Host {host!r} is not one this server answers to")
        return ALLOWED

    def session_ok(self, session: str | None) -> bool:
        # A set lookup hashes the id: its timing says nothing useful about the 256-bit secret's bytes.
        return session is not None and session in self.sessions

    def page(self, host: str | None, session: str | None) -> Verdict:
        """A page or static file: an allowed Host and a session."""
        if (v := self.host_ok(host)) != ALLOWED:
            return v
        if not self.session_ok(session):
            return Verdict(False, "no session: open the URL with the token the server printed")
        return ALLOWED

    def websocket(self, host: str | None, session: str | None, origin: str | None) -> Verdict:
        """The websocket: as a page, and an ``Origin`` equal to the served origin (present, not foreign)."""
        if (v := self.page(host, session)) != ALLOWED:
            return v
        if origin is None:
            return Verdict(False, "websocket without an Origin")
        if origin.lower() != f"{self.scheme}://{host}".lower():
            return Verdict(False, f"websocket from a foreign Origin {origin!r}")
        return ALLOWED
