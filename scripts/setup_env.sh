#!/usr/bin/env bash
# Create or reuse .venv and install the project with its dev tools.
# On a CPU-only machine with a local CPU torch wheel (PIP_FIND_LINKS), install through uv with
# an override to that wheel and without torchvision: a plain install pulls an 8 GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
PY=${PYTHON:-python3.11}
[ -x .venv/bin/python ] || uv venv --quiet --python "$PY" .venv
stamp=.venv/.installed-$(cat pyproject.toml scripts/setup_env.sh | sha256sum | cut -c1-16)
if [ -f "$stamp" ]; then exit 0; fi
args=(--python .venv/bin/python --compile-bytecode -e ".[dev]")
cpu_wheel=""
for d in ${PIP_FIND_LINKS:-}; do
  w=$(ls "$d"/torch-*+cpu-cp311-*.whl 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$w" ] && cpu_wheel=$w
done
if [ -n "$cpu_wheel" ] && ! command -v nvidia-smi >/dev/null 2>&1; then
  ver=$(basename "$cpu_wheel" | cut -d- -f2)
  tmp=$(mktemp -d)
  echo "torch==$ver" >"$tmp/overrides.txt"
  printf 'torchvision\n' >"$tmp/excludes.txt"
  args+=(--find-links "$(dirname "$cpu_wheel")" --override "$tmp/overrides.txt" --excludes "$tmp/excludes.txt")
fi
echo "installing into .venv (uv pip install ${args[*]})" >&2
start=$(date +%s)
uv pip install --quiet "${args[@]}"
echo "install took $(( $(date +%s) - start )) s" >&2
rm -f .venv/.installed-*
touch "$stamp"
