"""The recipe catalog's public API: search, read, categories, references, sync (blocking calls).

One catalog per process, rebuilt when its source folder changes (checked at most every
`RECHECK_S` seconds so a warm search stays in the millisecond range).
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.recipes import source as sources
from oumi_mcp_server.recipes.catalog import Catalog, normalize_task
from oumi_mcp_server.recipes.extract import Recipe
from oumi_mcp_server.recipes.index import fingerprint, scan
from oumi_mcp_server.recipes.models import (
    CategoriesAnswer,
    ConfigAnswer,
    RecipeSummary,
    SearchAnswer,
    SyncAnswer,
)

RECHECK_S = 2.0
DEFAULT_LIMIT = 10
MAX_LIMIT = 25
DEFAULT_MAX_CHARS = 6000
MAX_CHARS_LIMIT = 200_000
ANSWER_BUDGET = 7000
_SUMMARY_DESCRIPTION = 160

_lock = threading.RLock()
_catalog: Catalog | None = None
_checked_at = 0.0

FIRST_ANSWER_WAIT_S = 2.0
"""How long a search without recipes waits on a download that has just started: offline it fails
within that time, so the first answer says why instead of "still running"."""


def _no_recipes_error(status: sources.RecipeStatus) -> ServiceError:
    code = "configs_dir_missing" if status.state == "bad_env" else "no_recipes"
    return ServiceError(code, status.message, status.fix, {"state": status.state})


def _await_first_download(source: sources.Source) -> tuple[sources.Source, Path]:
    """No recipes: start the download when allowed, give a just-started one a moment to end;
    the source and its folder once there are recipes, else the error saying what is true."""
    if source.kind != "env":
        sources.refresh_in_background(source)
        progress = sources.BACKGROUND.progress
        if sources.BACKGROUND.running() and progress is not None:
            left = FIRST_ANSWER_WAIT_S - (time.time() - progress.started_ts)
            if left > 0:
                sources.BACKGROUND.wait(left)
        source = sources.resolve_source()
    status = sources.recipe_status(source)
    if status.state != "ready" or source.root is None:
        raise _no_recipes_error(status)
    return source, source.root


def get_catalog() -> Catalog:
    """The current catalog, (re)built when the source or its files changed. Raises ServiceError
    saying what is true (downloading, failed and why, ...) when there are no recipes yet."""
    global _catalog, _checked_at
    source = sources.resolve_source()
    root = source.root
    if root is None or not root.is_dir():
        source, root = _await_first_download(source)
    with _lock:
        now = time.monotonic()
        due = _catalog is None or now - _checked_at > RECHECK_S
        if due:
            sources.refresh_in_background(source)
        if _catalog is None or _catalog.root != root or _catalog.source != source.label:
            _catalog = Catalog.load(root, source.label)
            _checked_at = now
        elif due:
            stats = scan(root)
            if fingerprint(stats) != _catalog.fingerprint:
                _catalog = Catalog.load(root, source.label)
            _checked_at = now
        return _catalog


def reload() -> None:
    """Forget the loaded catalog; the next call rebuilds it (from the on-disk index cache)."""
    global _catalog
    with _lock:
        _catalog = None


def warm_up() -> threading.Thread:
    """Load the catalog in a daemon thread (starting the download when there is none), so the
    first search is fast; for `serve` to call at start-up. Never raises, never blocks."""

    def load() -> None:
        with contextlib.suppress(ServiceError):
            get_catalog()

    thread = threading.Thread(target=load, name="recipe-warm-up", daemon=True)
    thread.start()
    return thread


def _job(recipe: Recipe) -> str:
    return " ".join(p for p in (recipe.cloud, recipe.accelerators) if p)


def summarize(recipe: Recipe) -> RecipeSummary:
    description = recipe.description
    if len(description) > _SUMMARY_DESCRIPTION:
        description = description[: _SUMMARY_DESCRIPTION - 1].rstrip() + "…"
    return RecipeSummary(
        path=recipe.path,
        task=recipe.task,
        model=recipe.model or "",
        peft=recipe.peft or "",
        datasets=recipe.datasets[:3],
        description=description,
        job=_job(recipe),
    )


def _check_limit(limit: int, most: int, name: str = "limit") -> tuple[int, str | None]:
    """Below 1 is an error; above `most` is clamped, with a note saying so."""
    if limit < 1:
        raise ServiceError(
            "bad_limit",
            f"{name} must be at least 1, got {limit}.",
            f"Pass a {name} between 1 and {most}.",
        )
    if limit > most:
        return most, f"{name} {limit} clamped to {most}."
    return limit, None


def search(
    query: str = "",
    task: str | None = None,
    model: str | None = None,
    keyword: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> SearchAnswer:
    """Recipes ranked by how well path, description, model, family and datasets match `query`;
    `task`, `model` (name or family) and `keyword` (text in the file) narrow the set."""
    limit, limit_note = _check_limit(limit, MAX_LIMIT)
    task = task.strip() if task and task.strip() else None
    model = model.strip() if model and model.strip() else None
    keyword = keyword.strip() if keyword and keyword.strip() else None
    if task:
        normalize_task(task)
    if not (query or "").strip() and not (task or model or keyword):
        raise ServiceError(
            "empty_query",
            "Nothing to search for: the query and all filters are empty.",
            "Pass words such as 'llama 8b lora', or a task/model/keyword filter; "
            "list_categories shows what the catalog holds.",
        )
    catalog = get_catalog()
    matches, complete = catalog.search(query or "", task, model, keyword)
    notes = [n for n in (limit_note,) if n]
    if not complete and matches:
        notes.append("No recipe matched every word; showing partial matches.")
    answer = SearchAnswer(
        source=catalog.source,
        total_matches=len(matches),
        results=[summarize(r) for r in matches[:limit]],
        note="",
    )
    dropped = 0
    while answer.results and len(answer.model_dump_json(indent=2)) > ANSWER_BUDGET - 120:
        answer.results.pop()
        dropped += 1
    if dropped:
        notes.append(f"{dropped} more results left out to keep the answer small; narrow the query.")
    answer.note = " ".join(notes)
    return answer


def get_config(
    path: str, include_content: bool = True, max_chars: int = DEFAULT_MAX_CHARS
) -> ConfigAnswer:
    """One recipe by exact path or best match (with the other candidates), its metadata and
    (by default) its YAML, cut at `max_chars` with `truncated` set."""
    max_chars, _ = _check_limit(max_chars, MAX_CHARS_LIMIT, "max_chars")
    catalog = get_catalog()
    recipe, exact, others = catalog.get(path)
    file = catalog.root / recipe.path
    content = ""
    truncated = False
    if include_content:
        if recipe.problem and recipe.problem.startswith("binary"):
            raise ServiceError(
                "binary_file",
                f"{recipe.path!r} is a binary file, not YAML.",
                "Pick another recipe; this file is damaged in the catalog.",
            )
        try:
            content = file.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ServiceError(
                "unreadable",
                f"Cannot read {recipe.path!r}: {exc.strerror}.",
                "Run sync_configs, or check the catalog folder.",
            ) from None
        if len(content) > max_chars:
            cut = content.rfind("\n", 0, max_chars)
            content = content[: cut + 1 if cut > 0 else max_chars]
            truncated = True
    return ConfigAnswer(
        path=recipe.path,
        task=recipe.task,
        model=recipe.model or "",
        peft=recipe.peft or "",
        datasets=recipe.datasets,
        description=recipe.description,
        job=_job(recipe),
        matched="exact" if exact else "best",
        file=str(file),
        family=recipe.family or "",
        runs=recipe.runs or "",
        problem=recipe.problem or "",
        content=content,
        truncated=truncated,
        other_candidates=others,
    )


def list_categories() -> CategoriesAnswer:
    """Counts by task type, model family and folder, to see what the catalog holds."""
    catalog = get_catalog()
    tasks, families, folders = catalog.categories()
    return CategoriesAnswer(
        source=catalog.source,
        total=len(catalog.recipes),
        tasks=dict(tasks.most_common()),
        families=dict(sorted(families.items())),
        folders=dict(sorted(folders.items())),
        problems=sum(1 for r in catalog.recipes if r.problem),
    )


def suggest_similar(task: str, model: str | None = None, limit: int = 3) -> list[RecipeSummary]:
    """Up to `limit` reference recipes of the same task type and model family, best first.

    For the pre-flight checks: returns [] when no catalog is available (never waits on the
    network); raises ServiceError("unknown_task") for a task type that does not exist.
    """
    normalize_task(task)
    try:
        catalog = get_catalog()
    except ServiceError:
        return []
    return [
        summarize(r) for r in catalog.suggest_similar(task, model, min(max(limit, 0), MAX_LIMIT))
    ]


def sync(force: bool = False, wait_s: float = 15.0) -> SyncAnswer:
    """Download the recipes for the installed oumi into the cache (in the background thread),
    waiting at most `wait_s` seconds for it to end."""
    current = sources.resolve_source()
    if current.kind == "env" and not force:
        return SyncAnswer(
            state="not_needed",
            message=f"{current.label} is used; the download cache is not. "
            "Pass force=true to fill the cache anyway.",
            ref="",
            files=0,
            source=current.label,
            synced_at="",
        )
    sources.BACKGROUND.start(force)
    report = sources.BACKGROUND.wait(max(wait_s, 0.0))
    reload()
    if report is None or report.state == "failed":
        status = sources.recipe_status()
        return SyncAnswer(
            state="running" if report is None else "failed",
            message=f"{status.message} {status.fix}".strip(),
            ref="",
            files=0,
            source=status.source.label,
            synced_at="",
        )
    return SyncAnswer(
        state=report.state,
        message=report.message,
        ref=report.ref or "",
        files=report.files,
        source=sources.resolve_source().label,
        synced_at=report.synced_at or "",
    )
