#!/usr/bin/env bash
# Create or reuse .venv and install the project with its dev tools, pinned by the committed uv.lock.
# On a CPU-only machine with a local CPU torch wheel (PIP_FIND_LINKS), torch is overridden to that
# wheel and the lock's CUDA packages (nvidia-*, cuda-*, triton) and torchvision are excluded: a
# plain install of a lock resolved for Linux pulls an 8 GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
PY=${PYTHON:-python3.11}
cpu_wheel=""
if ! command -v nvidia-smi >/dev/null 2>&1; then
  for d in ${PIP_FIND_LINKS:-}; do
    w=$(ls "$d"/torch-*+cpu-cp311-*.whl 2>/dev/null | sort -V | tail -n1 || true)
    [ -n "$w" ] && cpu_wheel=$w
  done
fi
stamp=.venv/.installed-$({ cat pyproject.toml uv.lock scripts/setup_env.sh; echo "$cpu_wheel"; } |
  sha256sum | cut -c1-16)
[ -x .venv/bin/python ] || uv venv --quiet --python "$PY" .venv
if [ -f "$stamp" ]; then exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# --locked: a pyproject.toml edited without `uv lock` stops here instead of installing stale pins.
uv export --quiet --locked --no-hashes --no-annotate --no-header --extra dev --no-emit-project \
  -o "$tmp/lock.txt"
args=(--python .venv/bin/python --compile-bytecode -r "$tmp/req.txt")
cuda='^(torchvision|triton|nvidia-[a-z0-9-]+|cuda-[a-z0-9-]+)=='
if [ -n "$cpu_wheel" ]; then
  grep -v -E "^torch==|$cuda" "$tmp/lock.txt" >"$tmp/req.txt"
  # Excluded by name too, so nothing can pull them back in transitively.
  grep -E "$cuda" "$tmp/lock.txt" | cut -d= -f1 >"$tmp/excludes.txt"
  echo "torch==$(basename "$cpu_wheel" | cut -d- -f2)" >"$tmp/overrides.txt"
  args+=(--find-links "$(dirname "$cpu_wheel")" --overrides "$tmp/overrides.txt"
    --excludes "$tmp/excludes.txt")
else
  cp "$tmp/lock.txt" "$tmp/req.txt"
fi
echo "installing uv.lock into .venv${cpu_wheel:+ (torch from $cpu_wheel)}" >&2
start=$(date +%s)
uv pip install --quiet "${args[@]}"
uv pip install --quiet --python .venv/bin/python --no-deps -e .
echo "install took $(($(date +%s) - start)) s" >&2
# Sanity: dependencies consistent (on the CPU wheel, oumi's torch/torchvision pins are expected to
# be unmet), no CUDA package installed, and torch imports as the CPU build.
problems=$(uv pip check --python .venv/bin/python 2>&1 | grep '^The package' || true)
if [ -n "$cpu_wheel" ]; then
  problems=$(grep -v -E 'requires `torch(vision)?[<>=!~ ,0-9.]*`' <<<"$problems" || true)
  stray=$(uv pip freeze --python .venv/bin/python | grep -E "$cuda" || true)
  [ -z "$stray" ] || { echo "CUDA packages installed on a CPU machine: $stray" >&2; exit 1; }
  .venv/bin/python -c 'import torch, sys; sys.exit(not torch.__version__.endswith("+cpu"))' ||
    { echo "torch in .venv is not the CPU build" >&2; exit 1; }
fi
[ -z "$problems" ] || { echo "inconsistent dependencies:"$'\n'"$problems" >&2; exit 1; }
rm -f .venv/.installed-*
touch "$stamp"
