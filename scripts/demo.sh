#!/usr/bin/env bash
# The demo on a fresh machine: create or reuse .venv, then drive the server over stdio like an
# assistant (recipes, pre-flight, plan -> confirm, a real tiny `oumi train` and `oumi infer`).
# Extra arguments go to `oumi-mcp-server demo` (e.g. --no-jobs, --workdir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
# Everything stays offline: the tiny model is built locally; oumi's analytics upload is off.
export DO_NOT_TRACK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 WANDB_MODE=disabled
export TOKENIZERS_PARALLELISM=false
exec .venv/bin/oumi-mcp-server demo --workdir "${OUMI_MCP_DEMO_DIR:-${TMPDIR:-/tmp}/oumi-mcp-demo}" "$@"
