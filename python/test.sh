#!/usr/bin/env bash
# scm_torch's tests (npm test runs them after the TypeScript suites, which build the scm they call).
# They need a python3 with PyTorch, numpy and pytest: Debian's python3-torch and python3-pytest, or the
# interpreter in $PYTHON. Without one this fails, naming what to install: CI must not pass by skipping
# them. SCM_SKIP_PYTHON_TESTS=1 skips them on a machine that cannot have PyTorch.
set -euo pipefail
cd "$(dirname "$0")"
if [ "${SCM_SKIP_PYTHON_TESTS:-}" = 1 ]; then
  echo "python/test.sh: skipped (SCM_SKIP_PYTHON_TESTS=1)" >&2
  exit 0
fi
for py in ${PYTHON:-} /usr/bin/python3 python3; do
  if "$py" -c 'import torch, numpy, pytest' 2>/dev/null; then
    echo "python/test.sh: $("$py" -c 'import sys, torch; print(sys.executable, "with PyTorch", torch.__version__)')" >&2
    exec "$py" -m pytest -q "$@"
  fi
done
echo "python/test.sh: no python3 with torch, numpy and pytest: apt-get install python3-torch python3-pytest (Debian), or set PYTHON; SCM_SKIP_PYTHON_TESTS=1 skips these tests" >&2
exit 1
