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
