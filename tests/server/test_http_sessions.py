"""SessionCap over a fake session-keeping app: the cap holds per client, the least recently used
idle session is closed with a DELETE, busy sessions are never closed (a 429 instead), idle
ones expire, and a session closed by its client or answering 404 stops counting."""

from __future__ import annotations

import itertools

import anyio
import pytest
from starlette.types import Message, Receive, Scope, Send

from oumi_mcp_server.server.http_sessions import SessionCap


class FakeSessionApp:
    """Opens a session per POST without an id; answers 404 for unknown or deleted ids. A request
    whose path is /hold waits until `release` is set (a busy session, e.g. an open stream)."""

    def __init__(self) -> None:
        self.live: set[str] = set()
        self.deleted: list[str] = []
        self.release = anyio.Event()
        self._ids = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sid = next((v.decode() for k, v in scope["headers"] if k == b"mcp-session-id"), None)
        headers: list[tuple[bytes, bytes]] = []
        if sid is None:
            sid = f"s{next(self._ids)}"
            self.live.add(sid)
            headers.append((b"mcp-session-id", sid.encode()))
            status = 200
        elif sid not in self.live:
            status = 404
        elif scope["method"] == "DELETE":
            self.live.discard(sid)
            self.deleted.append(sid)
            status = 200
        else:
            status = 200
        if scope["path"] == "/hold":
            await self.release.wait()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})


def scope(
    method: str = "POST", sid: str | None = None, client: str = "127.0.0.1", path: str = "/mcp"
) -> Scope:
    headers = [(b"mcp-session-id", sid.encode())] if sid else []
    return {
        "type": "http",
        "method": method,
        "path": path,
        "headers": headers,
        "query_string": b"",
        "client": (client, 50000),
    }


async def call(cap: SessionCap, s: Scope) -> tuple[int, dict[str, str], bytes]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await cap(s, receive, send)
    start = sent[0]
    headers = {k.decode(): v.decode() for k, v in start.get("headers", [])}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(per_client: int = 3, idle: float = 60.0) -> tuple[SessionCap, FakeSessionApp, Clock]:
    app, clock = FakeSessionApp(), Clock()
    return SessionCap(app, per_client=per_client, idle_timeout_s=idle, clock=clock), app, clock


async def open_session(cap: SessionCap, client: str = "127.0.0.1") -> str:
    status, headers, _ = await call(cap, scope(client=client))
    assert status == 200
    return headers["mcp-session-id"]


@pytest.mark.anyio
async def test_at_the_cap_the_least_recently_used_idle_session_is_closed() -> None:
    cap, app, clock = make()
    ids = []
    for _ in range(3):
        ids.append(await open_session(cap))
        clock.now += 1
    await call(cap, scope(sid=ids[0]))  # s1 used again: s2 is now the least recently used
    clock.now += 1
    newest = await open_session(cap)
    assert app.deleted == [ids[1]] and app.live == {ids[0], ids[2], newest}
    assert cap.live("127.0.0.1") == 3
    assert (await call(cap, scope(sid=ids[1])))[0] == 404


@pytest.mark.anyio
async def test_a_burst_never_grows_past_the_cap_and_other_clients_are_untouched() -> None:
    cap, app, _ = make()
    other = await open_session(cap, client="10.0.0.2")
    for _ in range(50):
        await open_session(cap)
    assert cap.live("127.0.0.1") == 3 and len(app.live) == 4 and other in app.live


@pytest.mark.anyio
async def test_busy_sessions_are_never_closed_a_new_one_gets_a_429() -> None:
    cap, app, _ = make(per_client=2)
    first, second = await open_session(cap), await open_session(cap)
    results: list[int] = []
    async with anyio.create_task_group() as tg:
        for sid in (first, second):
            tg.start_soon(_hold, cap, sid, results)
        await anyio.sleep(0.05)
        status, headers, body = await call(cap, scope())
        assert status == 429 and headers["retry-after"]
        assert b'"too_many_sessions"' in body and b'"fix"' in body
        assert app.live == {first, second} and not app.deleted
        app.release.set()
    assert results == [200, 200]
    assert (await call(cap, scope()))[0] == 200  # idle again: room is made


async def _hold(cap: SessionCap, sid: str, results: list[int]) -> None:
    results.append((await call(cap, scope(sid=sid, path="/hold")))[0])


@pytest.mark.anyio
async def test_ended_and_expired_sessions_stop_counting() -> None:
    cap, app, clock = make(per_client=2, idle=60)
    a, b = await open_session(cap), await open_session(cap)
    assert (await call(cap, scope("DELETE", sid=a)))[0] == 200
    assert cap.live("127.0.0.1") == 1
    app.live.discard(b)  # the app forgot it (its own idle timeout): a 404 ends it here too
    assert (await call(cap, scope(sid=b)))[0] == 404
    assert cap.live("127.0.0.1") == 0
    c = await open_session(cap)
    clock.now += 61
    await open_session(cap)
    await open_session(cap)
    assert c in app.live and c not in cap.sessions  # expired here: not closed, not counted
    assert (await call(cap, scope(sid=c)))[0] == 200  # still alive in the app: counted again
    assert c in cap.sessions


@pytest.mark.anyio
async def test_requests_that_open_nothing_pass_through() -> None:
    cap, app, _ = make(per_client=1)
    await open_session(cap)
    modern = scope()
    modern["headers"] = [(b"mcp-protocol-version", b"2099-01-01")]
    for s in (scope("GET"), modern):
        await call(cap, s)
    assert not app.deleted  # neither counted as a new session nor made room for one
