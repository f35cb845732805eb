"""Recipe download: archive extraction and atomic swap (fake archives built here), offline path,
background thread, CLI. No test reaches GitHub."""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import re
import socket
import tarfile
import threading
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from click.testing import CliRunner

from oumi_mcp_server.cli.main import cli
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.recipes import service, source, sync


def fake_archive(files: dict[str, bytes], top: str = "oumi-0.9") -> bytes:
    """A .tar.gz shaped like GitHub's source archive, plus hostile members that must be skipped."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:

        def add(name: str, data: bytes, kind: bytes = tarfile.REGTYPE) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = "/etc/passwd"
            archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

        for rel, data in files.items():
            add(f"{top}/configs/{rel}", data)
        add(f"{top}/src/oumi/__init__.py", b"print('not a config')\n")
        add(f"{top}/configs/../../evil.yaml", b"x: 1\n")
        add(f"{top}/configs/recipes/link.yaml", b"", tarfile.SYMTYPE)
        add(f"{top}/configs/recipes/notes.txt", b"text\n")
    return buffer.getvalue()


RECIPES = {
    "recipes/llama3_1/sft/8b_lora/train.yaml": (
        b"# LoRA.\nmodel:\n  model_name: meta-llama/Llama-3.1-8B\ntraining: {}\n"
    ),
    "recipes/README.md": b"# Recipes\n",
}


class FakeServer:
    """An injectable opener serving archives by ref; records the URLs asked for."""

    def __init__(self, archives: dict[str, bytes]) -> None:
        self.archives = archives
        self.urls: list[str] = []

    def __call__(self, url: str, timeout: float) -> IO[bytes]:
        self.urls.append(url)
        for ref, data in self.archives.items():
            if url.endswith(f"{ref}.tar.gz"):
                return io.BytesIO(data)
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def pinned_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync, "oumi_version", lambda: "0.9")


def test_fake_archive_sync_installs_only_safe_config_files(tmp_path: Path) -> None:
    server = FakeServer({"refs/tags/v0.9": fake_archive(RECIPES)})
    report = sync.sync_configs(opener=server)
    assert report.state == "synced" and report.ref == "refs/tags/v0.9" and report.files == 2
    root = Path(report.directory or "")
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert found == sorted(RECIPES)
    assert not (tmp_path.parent / "evil.yaml").exists()
    assert server.urls == ["https://github.com/oumi-ai/oumi/archive/refs/tags/v0.9.tar.gz"]
    current = source.resolve_source()
    assert current.kind == "cache" and current.root == root
    assert service.search("llama lora").results[0].path == "recipes/llama3_1/sft/8b_lora/train.yaml"


def test_fake_archive_second_sync_is_up_to_date_and_force_swaps(tmp_path: Path) -> None:
    server = FakeServer({"refs/tags/v0.9": fake_archive(RECIPES)})
    first = sync.sync_configs(opener=server)
    assert sync.sync_configs(opener=server).state == "up_to_date"
    second = sync.sync_configs(force=True, opener=server)
    third = sync.sync_configs(force=True, opener=server)
    assert second.state == third.state == "synced"
    snapshots = {p.name for p in (sync.sync_root() / "snapshots").iterdir()}
    assert snapshots == {Path(second.directory or "").name, Path(third.directory or "").name}
    assert not Path(first.directory or "").exists()
    assert source.resolve_source().root == Path(third.directory or "")


def test_fake_archive_falls_back_to_main_when_the_tag_is_missing() -> None:
    server = FakeServer({"refs/heads/main": fake_archive(RECIPES, top="oumi-main")})
    report = sync.sync_configs(opener=server)
    assert report.state == "synced" and report.ref == "refs/heads/main"
    assert len(server.urls) == 2


def test_fake_archive_broken_download_keeps_the_previous_snapshot() -> None:
    good = sync.sync_configs(opener=FakeServer({"refs/tags/v0.9": fake_archive(RECIPES)}))
    broken = FakeServer({"refs/tags/v0.9": fake_archive(RECIPES)[:200]})
    report = sync.sync_configs(force=True, opener=broken)
    assert report.state == "failed" and "refs/tags/v0.9" in report.message
    assert source.resolve_source().root == Path(good.directory or "")
    assert [p.name for p in (sync.sync_root() / "snapshots").iterdir()] == [
        Path(good.directory or "").name
    ]
    empty = FakeServer({"refs/tags/v0.9": fake_archive({"README.md": b"# hi\n"})})
    assert "no configs" in sync.sync_configs(force=True, opener=empty).message


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_offline_sync_fails_promptly_with_a_clear_status(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sync.ARCHIVE_URL_ENV, f"http://127.0.0.1:{_closed_port()}/{{ref}}.tar.gz")
    report = sync.sync_configs(timeout=2.0)
    assert report.state == "failed"
    assert "Could not download" in report.message and "refused" in report.message.lower()
    answer = service.sync(force=True, wait_s=30.0)
    assert answer.state == "failed" and source.CONFIGS_DIR_ENV in answer.message


def test_staleness_by_version_and_ttl() -> None:
    record = {"oumi_version": "0.9", "synced_ts": 1_000.0}
    assert sync.is_stale(None, 3600, "0.9")
    assert sync.is_stale(record, 10**12, "1.0")
    assert not sync.is_stale(record, 10**12, "0.9")
    assert sync.is_stale(record, 3600, "0.9")


def test_archive_refs_for_release_and_dev_builds() -> None:
    assert sync.archive_refs("0.9") == ["refs/tags/v0.9", "refs/heads/main"]
    assert sync.archive_refs("0.10.dev3+gabc") == ["refs/heads/main"]


def test_sync_tool_never_blocks_on_a_slow_download(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    archive = fake_archive(RECIPES)

    def slow(url: str, timeout: float) -> IO[bytes]:
        release.wait(30)
        return io.BytesIO(archive)

    source.BACKGROUND.opener = slow
    monkeypatch.setattr(service, "FIRST_ANSWER_WAIT_S", 0.05)
    answer = service.sync(wait_s=0.05)
    assert answer.state == "running" and "being downloaded" in answer.message
    with pytest.raises(ServiceError) as info:
        service.search("llama")
    assert info.value.code == "no_recipes" and info.value.details["state"] == "downloading"
    assert "no answer so far" in info.value.message
    release.set()
    done = service.sync(wait_s=30.0)
    assert done.state in ("synced", "up_to_date") and done.files == 2
    assert service.search("llama").total_matches == 1


def test_missing_catalog_starts_a_background_download(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(source.AUTO_SYNC_ENV, "1")
    gate = threading.Event()
    archive = fake_archive(RECIPES)

    def gated(url: str, timeout: float) -> IO[bytes]:
        gate.wait(30)
        return io.BytesIO(archive)

    source.BACKGROUND.opener = gated
    monkeypatch.setattr(service, "FIRST_ANSWER_WAIT_S", 0.05)
    with pytest.raises(ServiceError) as info:
        service.search("llama")
    assert info.value.code == "no_recipes" and source.BACKGROUND.running()
    gate.set()
    assert source.BACKGROUND.wait(30) is not None
    assert service.search("llama").total_matches == 1


def test_env_source_needs_no_sync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(source.CONFIGS_DIR_ENV, str(tmp_path))
    assert service.sync().state == "not_needed"


def test_cli_sync_configs_with_a_fake_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "refs" / "tags" / "v0.9.tar.gz"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(fake_archive(RECIPES))
    monkeypatch.setenv(sync.ARCHIVE_URL_ENV, f"file://{tmp_path}/{{ref}}.tar.gz")
    result = CliRunner().invoke(cli, ["sync-configs"])
    assert result.exit_code == 0, result.output
    assert "Synced 2 recipe files from refs/tags/v0.9" in result.output
    pointer = json.loads((sync.sync_root() / "current.json").read_text())
    assert pointer["files"] == 2 and pointer["oumi_version"] == "0.9"
    monkeypatch.setenv(sync.ARCHIVE_URL_ENV, f"http://127.0.0.1:{_closed_port()}/{{ref}}.tar.gz")
    failed = CliRunner().invoke(cli, ["sync-configs", "--force"])
    assert failed.exit_code == 1 and "Could not download" in failed.output
    assert source.CONFIGS_DIR_ENV in failed.output


def test_a_sync_held_by_another_process_is_reported_not_waited_for() -> None:
    import fcntl

    sync.sync_root().mkdir(parents=True, exist_ok=True)
    with (sync.sync_root() / "sync.lock").open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        report = sync.sync_configs(opener=FakeServer({"refs/tags/v0.9": fake_archive(RECIPES)}))
        fcntl.flock(handle, fcntl.LOCK_UN)
    assert report.state == "failed" and "Another process" in report.message
    assert sync.read_pointer() is None


def test_cache_older_than_the_ttl_is_served_while_refreshed_in_background(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = FakeServer({"refs/tags/v0.9": fake_archive(RECIPES)})
    first = sync.sync_configs(opener=server)
    source.BACKGROUND.opener = server
    monkeypatch.setenv(source.AUTO_SYNC_ENV, "1")
    monkeypatch.setenv(source.TTL_ENV, "0")
    assert service.search("llama").total_matches == 1  # answered from the old snapshot
    assert source.BACKGROUND.wait(30) is not None
    refreshed = source.resolve_source().root
    assert refreshed is not None and refreshed != Path(first.directory or "")
    assert len(server.urls) == 2


# --- first run offline: every surface says what is true at that moment, in the same words ---

WHEN = re.compile(r"just now|[\d.]+ (?:s|min|h) ago")


def same_words(text: str) -> str:
    """`text` with its "N s ago" left out: two surfaces asked a moment apart say the same."""
    return WHEN.sub("<when>", text)


def doctor_recipes() -> dict[str, str]:
    report = json.loads(CliRunner().invoke(cli, ["doctor", "--json"]).output)
    return next(check for check in report["checks"] if check["name"] == "recipes")


@pytest.fixture
def auto_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    """A first run: no recipe folder, no cache, automatic download on (the server default)."""
    monkeypatch.setenv(source.AUTO_SYNC_ENV, "1")


@pytest.fixture
def not_found_server(tmp_path: Path) -> Iterator[str]:
    """A real local HTTP server answering 404 for every archive (an empty folder), stopped after."""
    empty = tmp_path / "empty"
    empty.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(empty))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{{ref}}.tar.gz"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _first_search_error() -> ServiceError:
    with pytest.raises(ServiceError) as info:
        service.search("llama")
    return info.value


@pytest.mark.usefixtures("auto_sync")
def test_first_search_offline_says_the_download_failed_and_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A refused connection fails within milliseconds: the first answer says so, not "running"."""
    monkeypatch.setenv(sync.ARCHIVE_URL_ENV, f"http://127.0.0.1:{_closed_port()}/{{ref}}.tar.gz")
    error = _first_search_error()
    assert error.code == "no_recipes" and error.details["state"] == "failed"
    assert "last download failed" in error.message and "refused" in error.message.lower()
    assert "running" not in error.message and "retry in a minute" not in error.message.lower()
    assert source.CONFIGS_DIR_ENV in error.fix and "oumi-mcp-server sync-configs" in error.fix
    status = source.recipe_status()
    assert (status.state, status.fix) == ("failed", error.fix)
    assert same_words(status.message) == same_words(error.message)
    doctor = doctor_recipes()  # reads the attempt record the server's download left
    assert doctor["status"] == "warn" and doctor["fix"] == error.fix
    assert same_words(doctor["detail"]) == same_words(error.message)
    again = service.sync(wait_s=30.0)  # the tool says it the same way, fix included
    assert again.state == "failed" and same_words(error.message) in same_words(again.message)


@pytest.mark.usefixtures("auto_sync")
def test_first_search_against_a_404_names_both_refs(
    not_found_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(sync.ARCHIVE_URL_ENV, not_found_server)
    error = _first_search_error()
    assert error.details["state"] == "failed"
    assert error.message.count("HTTP Error 404") == 2
    assert "refs/tags/v0.9" in error.message and "refs/heads/main" in error.message
    assert same_words(doctor_recipes()["detail"]) == same_words(error.message)


@pytest.mark.usefixtures("auto_sync")
def test_a_download_still_trying_says_so_with_what_arrived(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While bytes arrive the answer says how many; it never claims a failure or a finish."""
    read_end, write_end = os.pipe()
    os.write(write_end, b"\x1f\x8b\x08")  # the start of a gzip stream, then nothing yet
    source.BACKGROUND.opener = lambda url, timeout: os.fdopen(read_end, "rb")
    monkeypatch.setattr(service, "FIRST_ANSWER_WAIT_S", 0.05)
    error = _first_search_error()
    status = source.recipe_status()
    for _ in range(1000):  # the thread reads the 3 bytes soon after it starts
        if "received" in status.message:
            break
        threading.Event().wait(0.01)
        status = source.recipe_status()
    assert error.details["state"] == status.state == "downloading"
    assert "being downloaded from https://github.com/oumi-ai/oumi/archive/" in status.message
    assert "0.0 KB received" in status.message and "Retry in a minute" in status.fix
    os.close(write_end)  # the download ends: a truncated archive
    assert source.BACKGROUND.wait(30) is not None
    assert source.recipe_status().state == "failed"


def test_another_process_downloading_or_gone_is_told_apart() -> None:
    """The attempt record speaks for other processes: alive and downloading, or died mid-way."""
    progress = sync.SyncProgress(url="https://example.invalid/{ref}.tar.gz")
    sync.record_attempt("running", progress)
    record = json.loads((sync.sync_root() / sync.ATTEMPT_FILE).read_text())
    assert record["pid"] == os.getpid()
    status = source.recipe_status()
    assert status.state == "downloading" and f"Process {os.getpid()} is" in status.message
    assert same_words(doctor_recipes()["detail"]) == same_words(status.message)
    record["pid"] = 2**22 + 12345  # above pid_max: no such process
    (sync.sync_root() / sync.ATTEMPT_FILE).write_text(json.dumps(record))
    gone = source.recipe_status()
    assert gone.state == "failed" and "ended before it finished" in gone.message
    record.update(pid="x", started_ts=[1], state="running")  # hand-edited junk: no crash
    (sync.sync_root() / sync.ATTEMPT_FILE).write_text(json.dumps(record))
    assert source.recipe_status().state == "failed"


def test_never_tried_and_auto_sync_off_are_said_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(source.AUTO_SYNC_ENV, "0")
    off = source.recipe_status()
    assert off.state == "not_downloaded" and f"{source.AUTO_SYNC_ENV}=0" in off.message
    monkeypatch.setenv(source.AUTO_SYNC_ENV, "1")
    on = source.recipe_status()
    assert "when a recipe tool is first used" in on.message
    assert doctor_recipes()["detail"] == on.message


def test_a_failed_refresh_keeps_the_cache_and_says_so() -> None:
    sync.sync_configs(opener=FakeServer({"refs/tags/v0.9": fake_archive(RECIPES)}))
    failed = sync.sync_configs(force=True, opener=FakeServer({}))
    assert failed.state == "failed"
    status = source.recipe_status()
    assert status.state == "ready" and "Refreshing them failed just now" in status.message
    assert service.search("llama").total_matches == 1
    assert doctor_recipes()["status"] == "ok"


def test_a_bad_env_folder_is_one_status_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(source.CONFIGS_DIR_ENV, str(tmp_path / "nope"))
    error = _first_search_error()
    assert error.code == "configs_dir_missing"
    assert doctor_recipes()["detail"] == error.message == source.recipe_status().message
    assert not source.BACKGROUND.running()  # an env folder never downloads
