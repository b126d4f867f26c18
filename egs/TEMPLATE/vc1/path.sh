#!/usr/bin/env bash
# Environment of a recipe: sourced by vc.sh from the recipe folder (egs/<corpus>/vc1/).
# Activates the repository's tools/venv (made by tools/install.sh) and keeps threads per process low.

MAIN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
export MAIN_ROOT
if [ -f "${MAIN_ROOT}/tools/venv/bin/activate" ]; then
    # shellcheck disable=SC1091
    . "${MAIN_ROOT}/tools/venv/bin/activate"
else
    echo "path.sh: warning: ${MAIN_ROOT}/tools/venv is missing (run tools/install.sh); using $(command -v python3)" >&2
fi
# One thread per process unless told otherwise: the stages run several processes in parallel.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# espnet2_vc importable even if it is not installed in the environment.
export PYTHONPATH="${MAIN_ROOT}${PYTHONPATH:+:${PYTHONPATH}}"
export PYTHONIOENCODING=UTF-8
