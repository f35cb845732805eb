"""Quote user or file text in an answer without echoing it: escaped and cut short.

A key name, an alias or a path can be anything its author wrote (a password hash, a 10 MB
line, terminal escapes); answers quote at most a short, printable prefix of it.
"""

from __future__ import annotations

KEY_CHARS = 40
PATH_CHARS = 160
ELLIPSIS = "…"


def short(text: object, limit: int = KEY_CHARS) -> str:
    """`text` with non-printable characters escaped (`\\x1b`), cut to `limit` chars plus '…'."""
    raw = str(text)
    out: list[str] = []
    size = 0
    for char in raw:
        piece = char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        if size + len(piece) > limit:
            return "".join(out) + ELLIPSIS
        out.append(piece)
        size += len(piece)
    return "".join(out)


def short_path(path: object) -> str:
    """A path for a message: its start and its end (the file name) when it is too long."""
    raw = str(path)
    if len(raw) <= PATH_CHARS:
        return short(raw, PATH_CHARS)
    tail = PATH_CHARS // 2
    return short(raw[: PATH_CHARS - tail], PATH_CHARS) + ELLIPSIS + short(raw[-tail:], PATH_CHARS)
