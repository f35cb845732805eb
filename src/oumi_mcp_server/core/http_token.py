"""The bearer token every HTTP client must send (MCP over HTTP and the dashboard).

Other users and processes share the machine, loopback included, so HTTP is never open. The token
comes from `--token-file PATH`, else `OUMI_MCP_TOKEN`, else `<state_dir>/http.token`, generated
(256 random bits, mode 0600) on first use and reused afterwards. Never from a command-line value:
every user can read those in `ps`. Messages say where the token is, never what it is.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from oumi_mcp_server.core.atomic import create_once
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.paths import state_dir

TOKEN_ENV = "OUMI_MCP_TOKEN"  # noqa: S105 - a variable name
TOKEN_FILE = "http.token"  # noqa: S105 - a file name
MIN_CHARS = 32
MAX_CHARS = 512
_SHAPE = re.compile(r"[!-~]+")  # visible ASCII: what fits an Authorization header as is
_GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(32))' > FILE; chmod 600 FILE"


@dataclass(frozen=True)
class HttpToken:
    """A validated token and where it came from (for messages); the value never reprs."""

    value: str = field(repr=False)
    source: str  # TOKEN_ENV or a file path
    created: bool = False

    @property
    def where(self) -> str:
        if self.source == TOKEN_ENV:
            return f"the environment variable {TOKEN_ENV}"
        return f"the file {self.source}"

    def fix(self) -> str:
        """How a refused client gets in: said in every 401 answer."""
        return (
            f"Send the header 'Authorization: Bearer <token>' with the token in {self.where}. "
            "`oumi-mcp-server init <client> --http` writes it into a client's config."
        )

    def cookie_value(self) -> str:
        """The dashboard's session cookie: derived, so a leaked cookie cannot drive MCP."""
        key = self.value.encode()
        return hmac.new(key, b"oumi-mcp-server dashboard cookie", hashlib.sha256).hexdigest()


def default_path() -> Path:
    return state_dir() / TOKEN_FILE


def validate(value: str, where: str) -> str:
    """The token without surrounding whitespace; refuses short or header-breaking values."""
    token = value.strip()
    if len(token) < MIN_CHARS:
        raise ServiceError(
            "http_token_too_short",
            f"The token in {where} has {len(token)} characters; at least {MIN_CHARS} are needed.",
            f"Use a long random token: {_GENERATE}, then pass --token-file FILE; or unset "
            f"{TOKEN_ENV} to use the one generated in the state folder.",
        )
    if len(token) > MAX_CHARS or not _SHAPE.fullmatch(token):
        raise ServiceError(
            "http_token_malformed",
            f"The token in {where} must be {MIN_CHARS}-{MAX_CHARS} visible ASCII characters "
            "without spaces.",
            f"Generate one: {_GENERATE}.",
        )
    return token


def read_file(path: Path) -> str:
    """A private regular file's token. Refuses a file other users could read or write."""
    where = f"the file {path}"
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ServiceError(
            "http_token_file_missing",
            f"No token file at {path}.",
            f"Create it: {_GENERATE.replace('FILE', str(path))}.",
        ) from None
    except OSError as exc:
        raise ServiceError(
            "http_token_file_unreadable", f"Cannot read {path}: {exc.strerror}.", "Check it."
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise ServiceError(
            "http_token_file_unreadable", f"{path} is not a regular file.", "Point to a file."
        )
    if os.name == "posix" and (info.st_mode & 0o077 or info.st_uid != os.getuid()):
        raise ServiceError(
            "http_token_file_not_private",
            f"{path} is not private to you (mode {stat.S_IMODE(info.st_mode):04o}): "
            "other users may know the token.",
            f"chmod 600 {path} if you own it, or delete it to get a new token.",
        )
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_CHARS + 64)
        text = raw.decode("ascii")
    except (OSError, UnicodeDecodeError):
        raise ServiceError(
            "http_token_malformed",
            f"{path} does not hold an ASCII token.",
            f"Generate one: {_GENERATE}.",
        ) from None
    return validate(text, where)


def load(token_file: Path | None = None) -> HttpToken:
    """The token from `token_file`, else the environment, else the state folder (made once)."""
    if token_file is not None:
        return HttpToken(read_file(token_file), str(token_file))
    env = os.environ.get(TOKEN_ENV)
    if env:
        return HttpToken(validate(env, f"the environment variable {TOKEN_ENV}"), TOKEN_ENV)
    path = default_path()
    try:
        created = not path.exists() and create_once(path, secrets.token_urlsafe(32).encode())
    except OSError as exc:
        raise ServiceError(
            "http_token_file_unwritable",
            f"Cannot create the token file {path}: {exc.strerror}.",
            f"Make the state folder writable, or set {TOKEN_ENV} or pass --token-file.",
        ) from None
    return HttpToken(read_file(path), str(path), created=created)
