"""Read a file a user or a job named, bounded: stat before read, regular files only, never hang.

A FIFO blocks its reader until a writer comes, a device streams forever, a sparse file claims
gigabytes it never wrote, `/proc` files claim 0 bytes and then fail or grow: each is refused
from its metadata before a byte is read (checked again on the opened descriptor, which is
opened non-blocking so that a FIFO swapped in meanwhile cannot hang us), and at most
`max_bytes + 1` bytes are ever read. Every failure is a ServiceError that names the path
(shortened) and never quotes the content.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO

from oumi_mcp_server.core.echo import short_path
from oumi_mcp_server.core.errors import ServiceError

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def os_error(exc: OSError, path: str | Path, kind: str = "file") -> ServiceError:
    """The structured error for an OSError met while opening or reading `path`."""
    shown = short_path(path)
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return ServiceError(
            f"{kind}_not_found",
            f"{shown} does not exist.",
            "Check the path; relative paths are resolved against client_cwd.",
        )
    if exc.errno == errno.ENAMETOOLONG:
        return ServiceError(
            "path_too_long",
            f"The path is too long for the file system ({len(str(path)):,} characters; a name "
            "may have at most 255 bytes).",
            "Pass a shorter path.",
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ServiceError(
            f"{kind}_not_readable",
            f"Permission denied reading {shown}.",
            "Make the file readable by the server's user, or pass another file.",
        )
    if exc.errno == errno.ELOOP:
        return ServiceError(
            "path_symlink_loop",
            f"{shown} is a symlink loop.",
            "Fix the symlink or pass the real file.",
        )
    reason = exc.strerror or errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    return ServiceError(
        f"{kind}_unreadable",
        f"Cannot read {shown}: {reason}.",
        "Pass a regular file the server can read (not a device or a /proc file).",
    )


def _check(st: os.stat_result, path: str | Path, max_bytes: int, kind: str) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise ServiceError(
            f"{kind}_not_a_file",
            f"{short_path(path)} is {_kind(st.st_mode)}, not a regular file; it was not read.",
            "Pass a regular file.",
        )
    if st.st_size > max_bytes:
        raise _too_large(path, max_bytes, kind, st.st_size)


def _too_large(path: str | Path, max_bytes: int, kind: str, size: int | None) -> ServiceError:
    what = f"{size:,} bytes" if size is not None else "over the limit"
    return ServiceError(
        f"{kind}_too_large",
        f"{short_path(path)} is {what}; the limit is {max_bytes:,} bytes.",
        "Pass the file meant here (an Oumi YAML config is a few KB), not a data or model file.",
    )


def path_exists(path: str | Path) -> bool:
    """Like Path.exists, but False (not an OSError) for a name too long or otherwise unusable."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def open_regular_file(
    path: str | Path, max_bytes: int | None = None, *, kind: str = "file"
) -> BinaryIO:
    """`path` opened for reading once it is known to be a regular file (of at most `max_bytes`).

    For streaming reads; the caller still bounds what it reads. `kind` prefixes the error codes
    (`config` gives `config_not_found`, `config_too_large`...).
    """
    limit = max_bytes if max_bytes is not None else sys.maxsize
    try:
        _check(Path(path).stat(), path, limit, kind)
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise os_error(exc, path, kind) from None
    except ValueError:  # a NUL byte, or a lone surrogate the file system cannot encode
        raise ServiceError(
            "bad_path",
            "The path holds a NUL byte or characters no file name can hold.",
            "Pass the file's real path.",
        ) from None
    try:
        _check(os.fstat(fd), path, limit, kind)  # the file may have been swapped since the stat
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_regular_file(path: str | Path, max_bytes: int, *, kind: str = "file") -> bytes:
    """The bytes of `path`, a regular file of at most `max_bytes`; else a ServiceError.

    Never reads more than `max_bytes + 1` bytes (a file can grow, or lie about its size).
    """
    with open_regular_file(path, max_bytes, kind=kind) as fh:
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise os_error(exc, path, kind) from None
    if len(data) > max_bytes:
        raise _too_large(path, max_bytes, kind, None)
    return data
