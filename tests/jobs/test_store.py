"""The SQLite job store: WAL, migrations, uniqueness, single-use tokens, legacy JSON import."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

import pytest

from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.jobs.store import DuplicateJobError, JobStore, TokenAlreadyUsedError


def _rec(job_id: str, ts: float, **kw: object) -> JobRecord:
    base: dict[str, object] = dict(
        id=job_id,
        name=job_id,
        command="train",
        backend="local",
        backend_job_id=job_id,
        submitted_at=ts,
        run_dir=f"/nowhere/{job_id}",
    )
    base.update(kw)
    return JobRecord(**base)  # type: ignore[arg-type]


def test_store_is_wal_and_migrated(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "j.db")
    assert store.schema_version() >= 1
    conn = sqlite3.connect(tmp_path / "j.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    JobStore(tmp_path / "j.db")  # reopening applies nothing twice
    assert store.schema_version() == JobStore(tmp_path / "j.db").schema_version()


def test_roundtrip_pages_newest_first_and_uniqueness(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "j.db")
    for i in range(5):
        store.insert(_rec(f"job-{i}", 1000.0 + i, argv=["a", "b c"], extra={"k": i}))
    got = store.get("job-3")
    assert got is not None and got.argv == ["a", "b c"] and got.extra == {"k": 3}
    first = store.page(before=None, limit=2)
    assert [r.id for r in first] == ["job-4", "job-3"]
    rest = store.page(before=(first[-1].submitted_at, first[-1].id), limit=10)
    assert [r.id for r in rest] == ["job-2", "job-1", "job-0"]
    with pytest.raises(DuplicateJobError):
        store.insert(_rec("job-1", 1.0))
    # (backend, cluster, backend job id) is unique even under another id.
    store.insert(_rec("c1", 1.0, backend="launcher", cluster="gcp-a", backend_job_id="7"))
    with pytest.raises(DuplicateJobError):
        store.insert(_rec("c2", 1.0, backend="launcher", cluster="gcp-a", backend_job_id="7"))
    store.insert(_rec("c3", 1.0, backend="launcher", cluster="gcp-b", backend_job_id="7"))
    found = store.find_backend_job("launcher", "gcp-b", "7")
    assert found is not None and found.id == "c3"


def test_token_is_spent_with_the_insert(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "j.db")
    store.insert(_rec("a", 1.0), consumed_token="tok")
    with pytest.raises(TokenAlreadyUsedError):
        store.insert(_rec("b", 2.0), consumed_token="tok")
    assert store.get("b") is None  # the failed insert left nothing behind


def _legacy_file(home: Path, sub: tuple[str, ...], entries: list[dict[str, object]]) -> Path:
    path = home.joinpath(*sub, "oumi-jobs.json")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(entries, indent=2))
    return path


def test_legacy_registry_imported_once_without_touching_it(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A service without the launcher backend: a cluster record says what it last knew.
    home = isolated_env / "home"
    new_style = _legacy_file(
        home,
        (".cache", "oumi-mcp"),
        [
            {
                "job_id": "train_20250101_120000_abc123",
                "command": "train",
                "config_path": "/x/c.yaml",
                "cloud": "local",
                "cluster_name": "",
                "model_name": "m",
                "submit_time": "2025-01-01T12:00:00Z",
                "output_dir": "/x/out",
                "log_dir": "",
            },  # no legacy status field
            {
                "job_id": "sky-3",
                "command": "train",
                "config_path": "/x/j.yaml",
                "cloud": "gcp",
                "cluster_name": "c1",
                "model_name": "m",
                "submit_time": "2025-01-02T12:00:00+00:00",
                "status": "RUNNING",
            },
        ],
    )
    old_style = _legacy_file(
        home,
        (".oumi", "mcp"),
        [
            {
                "job_id": "eval_1",
                "command": "evaluate",
                "config_path": "/x/e.yaml",
                "cloud": "local",
                "cluster_name": "",
                "model_name": "m",
                "submit_time": "2025-01-03T00:00:00",
                "status": "completed",
            },
            {"not": "a job"},
        ],
    )
    before = {
        p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in (new_style, old_style)
    }
    service = JobService()
    ids = {r.id for r in service.store.page(before=None, limit=50)}
    assert ids == {"train_20250101_120000_abc123", "sky-3", "eval_1"}
    assert service.status("eval_1").status == "completed"
    unsupervised = service.status("train_20250101_120000_abc123")
    assert unsupervised.status == "lost" and "earlier Oumi MCP server" in (
        unsupervised.reason or ""
    )
    remote = service.status("sky-3")
    assert remote.backend == "launcher" and remote.cluster == "c1"
    assert remote.status == "unknown" and "running" in (remote.reason or "")
    # Once only: a record deleted after the import does not come back, new entries are not read.
    service.store.delete(["eval_1"])
    old_style.write_text(
        json.dumps(
            [
                {
                    "job_id": "late",
                    "command": "train",
                    "cloud": "local",
                    "submit_time": "2025-01-04T00:00:00",
                }
            ]
        )
    )
    before[old_style] = (
        hashlib.sha256(old_style.read_bytes()).hexdigest(),
        old_style.stat().st_mtime_ns,
    )
    again = JobStore()
    assert {r.id for r in again.page(before=None, limit=50)} == {
        "train_20250101_120000_abc123",
        "sky-3",
    }
    for path, (digest, mtime) in before.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
        assert path.stat().st_mtime_ns == mtime


def test_unreadable_legacy_registry_is_skipped(isolated_env: Path) -> None:
    path = isolated_env / "home" / ".cache" / "oumi-mcp" / "oumi-jobs.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert JobStore().count() == 0
    assert path.read_text() == "{not json"


def test_final_status_is_written_once(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "j.db")
    store.insert(_rec("a", time.time()))
    store.set_final_statuses({"a": "completed"})
    store.set_final_statuses({"a": "failed"})
    got = store.get("a")
    assert got is not None and got.final_status == "completed"
    assert [r.id for r in store.page(before=None, limit=5, unfinished_only=True)] == []


def test_a_corrupt_legacy_registry_is_retried_and_odd_ids_stay_addressable(
    isolated_env: Path,
) -> None:
    legacy = isolated_env / "home" / ".cache" / "oumi-mcp" / "oumi-jobs.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text('[{"job_id": "half-writ')  # a crash mid-write of the old server
    assert JobService().store.count() == 0
    legacy.write_text(
        json.dumps(
            [
                {
                    "job_id": "train run/1 (copy)",
                    "command": "train",
                    "cloud": "local",
                    "submit_time": "2025-01-01T00:00:00Z",
                    "status": "completed",
                },
            ]
        )
    )
    service = JobService()  # the next start imports what is now readable
    (rec,) = service.store.page(before=None, limit=5)
    assert rec.id.startswith("legacy-train-run-1-copy-") and rec.extra["legacy_id"] == (
        "train run/1 (copy)"
    )
    assert service.status(rec.id).status == "completed"


def test_servers_creating_one_new_store_while_it_is_busy_all_succeed(tmp_path: Path) -> None:
    """Switching a new store to WAL needs the file to itself, and SQLite does not wait for it:
    servers that start while another holds a write lock retry instead of failing."""
    import sqlite3
    import subprocess
    import sys
    import time

    code = (
        "import sys\nfrom pathlib import Path\nfrom oumi_mcp_server.jobs.store import JobStore\n"
        "JobStore(Path(sys.argv[1]), import_legacy=False)\n"
    )
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE other (a)")  # a new file, not yet in WAL mode
    holder.execute("BEGIN IMMEDIATE")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)]) for _ in range(4)]
    time.sleep(1.5)  # they are all waiting on the lock now
    holder.execute("COMMIT")
    holder.close()
    assert [p.wait(timeout=120) for p in procs] == [0] * 4
    assert JobStore(path, import_legacy=False).schema_version() >= 1
