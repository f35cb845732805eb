"""The job store: SQLite in WAL mode, safe for several server processes at once.

A record holds identity and history (`record.JobRecord`), never a cached status. The one
exception is `final_status`, written once when a job's exit record says completed, failed or
cancelled: that outcome can never change, and remembering it lets list filters skip finished jobs.
Schema changes are numbered migrations (`PRAGMA user_version`). On first open the JSON registry
of earlier Oumi MCP servers is imported once, read-only. Standard library only: the supervisor
records its job's outcome here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from oumi_mcp_server.jobs.record import LAUNCHER_BACKEND, LOCAL_BACKEND, JobRecord

logger = logging.getLogger(__name__)

DB_ENV = "OUMI_MCP_JOBS_DB"
LEGACY_IMPORT_KEY = "legacy_json_imported"

_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        command TEXT NOT NULL,
        backend TEXT NOT NULL,
        cluster TEXT NOT NULL DEFAULT '',
        backend_job_id TEXT NOT NULL,
        submitted_at REAL NOT NULL,
        run_dir TEXT NOT NULL,
        output_dir TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        config_path TEXT NOT NULL DEFAULT '',
        source_config TEXT NOT NULL DEFAULT '',
        cwd TEXT NOT NULL DEFAULT '',
        argv TEXT NOT NULL DEFAULT '[]',
        origin TEXT NOT NULL DEFAULT 'mcp',
        legacy_status TEXT,
        final_status TEXT,
        extra TEXT NOT NULL DEFAULT '{}',
        UNIQUE (backend, cluster, backend_job_id)
    );
    CREATE INDEX jobs_newest ON jobs (submitted_at DESC, id DESC);
    CREATE TABLE consumed_tokens (digest TEXT PRIMARY KEY, used_at REAL NOT NULL);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)

_COLUMNS = tuple(f.name for f in dataclasses.fields(JobRecord))
"""One column per JobRecord field, of the same name (the first migration creates them)."""
_JSON_COLUMNS = frozenset({"argv", "extra"})
_INSERT = (
    f"INSERT INTO jobs ({','.join(_COLUMNS)}) "  # noqa: S608 (constant column names)
    f"VALUES ({','.join('?' for _ in _COLUMNS)})"
)


def default_db_path() -> Path:
    from oumi_mcp_server.core.paths import state_dir

    value = os.environ.get(DB_ENV)
    return Path(value).expanduser() if value else state_dir() / "jobs.sqlite3"


def legacy_registry_paths() -> list[Path]:
    """Where earlier Oumi MCP servers kept their JSON registry (both known spellings)."""
    home = Path.home()
    return [
        home / ".cache" / "oumi-mcp" / "oumi-jobs.json",
        home / ".oumi" / "mcp" / "oumi-jobs.json",
    ]


class DuplicateJobError(Exception):
    """The id, or the (backend, cluster, backend job id) triple, is already stored."""


class TokenAlreadyUsedError(Exception):
    """A consent token may launch one job only."""


def _row_to_record(row: sqlite3.Row) -> JobRecord:
    return JobRecord(**{c: json.loads(row[c]) if c in _JSON_COLUMNS else row[c] for c in _COLUMNS})


def _record_values(rec: JobRecord) -> tuple[Any, ...]:
    return tuple(
        json.dumps(getattr(rec, c)) if c in _JSON_COLUMNS else getattr(rec, c) for c in _COLUMNS
    )


class JobStore:
    """Open (and migrate) the store at `path`; every method opens a short-lived connection."""

    busy_timeout_s = 30.0
    """How long a write waits for another process's write to finish before it fails."""

    def __init__(self, path: Path | None = None, *, import_legacy: bool = True) -> None:
        self.path = path or default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.created = self._migrate()
        if import_legacy:
            try:
                self.import_legacy(legacy_registry_paths())
            except sqlite3.OperationalError as exc:  # a read-only or busy store still reads
                logger.warning("legacy registry import postponed: %s", exc)

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            if not write:
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            if write:
                raise
            # A read-only or full disk: WAL cannot write its index; read the file as it is.
            uri = f"file:{self.path}?mode=ro&immutable=1"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            if write:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            else:
                yield conn
        finally:
            conn.close()

    def _migrate(self) -> bool:
        """Bring the schema up to date, writing only when needed; True when the store is new."""
        with self._connect() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version >= len(_MIGRATIONS):  # WAL was set when it was created (it persists)
            return False
        self._use_wal()
        with self._connect(write=True) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(_MIGRATIONS, start=1):
                if number > version:
                    for statement in filter(str.strip, script.split(";")):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version={number}")
        with suppress(OSError):
            self.path.chmod(0o600)
        return bool(version == 0)

    def _use_wal(self) -> None:
        """Switch a new store to WAL. The switch needs the file to itself, and SQLite does not
        wait for that: another server creating the same store at once makes it retry."""
        end = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                with self._connect() as conn:
                    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > end:
                    raise
                time.sleep(0.05)

    def check(self) -> None:
        """Raise sqlite3.DatabaseError when the file is damaged (a quick page-level check)."""
        with self._connect() as conn:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
            conn.execute("SELECT COUNT(*) FROM jobs").fetchone()
        if result != "ok":
            raise sqlite3.DatabaseError(f"quick_check: {str(result)[:200]}")

    def schema_version(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def insert(self, rec: JobRecord, *, consumed_token: str | None = None) -> None:
        """Store a new record; with `consumed_token`, spend that token in the same transaction."""
        try:
            with self._connect(write=True) as conn:
                if consumed_token is not None:
                    try:
                        conn.execute(
                            "INSERT INTO consumed_tokens VALUES (?, ?)",
                            (consumed_token, time.time()),
                        )
                    except sqlite3.IntegrityError:
                        raise TokenAlreadyUsedError(consumed_token) from None
                conn.execute(_INSERT, _record_values(rec))
        except sqlite3.IntegrityError as exc:
            raise DuplicateJobError(rec.id) from exc

    def spend_token(self, digest: str) -> None:
        """Make a consent token that launches no job (cancel, stop, down) single-use."""
        with self._connect(write=True) as conn:
            try:
                conn.execute("INSERT INTO consumed_tokens VALUES (?, ?)", (digest, time.time()))
            except sqlite3.IntegrityError:
                raise TokenAlreadyUsedError(digest) from None

    def get(self, job_id: str) -> JobRecord | None:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _row_to_record(row) if row else None

    def find_backend_job(self, backend: str, cluster: str, backend_job_id: str) -> JobRecord | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT * FROM jobs WHERE backend = ? AND cluster = ? AND backend_job_id = ?",
                (backend, cluster, backend_job_id),
            ).fetchone()
        return _row_to_record(row) if row else None

    def page(
        self, *, before: tuple[float, str] | None, limit: int, unfinished_only: bool = False
    ) -> list[JobRecord]:
        """Newest first, strictly older than `before` (submitted_at, id)."""
        where, args = [], []
        if before is not None:
            where.append("(submitted_at < ? OR (submitted_at = ? AND id < ?))")
            args += [before[0], before[0], before[1]]
        if unfinished_only:
            where.append("final_status IS NULL")
        sql = "SELECT * FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY submitted_at DESC, id DESC LIMIT ?"
        with self._connect() as conn:
            rows = conn.execute(sql, (*args, limit)).fetchall()
        return [_row_to_record(r) for r in rows]

    def unfinished(self, limit: int = 1_000) -> list[JobRecord]:
        """Jobs with no remembered outcome, newest first: what a reconcile pass looks at."""
        return self.page(before=None, limit=limit, unfinished_only=True)

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])

    def set_final_statuses(self, outcomes: dict[str, str]) -> None:
        """Remember terminal outcomes read from exit records (first write wins), in one go."""
        with self._connect(write=True) as conn:
            conn.executemany(
                "UPDATE jobs SET final_status = ? WHERE id = ? AND final_status IS NULL",
                [(status, job_id) for job_id, status in outcomes.items()],
            )

    def insert_many(self, records: list[JobRecord], spent_tokens: Sequence[str] = ()) -> None:
        """Bulk insert (imports, rebuilds, benchmarks) in one transaction."""
        with self._connect(write=True) as conn:
            conn.executemany(_INSERT, [_record_values(r) for r in records])
            conn.executemany(
                "INSERT OR IGNORE INTO consumed_tokens VALUES (?, ?)",
                [(t, time.time()) for t in spent_tokens],
            )

    def update_extra(self, job_id: str, **fields: Any) -> None:
        """Merge backend-specific fields (cluster backends keep launch details here)."""
        with self._connect(write=True) as conn:
            row = conn.execute("SELECT extra FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return
            extra = json.loads(row["extra"]) | fields
            conn.execute("UPDATE jobs SET extra = ? WHERE id = ?", (json.dumps(extra), job_id))

    def delete(self, job_ids: list[str]) -> int:
        with self._connect(write=True) as conn:
            return sum(
                conn.execute("DELETE FROM jobs WHERE id = ?", (j,)).rowcount for j in job_ids
            )

    def finished_before(self, cutoff: float, limit: int = 10_000) -> list[JobRecord]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM jobs WHERE submitted_at < ? ORDER BY submitted_at LIMIT ?",
                (cutoff, limit),
            ).fetchall()
        return [_row_to_record(r) for r in rows]

    def meta(self, key: str) -> str | None:
        with self._connect() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row["value"]) if row else None

    def import_legacy(self, paths: list[Path]) -> int:
        """Import earlier servers' JSON registries once (read-only); returns records added."""
        if self.meta(LEGACY_IMPORT_KEY) is not None:
            return 0
        added = 0
        with self._connect(write=True) as conn:
            if conn.execute("SELECT 1 FROM meta WHERE key = ?", (LEGACY_IMPORT_KEY,)).fetchone():
                return 0
            unreadable = False
            for path in paths:
                records = _read_legacy(path)
                unreadable |= records is None
                for rec in records or []:
                    cur = conn.execute(
                        _INSERT.replace("INSERT", "INSERT OR IGNORE", 1), _record_values(rec)
                    )
                    added += cur.rowcount
            if unreadable:  # retried at the next start: a half-written file may be whole then
                return added
            conn.execute(
                "INSERT INTO meta VALUES (?, ?)",
                (LEGACY_IMPORT_KEY, json.dumps({"at": time.time(), "added": added})),
            )
        if added:
            logger.info("imported %d job records from the legacy JSON registry", added)
        return added


def _parse_time(value: Any) -> float:
    from datetime import UTC, datetime

    try:
        ts = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp()


_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}\Z")


def legacy_id(job_id: str) -> str:
    """An id every tool can address: the legacy one when it fits the id pattern, else a
    readable stand-in (the original stays in the record's `extra`)."""
    if _ID_OK.match(job_id):
        return job_id
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", job_id).strip("-.")[:60] or "job"
    return f"legacy-{slug}-{hashlib.sha256(job_id.encode()).hexdigest()[:8]}"


def _read_legacy(path: Path) -> list[JobRecord] | None:
    """The records in one legacy registry; None when it exists but cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        logger.warning("legacy registry %s unreadable, retried at the next start: %s", path, exc)
        return None
    out: list[JobRecord] = []
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, dict) or not entry.get("job_id"):
            continue
        job_id = str(entry["job_id"])
        cloud = str(entry.get("cloud") or "local")
        backend = LOCAL_BACKEND if cloud == "local" else LAUNCHER_BACKEND
        status = entry.get("status")
        out.append(
            JobRecord(
                id=legacy_id(job_id),
                name=job_id[:128],
                command=str(entry.get("command") or ""),
                backend=backend,
                cluster=str(entry.get("cluster_name") or ""),
                backend_job_id=job_id,
                submitted_at=_parse_time(entry.get("submit_time")),
                run_dir=str(entry.get("log_dir") or ""),
                output_dir=str(entry.get("output_dir") or ""),
                model=str(entry.get("model_name") or ""),
                config_path=str(entry.get("config_path") or ""),
                source_config=str(entry.get("config_path") or ""),
                origin=f"legacy:{path}",
                legacy_status=str(status).lower() if status else None,
                extra={"cloud": cloud, "legacy_id": job_id},
            )
        )
    return out
