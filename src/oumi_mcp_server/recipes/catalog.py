"""A loaded recipe catalog: search, look-up, categories, reference recipes for a task and model."""

from __future__ import annotations

import difflib
from collections import Counter
from pathlib import Path, PurePosixPath

from oumi_mcp_server.core.echo import short, short_path
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.vocabulary import RECIPE_TASK_ALIASES
from oumi_mcp_server.recipes.extract import OTHER_TASK, TASK_TYPES, Recipe
from oumi_mcp_server.recipes.index import build_index, match_family, normalize_model, scan
from oumi_mcp_server.recipes.index import fingerprint as stats_fingerprint
from oumi_mcp_server.recipes.ranking import SearchIndex, query_terms

VALID_TASKS: tuple[str, ...] = (*TASK_TYPES, OTHER_TASK)
_CANONICAL_NAMES = ("train.yaml", "eval.yaml", "infer.yaml")


def normalize_task(task: str) -> str:
    """A task type from TASK_TYPES (aliases like `eval` accepted); ServiceError if unknown."""
    key = task.strip().lower()
    key = RECIPE_TASK_ALIASES.get(key, key)
    if key not in VALID_TASKS:
        raise ServiceError(
            "unknown_task",
            f"Unknown task type '{short(task)}'.",
            f"Use one of: {', '.join(VALID_TASKS)}.",
            {"valid": list(VALID_TASKS)},
        )
    return key


def _is_binary(path: Path) -> bool:
    try:
        if not path.is_file():  # a FIFO or a device would block or stream forever
            return False
        with path.open("rb") as handle:
            return b"\x00" in handle.read(8192)
    except OSError:
        return False


class Catalog:
    """An index over one catalog root; immutable once built (reload by building a new one)."""

    def __init__(self, root: Path, source: str, recipes: list[Recipe], fingerprint: str) -> None:
        self.root = root
        self.source = source
        self.recipes = recipes
        self.fingerprint = fingerprint
        self.by_path = {r.path: r for r in recipes}
        self._models = [normalize_model(r.model or "") for r in recipes]
        self._families = sorted({r.family for r in recipes if r.family})
        self._family_keys = [normalize_model(r.family or "") for r in recipes]
        self._index = SearchIndex(recipes)
        self._content: dict[str, str] | None = None

    @classmethod
    def load(cls, root: Path, source: str, *, use_cache: bool = True) -> Catalog:
        stats = scan(root)
        return cls(
            root, source, build_index(root, stats, use_cache=use_cache), stats_fingerprint(stats)
        )

    def _model_positions(self, wanted: str) -> set[int]:
        """Recipes whose model name contains `wanted` (any spelling) or whose family it names."""
        norm = normalize_model(wanted)
        return {
            pos
            for pos, r in enumerate(self.recipes)
            if (r.family and norm == self._family_keys[pos])
            or (self._models[pos] and norm in self._models[pos])
        }

    def _keyword_positions(self, keyword: str) -> set[int]:
        if self._content is None:
            content: dict[str, str] = {}
            for recipe in self.recipes:
                try:
                    content[recipe.path] = (
                        (self.root / recipe.path)
                        .read_text(encoding="utf-8", errors="replace")
                        .lower()
                    )
                except OSError:
                    content[recipe.path] = ""
            self._content = content
        needle = keyword.lower()
        return {
            pos for pos, r in enumerate(self.recipes) if needle in self._content.get(r.path, "")
        }

    def search(
        self,
        query: str,
        task: str | None = None,
        model: str | None = None,
        keyword: str | None = None,
    ) -> tuple[list[Recipe], bool]:
        """All matches, best first; the flag is False when no recipe matched every query term."""
        allowed: set[int] | None = None
        if task:
            wanted_task = normalize_task(task)
            allowed = {pos for pos, r in enumerate(self.recipes) if r.task == wanted_task}
        if model and normalize_model(model):
            found = self._model_positions(model)
            allowed = found if allowed is None else allowed & found
        if keyword and keyword.strip():
            found = self._keyword_positions(keyword.strip())
            allowed = found if allowed is None else allowed & found
        terms = query_terms(query)
        if not terms:
            positions = sorted(
                allowed if allowed is not None else range(len(self.recipes)),
                key=lambda pos: self._tiebreak(self.recipes[pos]),
            )
            return [self.recipes[pos] for pos in positions], True
        scores, complete = self._index.score(terms, allowed)
        ranked = sorted(scores, key=lambda pos: (-scores[pos], self._tiebreak(self.recipes[pos])))
        return [self.recipes[pos] for pos in ranked], complete

    @staticmethod
    def _tiebreak(recipe: Recipe) -> tuple[bool, bool, int, str]:
        """Among equals: canonical file names, then the curated `recipes/` tree, then shallow."""
        name = PurePosixPath(recipe.path).name
        return (
            name not in _CANONICAL_NAMES,
            not recipe.path.startswith("recipes/"),
            recipe.path.count("/"),
            recipe.path,
        )

    def _relative(self, path: str) -> str:
        text = path.strip().replace("\\", "/")
        for prefix in ("oumi://", "configs/"):
            if text.startswith(prefix):
                text = text[len(prefix) :]
        candidate = Path(text)
        if candidate.is_absolute():
            try:
                return candidate.resolve().relative_to(self.root.resolve()).as_posix()
            except (ValueError, OSError):
                return text
        return text.removeprefix("./")

    def get(self, path: str) -> tuple[Recipe, bool, list[str]]:
        """(recipe, exact?, other candidates) for an exact path or the best partial match."""
        if not path or not path.strip() or "\x00" in path:
            raise ServiceError(
                "bad_path", "The path is empty.", "Pass a recipe path from search_configs."
            )
        rel = self._relative(path)
        if rel in self.by_path:
            return self.by_path[rel], True, []
        self._refuse_non_recipe(rel)
        needle = rel.lower().strip("/")
        partial = sorted((r for r in self.recipes if needle in r.path.lower()), key=self._tiebreak)
        if not partial:
            ranked, complete = self.search(needle)
            partial = ranked if complete else []
        if partial:
            return partial[0], False, [r.path for r in partial[1:6]]
        close = difflib.get_close_matches(rel, list(self.by_path), n=5, cutoff=0.5)
        if not close:
            close = [r.path for r in self.search(rel)[0][:5]]
        raise ServiceError(
            "unknown_path",
            f"No recipe at '{short_path(path)}' in {self.source}.",
            "Pick one of the candidates, or find one with search_configs.",
            {"candidates": close},
        )

    def _refuse_non_recipe(self, rel: str) -> None:
        """A folder, a binary or a non-YAML file inside the catalog gets its own clear error."""
        root = self.root.resolve()
        try:
            target = (root / rel).resolve()
            if not target.is_relative_to(root) or not target.exists():
                return
            is_dir = target.is_dir()
        except (OSError, ValueError, RuntimeError):  # a name too long, a NUL: no such recipe
            return
        inside = target.relative_to(root).as_posix()
        if is_dir:
            prefix = "" if inside == "." else inside + "/"
            listed = sorted(
                (r for r in self.recipes if r.path.startswith(prefix)), key=self._tiebreak
            )
            raise ServiceError(
                "is_directory",
                f"'{short_path(rel)}' is a folder of {len(listed)} recipes, not a recipe file.",
                "Pass one of the recipe paths listed in details.",
                {"recipes": [r.path for r in listed[:10]]},
            )
        if _is_binary(target):
            raise ServiceError(
                "binary_file",
                f"'{short_path(rel)}' is a binary file, not a recipe.",
                "Pass a YAML recipe path from search_configs.",
            )
        raise ServiceError(
            "not_a_recipe",
            f"'{short_path(rel)}' is not a YAML recipe.",
            "Pass a .yaml recipe path from search_configs.",
        )

    def categories(self) -> tuple[Counter[str], Counter[str], Counter[str]]:
        """Counts by task type, model family and folder (top level and one level down)."""
        tasks: Counter[str] = Counter(r.task for r in self.recipes)
        families: Counter[str] = Counter(r.family for r in self.recipes if r.family)
        folders: Counter[str] = Counter()
        for recipe in self.recipes:
            parts = recipe.path.split("/")
            if len(parts) > 1:
                folders[parts[0]] += 1
            if len(parts) > 2 and parts[0] != "recipes":
                folders[f"{parts[0]}/{parts[1]}"] += 1
        return tasks, families, folders

    def suggest_similar(self, task: str, model: str | None, limit: int = 3) -> list[Recipe]:
        """Up to `limit` reference recipes of `task` for `model`'s family (same task only, any
        family, when the model's family is unknown)."""
        wanted = normalize_task(task)
        same_task = [r for r in self.recipes if r.task == wanted and not r.problem]
        if model:
            norm = normalize_model(model)
            family = match_family(model, self._families)
            if family:
                same_task = [r for r in same_task if r.family == family]
            base = norm.rsplit("/", 1)[-1]

            def closeness(r: Recipe) -> tuple[int, tuple[bool, bool, int, str]]:
                name = normalize_model(r.model or "")
                level = (
                    0 if name == norm or name.endswith("/" + base) else 1 if base[:6] in name else 2
                )
                return level, self._tiebreak(r)

            same_task.sort(key=closeness)
        else:
            same_task.sort(key=self._tiebreak)
        return same_task[: max(limit, 0)]
