"""Where recipes come from: `OUMI_MCP_CONFIGS_DIR`, else the synced cache, else nothing (yet).

The cache is filled and refreshed by one background thread, so neither server start nor a tool
call ever waits on the network.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from oumi_mcp_server.recipes import sync

CONFIGS_DIR_ENV = "OUMI_MCP_CONFIGS_DIR"
AUTO_SYNC_ENV = "OUMI_MCP_CONFIGS_AUTO_SYNC"
TTL_ENV = "OUMI_MCP_CONFIGS_TTL_HOURS"
DEFAULT_TTL_HOURS = 168.0
RETRY_AFTER_FAILURE_S = 600.0


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
            self._thread = threading.Thread(
                target=self._run, args=(force,), name="recipe-sync", daemon=True
            )
            self._thread.start()
            return True

    def _run(self, force: bool) -> None:
        try:
            report = sync.sync_configs(force, opener=self.opener, ttl_s=ttl_seconds())
        except Exception as exc:  # a bug here must not kill the thread silently
            report = sync.SyncReport("failed", f"Recipe sync crashed: {type(exc).__name__}: {exc}")
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
