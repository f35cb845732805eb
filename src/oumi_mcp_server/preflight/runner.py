"""Run checks concurrently, each and all bounded in time; record what ran, and why not.

Checks run in daemon threads: one that overruns is reported as skipped ("timed out") and left
behind without delaying the answer or the process exit. A check that crashes is skipped with
the exception's type, never taking the report down with it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from oumi_mcp_server.core.redact import redact_text
from oumi_mcp_server.preflight.context import CheckContext, SkipCheck
from oumi_mcp_server.preflight.models import Finding, SkippedCheck

CHECK_TIMEOUT_S = 30.0
OVERALL_TIMEOUT_S = 45.0
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    fn: Callable[[CheckContext], list[Finding]]
    timeout: float = CHECK_TIMEOUT_S


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    skipped: list[SkippedCheck] = field(default_factory=list)


def run_checks(
    checks: list[Check], ctx: CheckContext, overall_timeout: float = OVERALL_TIMEOUT_S
) -> RunResult:
    results: queue.Queue[tuple[str, list[Finding] | None, str]] = queue.Queue()

    def work(check: Check) -> None:
        try:
            results.put((check.name, check.fn(ctx), ""))
        except SkipCheck as exc:
            results.put((check.name, None, str(exc) or "skipped"))
        except Exception as exc:
            logger.warning("pre-flight check %s failed", check.name, exc_info=True)
            results.put(
                (check.name, None, redact_text(f"failed: {type(exc).__name__}: {exc}")[:200])
            )

    start = time.monotonic()
    deadlines = {c.name: start + min(c.timeout, overall_timeout) for c in checks}
    for check in checks:
        threading.Thread(
            target=work, args=(check,), name=f"preflight-{check.name}", daemon=True
        ).start()
    done: dict[str, tuple[list[Finding] | None, str]] = {}
    while len(done) < len(checks):
        pending = [n for n in deadlines if n not in done]
        wait = min(deadlines[n] for n in pending) - time.monotonic()
        if wait <= 0:
            for name in pending:
                if deadlines[name] <= time.monotonic():
                    bound = deadlines[name] - start
                    done[name] = (None, f"timed out after {bound:.0f}s")
            continue
        try:
            name, found, reason = results.get(timeout=wait)
        except queue.Empty:
            continue
        if name not in done:
            done[name] = (found, reason)
    out = RunResult()
    for check in checks:
        found, reason = done[check.name]
        if found is None:
            out.skipped.append(SkippedCheck(name=check.name, reason=reason))
        else:
            out.ran.append(check.name)
            out.findings.extend(found)
    return out
