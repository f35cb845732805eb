"""A per-client cap on streamable HTTP sessions, so no client can fill the SDK's session pool.

The SDK (mcp 2.3) caps sessions only globally (10,000) and keeps an idle one for 30 minutes, so
one client opening sessions in a loop locked everyone else out for half an hour. This middleware
sits in front of the SDK app and only reads what the protocol shows: a POST without
`Mcp-Session-Id` opens a session, the answer's header names it, a 404 or a DELETE ends it, and
no request in flight for the idle timeout expires it (as the SDK does). When a client (a peer
address: on loopback every local client shares one) is at its cap, its least recently used idle
session is closed the protocol's way (a DELETE), so new sessions always open; if every one of its
sessions is busy, the new one is refused with a 429 saying so.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oumi_mcp_server.server.http_guard import send_json

MAX_SESSIONS_PER_CLIENT = 16
SESSION_IDLE_TIMEOUT_S = 10 * 60.0
MAX_SESSIONS = 256  # all clients together (the SDK's own cap)
_SESSION = MCP_SESSION_ID_HEADER.encode()
_VERSION = MCP_PROTOCOL_VERSION_HEADER.encode()


@dataclass
class _Session:
    client: str
    busy: int = 0  # requests in flight, an open GET stream included
    last_used: float = 0.0


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in headers if k.lower() == name), None)


class SessionCap:
    """Tracks sessions per client; evicts the least recently used idle one at the cap."""

    def __init__(
        self,
        app: ASGIApp,
        per_client: int = MAX_SESSIONS_PER_CLIENT,
        idle_timeout_s: float = SESSION_IDLE_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.per_client = per_client
        self.idle_timeout_s = idle_timeout_s
        self.clock = clock
        self.sessions: dict[str, _Session] = {}
        self._opening: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session_id = _header(scope["headers"], _SESSION)
        version = _header(scope["headers"], _VERSION)
        client = scope["client"][0] if scope.get("client") else "unknown"
        if session_id is not None:
            await self._use(session_id, client, scope, receive, send)
        elif scope["method"] == "POST" and version in (None, *HANDSHAKE_PROTOCOL_VERSIONS):
            await self._open(client, scope, receive, send)
        else:  # no session to open (the SDK answers), or a stateless protocol era
            await self.app(scope, receive, send)

    def live(self, client: str) -> int:
        return sum(1 for s in self.sessions.values() if s.client == client)

    async def _open(self, client: str, scope: Scope, receive: Receive, send: Send) -> None:
        self._expire()
        while self.live(client) + self._opening[client] >= self.per_client:
            idle = [
                (s.last_used, sid)
                for sid, s in self.sessions.items()
                if s.client == client and not s.busy
            ]
            if not idle:
                await send_json(
                    send,
                    429,
                    {
                        "error": {
                            "code": "too_many_sessions",
                            "message": f"This client has {self.per_client} MCP sessions, all "
                            "busy; no new one can open.",
                            "fix": "End sessions you no longer use (HTTP DELETE with their "
                            "Mcp-Session-Id) or wait for one to finish, then retry.",
                        }
                    },
                    [(b"retry-after", b"5")],
                )
                return
            await self._close(min(idle)[1], scope)
        self._opening[client] += 1
        opened: list[str] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                session_id = _header(message.get("headers", []), _SESSION)
                if session_id is not None and not opened:
                    opened.append(session_id)
                    self._opening[client] -= 1
                    self.sessions[session_id] = _Session(client, 1, self.clock())
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if opened:
                self._done(opened[0])
            else:
                self._opening[client] -= 1

    async def _use(
        self, session_id: str, client: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        session = self.sessions.get(session_id)
        if session is not None:
            session.busy += 1
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if session is not None:
                self._done(session_id)
        ended = status and (status[0] == 404 or (scope["method"] == "DELETE" and status[0] < 400))
        if ended:
            self.sessions.pop(session_id, None)
        elif session is None and status and status[0] < 400:  # alive, though we had expired it
            self.sessions[session_id] = _Session(client, 0, self.clock())

    def _done(self, session_id: str) -> None:
        session = self.sessions.get(session_id)
        if session is not None:
            session.busy -= 1
            session.last_used = self.clock()

    def _expire(self) -> None:
        cutoff = self.clock() - self.idle_timeout_s
        for sid in [s for s, v in self.sessions.items() if not v.busy and v.last_used < cutoff]:
            del self.sessions[sid]

    async def _close(self, session_id: str, template: Scope) -> None:
        """End a session as its client would: a DELETE with its id, answered to no one."""
        del self.sessions[session_id]
        scope = {
            **template,
            "method": "DELETE",
            "headers": [(_SESSION, session_id.encode("latin-1"))],
            "query_string": b"",
        }
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def discard(message: Message) -> None:
            return None

        await self.app(scope, receive, discard)
