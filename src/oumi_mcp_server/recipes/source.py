"""Where recipes come from: `OUMI_MCP_CONFIGS_DIR`, else the synced cache, else nothing (yet).

The cache is filled and refreshed by one background thread, so server start never waits on the
network. `recipe_status` says what is true right now (ready, downloading, failed and why, or
not downloaded), in the words the search error, `sync_configs`, `doctor` and the demo all use.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from oumi_mcp_server.recipes import sync

CONFIGS_DIR_ENV = "OUMI_MCP_CONFIGS_DIR"
AUTO_SYNC_ENV = "OUMI_MCP_CONFIGS_AUTO_SYNC"
TTL_ENV = "OUMI_MCP_CONFIGS_TTL_HOURS"
DEFAULT_TTL_HOURS = 168.0
RETRY_AFTER_FAILURE_S = 600.0
STALE_RUNNING_S = 3 * 3600.0
"""A 'running' attempt record older than this is an interrupted one, whatever its pid says."""


@dataclass(frozen=True)
class Source:
    """`kind` is env, cache or none; `label` says it in a few words for answers."""

    kind: str
    root: Path | None
    label: str


def ttl_seconds() -> float:
    try:
        return max(float(os.environ.get(TTL_ENV, DEFAULT_TTL_HOURS)), 0.0) * 3600
    except ValueError:
        return DEFAULT_TTL_HOURS * 3600


def auto_sync_enabled() -> bool:
    return os.environ.get(AUTO_SYNC_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def resolve_source() -> Source:
    env = os.environ.get(CONFIGS_DIR_ENV, "").strip()
    if env:
        root = Path(env).expanduser()
        if root.is_dir() and not (root / "recipes").is_dir() and (root / "configs").is_dir():
            root = root / "configs"
        return Source("env", root.resolve() if root.is_dir() else root, f"{CONFIGS_DIR_ENV}={env}")
    record = sync.read_pointer()
    if record is not None:
        ref = str(record.get("ref", "")).rsplit("/", 1)[-1]
        return Source(
            "cache",
            Path(record["directory"]),
            f"cache of oumi {ref}, synced {record.get('synced_at')}",
        )
    return Source("none", None, "no recipes yet")


class BackgroundSync:
    """At most one sync thread per process; remembers the last outcome for status answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self.last: sync.SyncReport | None = None
        self.progress: sync.SyncProgress | None = None
        self._last_failure = 0.0
        self.opener: sync.Opener = sync.default_opener

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, force: bool = False, *, automatic: bool = False) -> bool:
        """Start a sync unless one runs; `automatic` ones back off for a while after a failure."""
        with self._lock:
            if self.running():
                return False
            if (
                automatic
                and time.monotonic() - self._last_failure < RETRY_AFTER_FAILURE_S
                and self._last_failure
            ):
                return False
            self._done = threading.Event()
            self.progress = sync.SyncProgress()
            self._thread = threading.Thread(
                target=self._run, args=(force,), name="recipe-sync", daemon=True
            )
            self._thread.start()
            return True

    def _run(self, force: bool) -> None:
        progress = self.progress or sync.SyncProgress()
        try:
            report = sync.sync_configs(
                force, opener=self.opener, ttl_s=ttl_seconds(), progress=progress
            )
        except Exception as exc:  # a bug here must not kill the thread silently
            crash = f"{type(exc).__name__}: {exc}"[:300]
            report = sync.SyncReport("failed", f"Recipe sync crashed: {crash}")
            sync.record_attempt("failed", progress, report.message)
        self.last = report
        if report.state == "failed":
            self._last_failure = time.monotonic()
        self._done.set()

    def wait(self, timeout: float) -> sync.SyncReport | None:
        """The outcome if the running sync ends within `timeout` seconds, else None."""
        thread = self._thread
        if thread is None:
            return self.last
        return self.last if self._done.wait(timeout) else None


BACKGROUND = BackgroundSync()


def refresh_in_background(source: Source) -> None:
    """Kick a background download when the cache is missing or older than the TTL."""
    if source.kind == "env" or not auto_sync_enabled():
        return
    record = sync.read_pointer() if source.kind == "cache" else None
    if sync.is_stale(record, ttl_seconds(), sync.oumi_version()):
        BACKGROUND.start(automatic=True)


StatusState = Literal["ready", "bad_env", "downloading", "failed", "not_downloaded"]

FIX = (
    f"Set {CONFIGS_DIR_ENV} to a folder of Oumi recipes (the configs/ folder of an oumi "
    "checkout), or run `oumi-mcp-server sync-configs` (the sync_configs tool) once this machine "
    "is online."
)


@dataclass(frozen=True)
class RecipeStatus:
    """What the catalog can give right now; `fix` is empty when it is ready."""

    state: StatusState
    message: str
    fix: str
    source: Source


def _ago(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    if seconds < 1:
        return "just now"
    if seconds < 60:
        return f"{seconds:.1f} s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.1f} KB"


def _number(record: dict[str, Any], key: str) -> float:
    """A number from the attempt record (a file anyone could have edited); 0 when it is not."""
    value = record.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, OSError):
        return False
    return True


def _attempt() -> dict[str, Any] | None:
    """The latest attempt: the record on disk, else this process's last report (a cache folder
    that cannot be written keeps no record)."""
    record = sync.read_attempt()
    last = BACKGROUND.last
    if record is None and last is not None and last.state == "failed":
        return {"state": "failed", "detail": last.message, "ended_ts": last.ended_ts}
    return record


def _downloading(record: dict[str, Any] | None, now: float) -> str | None:
    """A sentence about the download under way (this process's or another's), else None."""
    progress = BACKGROUND.progress if BACKGROUND.running() else None
    if progress is not None:
        got = f"{_size(progress.received)} received" if progress.received else "no answer"
        where = f" from {progress.url}" if progress.url else ""
        return (
            f"The Oumi recipes are being downloaded{where} (started "
            f"{_ago(now - progress.started_ts)}, {got} so far); there is nothing to search yet."
        )
    if record is None or record.get("state") != "running":
        return None
    started = _number(record, "started_ts")
    pid = int(_number(record, "pid"))
    if now - started > STALE_RUNNING_S or not _alive(pid):
        return None
    return (
        f"Process {pid} is downloading the Oumi recipes from {record.get('url')} (started "
        f"{_ago(now - started)}); there is nothing to search yet."
    )


def recipe_status(source: Source | None = None) -> RecipeStatus:
    """The one account of the recipe catalog's state, for every surface that reports it."""
    source = source or resolve_source()
    if source.kind == "env" and (source.root is None or not source.root.is_dir()):
        return RecipeStatus(
            "bad_env",
            f"{CONFIGS_DIR_ENV} points to {source.root}, which is not a folder.",
            f"Fix or unset {CONFIGS_DIR_ENV}.",
            source,
        )
    now = time.time()
    record = _attempt()
    if source.root is not None:
        message = f"Recipes from {source.label}."
        ended = _number(record, "ended_ts") if record else 0.0
        if record and record.get("state") == "failed" and source.kind == "cache":
            detail = str(record.get("detail", ""))[:600].rstrip(".")
            message += f" Refreshing them failed {_ago(now - ended)}: {detail}."
        return RecipeStatus("ready", message, "", source)
    running = _downloading(record, now)
    if running:
        return RecipeStatus("downloading", running, f"Retry in a minute. Offline? {FIX}", source)
    if record and record.get("state") in ("failed", "running"):
        if record["state"] == "running":
            reason = f"Process {record.get('pid')} ended before it finished."
            ended = _number(record, "started_ts")
        else:
            reason = str(record.get("detail", ""))[:600]
            ended = _number(record, "ended_ts")
        return RecipeStatus(
            "failed",
            f"No recipes: the last download failed {_ago(now - ended)}. {reason}",
            FIX,
            source,
        )
    if auto_sync_enabled():
        message = (
            f"No recipes yet: {CONFIGS_DIR_ENV} is not set and none were downloaded; the server "
            "downloads them when a recipe tool is first used."
        )
    else:
        message = (
            f"No recipes: {CONFIGS_DIR_ENV} is not set, none were downloaded, and automatic "
            f"download is off ({AUTO_SYNC_ENV}=0)."
        )
    return RecipeStatus("not_downloaded", message, FIX, source)
