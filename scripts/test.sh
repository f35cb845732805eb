#!/usr/bin/env bash
# The whole test suite on a fresh machine: create or reuse .venv, install, lint, type-check, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
# The browser tests drive the system Chromium; on a Debian CI machine (root) it is installed here.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get install -y -qq chromium >/dev/null 2>&1 || echo "chromium not installed: browser tests skip" >&2
fi
# The MCP Apps host harness runs on node; the tests `npm ci` its packages (tests/apps_host).
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get install -y -qq nodejs npm >/dev/null 2>&1 || echo "node not installed: MCP Apps host tests skip" >&2
fi
# oumi runs in tests stay offline and quiet (analytics upload otherwise doubles their time).
export DO_NOT_TRACK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 WANDB_MODE=disabled
export TOKENIZERS_PARALLELISM=false
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
.venv/bin/mypy
# pytest's exit code 5 (no tests collected) is a failure here, as any non-zero code.
exec .venv/bin/pytest "$@"
