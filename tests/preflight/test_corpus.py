"""The mistakes corpus (corpus.py): each case gives its finding, and our verdict is oumi's.

validate_config's verdict (valid or not) must equal what oumi's own CLI loader does with the
same file, run in a subprocess from the same folder; pre_flight_check adds what fails at start
(packages, offline data and models) on top.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oumi_mcp_server.preflight import packages
from oumi_mcp_server.preflight.loading import load_config
from oumi_mcp_server.preflight.service import run_preflight, validate_config
from oumi_mcp_server.preflight.tasks import schema_kind

from .corpus import BASES, CASES, Case
from .oumi_oracle import run_oracle

pytestmark = [pytest.mark.usefixtures("oumi_warm"), pytest.mark.oumi]
GPU_HERE = shutil.which("nvidia-smi") is not None


def _write(project: Path, name: str, text: str) -> Path:
    path = project / f"{name}.yaml"
    path.write_text(text)
    return path


def _absent(monkeypatch: pytest.MonkeyPatch, modules: tuple[str, ...]) -> None:
    real = packages._installed
    monkeypatch.setattr(packages, "_installed", lambda m: m not in modules and real(m))


def test_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 30 and len({c.name for c in CASES}) == len(CASES)
    assert {c.api for c in CASES} == {"validate", "preflight"}
    assert {c.oumi for c in CASES} == {"accept", "reject"}


@pytest.mark.parametrize("name", sorted(BASES))
def test_bases_are_clean(project: Path, name: str) -> None:
    report = validate_config(str(_write(project, name, BASES[name])), str(project))
    assert report.valid and report.oumi_checked, report.findings
    assert not [f for f in report.findings if f.severity == "warning"], report.findings


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_gives_its_finding(project: Path, case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    if case.code == "hardware_unsupported_locally" and GPU_HERE:
        pytest.skip("a machine with a GPU may run flash attention")
    _absent(monkeypatch, case.missing)
    path = str(_write(project, case.name, case.text))
    if case.api == "validate":
        report = validate_config(path, str(project), case.kind, oumi_checks="wait")
    else:
        report = run_preflight(path, str(project), oumi_checks="wait")  # type: ignore[assignment]
    found = [f for f in report.findings if f.code == case.code]
    assert found and found[0].severity == case.severity, report.findings
    assert found[0].fix and found[0].location, found[0]
    if case.api == "preflight":
        assert not report.ready or case.severity != "error"  # type: ignore[attr-defined]


OUMI_ONLY = frozenset({"dataset_not_found", "hardware_unsupported_locally"})  # finalize's checks


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.api == "validate" and c.code not in OUMI_ONLY],
    ids=lambda c: c.name,
)
def test_first_call_finds_it_without_oumi(project: Path, case: Case) -> None:
    """The index check alone (what the first call answers) already says it."""
    path = str(_write(project, case.name, case.text))
    report = validate_config(path, str(project), case.kind, oumi_checks="skip")
    found = [f for f in report.findings if f.code == case.code]
    assert found and found[0].severity == case.severity, report.findings
    assert report.valid == (case.oumi == "accept") and not report.oumi_checked


def test_verdicts_agree_with_oumi(project: Path) -> None:
    """One subprocess loads every case with oumi's own classes, as its CLI would."""
    ours: dict[str, bool] = {}
    jobs = []
    for case in CASES:
        if case.code == "hardware_unsupported_locally" and GPU_HERE:
            continue
        path = _write(project, case.name, case.text)
        report = validate_config(str(path), str(project), case.kind, oumi_checks="wait")
        ours[str(path)] = report.valid
        loaded, _ = load_config(str(path), str(project))
        kind = schema_kind(str(report.task_type), loaded.data)
        jobs.append({"path": str(path), "kind": kind})
    oumi = run_oracle(jobs, project)
    expected = {str(project / f"{c.name}.yaml"): c.oumi == "accept" for c in CASES}
    assert {p: v["ok"] for p, v in oumi.items()} == {p: expected[p] for p in oumi}, oumi
    disagree = {p: (ours[p], v) for p, v in oumi.items() if ours[p] != v["ok"]}
    assert disagree == {}
