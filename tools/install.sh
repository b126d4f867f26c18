#!/usr/bin/env bash
# Install everything the recipes need: tools/venv (Python 3.11, torch, espnet, espnet2_vc in editable mode)
# and the Debian packages flite, sox, shellcheck, chromium, and slurm-wlm + munge (the single-node Slurm of the
# --cmd slurm test, tools/local_slurm.sh). Safe to re-run: a finished step is skipped.
#
# Usage: tools/install.sh   (from anywhere; PYTHON=python3.11 and TORCH_INDEX_URL=<a torch wheel index> may be set)
set -euo pipefail

tools_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
main_root=$(dirname "${tools_dir}")
venv=${tools_dir}/venv
python=${PYTHON:-python3.11}
marker=${tools_dir}/install.done # holds a hash of what was installed (setup.py and this script)
log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (install.sh) $*"; }

# 1. Debian packages, only when one is missing.
missing=()
# command:package; chromium: the samples-page test (headless); Slurm: the --cmd slurm test (doc/scale.md)
for pair in flite:flite sox:sox shellcheck:shellcheck chromium:chromium slurmctld:slurm-wlm slurmd:slurm-wlm \
    sbatch:slurm-wlm munged:munge; do
    command -v "${pair%%:*}" > /dev/null || [[ " ${missing[*]} " == *" ${pair#*:} "* ]] || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    log "apt-get install ${missing[*]}"
    "${sudo[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y "${missing[@]}"
else
    log "flite, sox, shellcheck, chromium and Slurm are present; apt skipped"
fi

# 2. The virtual environment.
if [ ! -x "${venv}/bin/python" ]; then
    command -v "${python}" > /dev/null || python=python3
    version=$("${python}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    case "${version}" in
        3.10 | 3.11) ;;
        *) log "Error: ${python} is Python ${version}; espnet2_vc needs 3.10 or 3.11 (set PYTHON=...)"; exit 1 ;;
    esac
    log "creating ${venv} with ${python} (Python ${version})"
    "${python}" -m venv "${venv}"
else
    log "${venv} exists"
fi

# 3. Python packages, unless this exact setup.py and script were installed already.
wanted=$(cat "${main_root}/setup.py" "${BASH_SOURCE[0]}" | md5sum | cut -d ' ' -f 1)
if [ -f "${marker}" ] && [ "$(cat "${marker}")" = "${wanted}" ] && "${venv}/bin/python" -c 'import espnet2_vc, espnet2'; then
    log "Python packages are up to date (${marker}); pip skipped"
else
    pip=("${venv}/bin/python" -m pip)
    # pip 24.0: newer pip refuses the metadata of espnet's dependency ci_sdr.
    log "pip==24.0"
    "${pip[@]}" install --quiet "pip==24.0"
    # torch first, so that espnet does not pull another build; a matching torchaudio.
    log "torch==2.9.1 torchaudio==2.9.*${TORCH_INDEX_URL:+ from ${TORCH_INDEX_URL}}"
    "${pip[@]}" install --quiet ${TORCH_INDEX_URL:+--index-url "${TORCH_INDEX_URL}"} "torch==2.9.1" "torchaudio==2.9.*"
    log "espnet2_vc (editable) with its test extras"
    (cd "${main_root}" && "${pip[@]}" install --quiet -e ".[test]")
    echo "${wanted}" > "${marker}"
fi
"${venv}/bin/python" -c 'import torch, espnet, espnet2_vc; print("torch", torch.__version__, "espnet", espnet.__version__)'
# librosa compiles its numba kernels when its modules are first imported (~20 s, cached in site-packages):
# once here, instead of in every parallel job of a recipe's first run (3 duration jobs took ~60 s for it).
log "librosa's numba kernels (compiled once, then cached)"
"${venv}/bin/python" -c 'import librosa.core.audio, librosa.core.spectrum, librosa.core.pitch, librosa.util.utils, librosa.filters'
log "done; recipes source egs/<corpus>/vc1/path.sh, which activates ${venv}"
