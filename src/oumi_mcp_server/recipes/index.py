"""Build the recipe index of a catalog folder; an on-disk cache keyed by file mtimes/sizes."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from pathlib import Path

from oumi_mcp_server.core.atomic import write_text_atomic
from oumi_mcp_server.core.paths import cache_dir
from oumi_mcp_server.recipes.extract import Recipe, extract

logger = logging.getLogger(__name__)

INDEX_VERSION = 4  # bump whenever extraction changes, so cached entries are re-read
RECIPE_SUFFIXES = (".yaml", ".yml")
MAX_RECIPE_BYTES = 2_000_000
_SEP = re.compile(r"[^a-z0-9/]+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])_(?=\d)")

Stat = tuple[str, int, int]


def scan(root: Path) -> list[Stat]:
    """Every recipe file under `root` as (relative path, size, mtime_ns), sorted.

    Symlinks and hidden folders are skipped so nothing outside the catalog is ever read.
    """
    found: list[Stat] = []
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            rel = f"{prefix}{entry.name}"
            try:
                if entry.is_dir():
                    stack.append((Path(entry.path), rel + "/"))
                elif entry.name.lower().endswith(RECIPE_SUFFIXES) and entry.is_file():
                    st = entry.stat()
                    found.append((rel, st.st_size, st.st_mtime_ns))
            except OSError:
                continue
    found.sort()
    return found


def fingerprint(stats: list[Stat]) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for rel, size, mtime in stats:
        digest.update(f"{rel}\0{size}\0{mtime}\n".encode())
    return digest.hexdigest()


def _cache_file(root: Path) -> Path:
    key = hashlib.sha1(str(root).encode(), usedforsecurity=False).hexdigest()[:16]
    return cache_dir() / "recipe-index" / f"{key}.json"


def _load_cached(root: Path) -> dict[str, Recipe]:
    try:
        raw = json.loads(_cache_file(root).read_text(encoding="utf-8"))
        if raw.get("version") != INDEX_VERSION or raw.get("root") != str(root):
            return {}
        return {item["path"]: Recipe(**item) for item in raw["recipes"]}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def _save_cached(root: Path, recipes: list[Recipe]) -> None:
    target = _cache_file(root)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "version": INDEX_VERSION,
            "root": str(root),
            "recipes": [vars(r) for r in recipes],
        }
        write_text_atomic(target, json.dumps(payload, separators=(",", ":")), mode=0o644)
    except OSError as exc:
        logger.warning("recipe index cache not written: %s", exc)


def _read(root: Path, stat: Stat) -> Recipe:
    rel, size, mtime = stat
    if size > MAX_RECIPE_BYTES:
        return Recipe(path=rel, size=size, mtime_ns=mtime, problem="file too large to index")
    try:
        data = (root / rel).read_bytes()
    except OSError as exc:
        return Recipe(path=rel, size=size, mtime_ns=mtime, problem=f"unreadable: {exc.strerror}")
    return extract(rel, data, size, mtime)


def build_index(
    root: Path, stats: list[Stat] | None = None, *, use_cache: bool = True
) -> list[Recipe]:
    """Index every recipe under `root`; unchanged files come from the on-disk cache."""
    stats = scan(root) if stats is None else stats
    cached = _load_cached(root) if use_cache else {}
    recipes: list[Recipe] = []
    reused = 0
    for stat in stats:
        hit = cached.get(stat[0])
        if hit is not None and hit.size == stat[1] and hit.mtime_ns == stat[2]:
            recipes.append(hit)
            reused += 1
        else:
            recipes.append(_read(root, stat))
    if reused != len(cached) or reused != len(recipes):
        _save_cached(root, recipes)
    assign_families(recipes)
    return recipes


def normalize_model(name: str) -> str:
    """`meta-llama/Llama-3.1-8B` → `meta_llama/llama3_1_8b`: one spelling for names and folders."""
    return _LETTER_DIGIT.sub("", _SEP.sub("_", name.lower()).strip("_"))


def folder_family(path: str) -> str | None:
    """The family a path's folders name: `recipes/<family>/…` or `recipes/vision/<family>/…`."""
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == "recipes":
        if parts[1] == "vision":
            return parts[2] if len(parts) >= 4 else None
        return parts[1]
    return None


def match_family(model: str, families: list[str]) -> str | None:
    """The longest known family starting the model's base name (`SmolLM2-135M` → smollm)."""
    base = normalize_model(model).rsplit("/", 1)[-1]
    best: str | None = None
    for family in families:
        key = normalize_model(family)
        if not base.startswith(key):
            continue
        rest = base[len(key) :]
        if rest and rest[0] != "_" and not (rest[0].isdigit() and key[-1].isalpha()):
            continue
        if best is None or len(key) > len(normalize_model(best)):
            best = family
    return best


def assign_families(recipes: list[Recipe]) -> list[str]:
    """Fill each recipe's family (folder first, then its model) and give job configs the model
    and PEFT kind of the config their `run` script trains."""
    families = sorted({f for r in recipes if (f := folder_family(r.path))})
    by_path = {r.path: r for r in recipes}
    for recipe in recipes:
        target = by_path.get(recipe.runs) if recipe.runs else None
        if target is not None and target is not recipe:
            recipe.model = recipe.model or target.model
            recipe.peft = recipe.peft or target.peft
    for recipe in recipes:
        recipe.family = folder_family(recipe.path) or (
            match_family(recipe.model, families) if recipe.model else None
        )
    return families
