"""Resolve a user's path against the client's project folder, refusing escapes."""

from __future__ import annotations

from pathlib import Path

from oumi_mcp_server.core.echo import short_path
from oumi_mcp_server.core.errors import ServiceError


def require_client_cwd(client_cwd: str) -> Path:
    """The client's project folder: absolute, existing, a directory."""
    if not client_cwd or "\x00" in client_cwd:
        raise ServiceError(
            "bad_client_cwd", "client_cwd is empty.", "Pass the user's absolute project folder."
        )
    cwd = Path(client_cwd)
    if not cwd.is_absolute():
        raise ServiceError(
            "bad_client_cwd",
            f"client_cwd must be absolute, got '{short_path(client_cwd)}'.",
            "Pass the absolute path of the user's project folder.",
        )
    try:
        is_dir = cwd.is_dir()
    except (OSError, ValueError):  # a name too long, a lone surrogate: no such folder either
        is_dir = False
    if not is_dir:
        raise ServiceError(
            "bad_client_cwd",
            f"client_cwd '{short_path(client_cwd)}' is not a directory.",
            "Pass an existing folder.",
        )
    return cwd.resolve()


def resolve_in_workspace(path: str, client_cwd: str, *, allow_outside: bool = False) -> Path:
    """Resolve `path` (absolute, or relative to `client_cwd`), following symlinks.

    A relative path that lands outside `client_cwd` (through `..` or a symlink) is refused unless
    `allow_outside`: an assistant given a relative path means the user's project.
    """
    if not path or "\x00" in path:
        raise ServiceError(
            "bad_path", "The path is empty or holds a NUL byte.", "Pass a file path."
        )
    cwd = require_client_cwd(client_cwd)
    try:
        raw = Path(path).expanduser()
        resolved = (raw if raw.is_absolute() else cwd / raw).resolve()
    except (OSError, ValueError, RuntimeError):  # ~nosuchuser, a lone surrogate, a loop
        raise ServiceError(
            "bad_path",
            f"'{short_path(path)}' cannot be resolved to a file on this machine.",
            "Pass a plain path, absolute or relative to client_cwd.",
        ) from None
    if not raw.is_absolute() and not allow_outside and not resolved.is_relative_to(cwd):
        raise ServiceError(
            "path_outside_workspace",
            f"'{short_path(path)}' resolves to {short_path(resolved)}, outside the project folder "
            f"{short_path(cwd)}.",
            "Use a path inside client_cwd, or an absolute path if the file really lives elsewhere.",
        )
    return resolved
