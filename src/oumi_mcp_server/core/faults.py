"""What a failing disk or database means for the person, as a structured error with the fix.

Tools, resources and the dashboard turn any `OSError` or `sqlite3.Error` that escapes a service
into one of these instead of a bare "Error executing tool".
"""

from __future__ import annotations

import errno
import sqlite3

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.paths import state_dir

_DISK = {
    errno.ENOSPC: (
        "disk_full",
        "The disk holding the server's state is full",
        "Free some space (jobs prune removes old finished jobs), then retry.",
    ),
    errno.EDQUOT: (
        "disk_full",
        "The disk quota for the server's state is used up",
        "Free some space (jobs prune removes old finished jobs), then retry.",
    ),
    errno.EROFS: (
        "state_read_only",
        "The server's state folder is on a read-only file system",
        "Point OUMI_MCP_STATE_DIR at a writable folder, or remount it read-write.",
    ),
    errno.EACCES: (
        "state_not_writable",
        "The server may not write in its state folder",
        "Give the server's user write access to it, or set OUMI_MCP_STATE_DIR.",
    ),
    errno.EPERM: (
        "state_not_writable",
        "The server may not change a file in its state folder",
        "Check the folder's permissions and immutable flags (lsattr), then retry.",
    ),
    errno.EIO: (
        "disk_error",
        "The disk reported an I/O error",
        "Check the disk (dmesg); the job store can be rebuilt with 'oumi-mcp-server jobs repair'.",
    ),
}


def fault_error(exc: BaseException) -> ServiceError | None:
    """The structured error for a disk or database fault, or None for anything else."""
    where = str(state_dir())
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return ServiceError(
                "store_busy",
                "The job store stayed locked by another process for too long.",
                "Another oumi-mcp-server may be stuck writing; retry in a minute, or stop it.",
            )
        if "readonly" in text or "read-only" in text:
            code, what, fix = _DISK[errno.EROFS]
            return ServiceError(code, f"{what} ({where}).", fix)
        if "disk is full" in text or "database or disk is full" in text:
            code, what, fix = _DISK[errno.ENOSPC]
            return ServiceError(code, f"{what} ({where}).", fix)
        return ServiceError(
            "store_unavailable",
            f"The job store in {where} cannot be used right now ({text[:80]}).",
            "Check the disk holding it (free space, permissions, mount), then retry.",
        )
    if isinstance(exc, sqlite3.DatabaseError):
        return ServiceError(
            "store_damaged",
            f"The job store in {where} is damaged ({str(exc)[:80]}).",
            "Run 'oumi-mcp-server jobs repair': it sets the damaged file aside and rebuilds the "
            "store from the run folders.",
        )
    if isinstance(exc, OSError) and exc.errno in _DISK:
        code, what, fix = _DISK[exc.errno]
        return ServiceError(code, f"{what} ({where}).", fix)
    return None
