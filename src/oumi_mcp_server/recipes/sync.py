"""Fetch the `configs/` tree of Oumi's source archive into the user cache, atomically.

Layout under `cache_dir()/recipes`: `snapshots/<ref>-<n>/` folders and `current.json`, a pointer
(plus when/what was synced) replaced atomically, so a reader sees the old tree or the new one.
`last_attempt.json` says what the latest download is doing or how it ended, so any process (the
server, `doctor`) can tell "still trying" from "failed because X".
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import json
import logging
import os
import shutil
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

from oumi_mcp_server.core.atomic import write_text_atomic
from oumi_mcp_server.core.paths import cache_dir

logger = logging.getLogger(__name__)

ARCHIVE_URL_ENV = "OUMI_MCP_CONFIGS_ARCHIVE_URL"
DEFAULT_ARCHIVE_URL = "https://github.com/oumi-ai/oumi/archive/{ref}.tar.gz"
CONNECT_TIMEOUT_S = 8.0
MAX_FILE_BYTES = 2_000_000
MAX_TOTAL_BYTES = 200_000_000
KEPT_SUFFIXES = (".yaml", ".yml", ".md")
ATTEMPT_FILE = "last_attempt.json"

Opener = Callable[[str, float], IO[bytes]]


@dataclass
class SyncReport:
    """Outcome of one sync: `synced`, `up_to_date` or `failed`, with a sentence saying so."""

    state: Literal["synced", "up_to_date", "failed"]
    message: str
    ref: str | None = None
    files: int = 0
    synced_at: str | None = None
    directory: str | None = None
    ended_ts: float = field(default_factory=time.time)


@dataclass
class SyncProgress:
    """Where a running download is, updated by the thread running it, read by status answers."""

    url: str = ""
    started_ts: float = field(default_factory=time.time)
    received: int = 0


class _Counting(io.RawIOBase):
    """A response stream that adds what it reads to `progress.received`."""

    def __init__(self, stream: IO[bytes], progress: SyncProgress) -> None:
        super().__init__()
        self._stream = stream
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # read1: what has arrived, so `received` moves while a slow download trickles in.
        read = getattr(self._stream, "read1", self._stream.read)
        data = read(len(buffer))
        buffer[: len(data)] = data
        self._progress.received += len(data)
        return len(data)


def sync_root() -> Path:
    return cache_dir() / "recipes"


@functools.cache
def oumi_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("oumi")
    except PackageNotFoundError:
        return None


def archive_refs(version: str | None) -> list[str]:
    """Git refs to try: the installed release's tag, then `main` (dev builds: `main` only)."""
    if version and ".dev" not in version and "+" not in version:
        return [f"refs/tags/v{version}", "refs/heads/main"]
    return ["refs/heads/main"]


def archive_url(ref: str) -> str:
    return os.environ.get(ARCHIVE_URL_ENV, DEFAULT_ARCHIVE_URL).replace("{ref}", ref)


def default_opener(url: str, timeout: float) -> IO[bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": "oumi-mcp-server"})  # noqa: S310
    response: IO[bytes] = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310
    return response


def read_pointer() -> dict[str, Any] | None:
    """The current snapshot's record, or None when there is none (or it vanished)."""
    try:
        record: dict[str, Any] = json.loads((sync_root() / "current.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    directory = sync_root() / "snapshots" / str(record.get("snapshot", ""))
    if not record.get("snapshot") or not directory.is_dir():
        return None
    record["directory"] = str(directory)
    return record


def read_attempt() -> dict[str, Any] | None:
    """The latest download's record: `state` running|failed|synced, `pid`, `url`, `started_ts`,
    and once it ended, `ended_ts` and `detail` (the outcome's sentence). None when none was tried
    here."""
    try:
        record = json.loads((sync_root() / ATTEMPT_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("state") else None


def record_attempt(state: str, progress: SyncProgress, detail: str = "") -> None:
    """Write the attempt record (best effort: a read-only cache must not break the sync)."""
    record: dict[str, Any] = {
        "state": state,
        "pid": os.getpid(),
        "url": progress.url,
        "started_ts": progress.started_ts,
    }
    if state != "running":
        record |= {"ended_ts": time.time(), "detail": detail}
    with contextlib.suppress(OSError):
        sync_root().mkdir(parents=True, exist_ok=True)
        write_text_atomic(sync_root() / ATTEMPT_FILE, json.dumps(record), mode=0o644)


def is_stale(record: dict[str, Any] | None, ttl_s: float, version: str | None) -> bool:
    """Missing, synced for another oumi version, or older than the TTL."""
    if record is None:
        return True
    if version and record.get("oumi_version") and record["oumi_version"] != version:
        return True
    return time.time() - float(record.get("synced_ts", 0)) > ttl_s


def _members(archive: tarfile.TarFile) -> Iterator[tuple[tarfile.TarInfo, str]]:
    """Regular files under `<top>/configs/` with safe relative names."""
    for member in archive:
        parts = PurePosixPath(member.name).parts
        if len(parts) < 3 or parts[1] != "configs" or not member.isfile():
            continue
        rel = parts[2:]
        if any(p in ("", ".", "..") or p.startswith("/") for p in rel):
            continue
        if not rel[-1].lower().endswith(KEPT_SUFFIXES) or member.size > MAX_FILE_BYTES:
            continue
        yield member, "/".join(rel)


def extract_configs(stream: IO[bytes], target: Path) -> int:
    """Stream a .tar.gz and write its `configs/` YAML and README files under `target`."""
    count = total = 0
    # gzip (not tarfile's "r|gz") so a truncated download raises instead of ending early.
    with (
        gzip.GzipFile(fileobj=stream, mode="rb") as raw,
        tarfile.open(fileobj=raw, mode="r|") as archive,
    ):
        for member, rel in _members(archive):
            total += member.size
            if total > MAX_TOTAL_BYTES:
                raise ValueError("archive configs/ tree exceeds the size limit")
            source = archive.extractfile(member)
            if source is None:
                continue
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            with source, dest.open("wb") as out:
                shutil.copyfileobj(source, out)
            count += 1
        while raw.read(1 << 16):
            pass  # read to the end so the gzip checksum is verified
    return count


def _install(staging: Path, ref: str, url: str, files: int, version: str | None) -> SyncReport:
    """Make `staging` the current snapshot (atomic pointer swap), keep one previous, drop older."""
    root = sync_root()
    name = f"{ref.rsplit('/', 1)[-1]}-{time.time_ns()}"
    final = root / "snapshots" / name
    staging.rename(final)
    previous = read_pointer()
    now = time.time()
    record = {
        "snapshot": name,
        "ref": ref,
        "url": url,
        "files": files,
        "oumi_version": version,
        "synced_ts": now,
    }
    synced_at = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
    record["synced_at"] = synced_at
    write_text_atomic(root / "current.json", json.dumps(record), mode=0o644)
    keep = {name, previous["snapshot"] if previous else ""}
    for old in (root / "snapshots").iterdir():
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    return SyncReport(
        "synced",
        f"Synced {files} recipe files from {ref}.",
        ref,
        files,
        synced_at,
        str(final),
    )


@contextlib.contextmanager
def _sync_lock() -> Iterator[bool]:
    """Only one sync at a time across server processes; yields False when another holds it."""
    root = sync_root()
    root.mkdir(parents=True, exist_ok=True)
    with (root / "sync.lock").open("a+") as handle:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:
            yield True
            return
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _is_not_found(exc: Exception) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 404
    return isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, FileNotFoundError)


def _fresh_report(ttl_s: float, version: str | None) -> SyncReport | None:
    current = read_pointer()
    if current is None or is_stale(current, ttl_s, version):
        return None
    return SyncReport(
        "up_to_date",
        f"Recipes synced at {current.get('synced_at')} are fresh.",
        current.get("ref"),
        int(current.get("files", 0)),
        current.get("synced_at"),
        current.get("directory"),
    )


def sync_configs(
    force: bool = False,
    *,
    opener: Opener = default_opener,
    timeout: float = CONNECT_TIMEOUT_S,
    ttl_s: float = 7 * 86400,
    progress: SyncProgress | None = None,
) -> SyncReport:
    """Download and install the recipes for the installed oumi (blocking; run it off the loop).

    Never raises for network trouble: a failed sync leaves the previous snapshot in place. Says
    where it is in `progress` and in the attempt record while it runs, and how it ended.
    """
    progress = progress or SyncProgress()
    version = oumi_version()
    fresh = None if force else _fresh_report(ttl_s, version)
    if fresh is not None:
        return fresh
    with _sync_lock() as acquired:
        if not acquired:
            return SyncReport(
                "failed", "Another process is syncing the recipes; retry in a minute."
            )
        fresh = None if force else _fresh_report(ttl_s, version)  # another process just synced
        if fresh is not None:
            return fresh
        (sync_root() / "snapshots").mkdir(parents=True, exist_ok=True)
        errors: list[str] = []
        for ref in archive_refs(version):
            url = archive_url(ref)
            progress.url, progress.received = url, 0
            record_attempt("running", progress)
            staging = sync_root() / "snapshots" / f".staging-{os.getpid()}-{time.time_ns()}"
            try:
                with opener(url, timeout) as stream:
                    files = extract_configs(io.BufferedReader(_Counting(stream, progress)), staging)
                if not any(staging.rglob("*.yaml")):
                    raise ValueError("the archive holds no configs/*.yaml")
                report = _install(staging, ref, url, files, version)
                record_attempt("synced", progress, report.message)
                return report
            except Exception as exc:  # any network, archive or disk failure is reported
                shutil.rmtree(staging, ignore_errors=True)
                errors.append(f"{ref}: {type(exc).__name__}: {exc}"[:300])
                logger.info("recipe sync from %s failed: %s", url, exc)
                if not _is_not_found(exc):
                    break
        failed = SyncReport(
            "failed", "Could not download the Oumi recipes (" + "; ".join(errors) + ")."
        )
        record_attempt("failed", progress, failed.message)
        return failed
