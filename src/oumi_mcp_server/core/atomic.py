"""Replace a file whole: readers (other servers, supervisors, clients) see the old content or the
new, never half of one, and a failed write leaves no temporary file behind. Standard library only:
the job supervisor imports this."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomic(path: Path, text: str, *, mode: int = 0o600, fsync: bool = False) -> None:
    """Write a temporary file beside `path`, then rename it over `path`.

    `fsync` makes the content durable before the rename (records that must survive a crash).
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def create_once(path: Path, data: bytes, *, mode: int = 0o600) -> bool:
    """Create `path` holding `data` unless it exists; True when this call created it.

    Written beside it, then hard-linked into place: concurrent creators agree on one content (the
    first link wins) and no reader ever sees a partial file.
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        tmp.chmod(mode)
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True
