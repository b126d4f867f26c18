#!/usr/bin/env bash
# Merge the outputs of vc_inference jobs (LOGDIR/output.N/) into one decoding folder (vc.sh stage 7).
# Features stay in the jobs' ark files, as in ESPnet's tts.sh; scp, durations, rtf and wavs are merged.
#   scripts/merge_decode.sh <logdir> <decode dir>
set -euo pipefail
[ $# -eq 2 ] || { echo "Usage: $0 <logdir> <decode dir>" >&2; exit 2; }
logdir=$1
dir=$2
for sub in norm denorm; do
    [ -f "${logdir}/output.1/${sub}/feats.scp" ] || continue
    mkdir -p "${dir}/${sub}"
    cat "${logdir}"/output.*/"${sub}"/feats.scp | LC_ALL=C sort > "${dir}/${sub}/feats.scp"
done
if [ -f "${logdir}/output.1/durations/durations" ]; then
    mkdir -p "${dir}/durations"
    cat "${logdir}"/output.*/durations/durations | LC_ALL=C sort > "${dir}/durations/durations"
fi
cat "${logdir}"/output.*/rtf | LC_ALL=C sort > "${dir}/rtf"
if [ -f "${logdir}/output.1/wav.scp" ]; then
    mkdir -p "${dir}/wav"
    find "${logdir}" -path "*/output.*/wav/*.wav" -exec mv -t "${dir}/wav/" {} +
    cat "${logdir}"/output.*/wav.scp | awk -v d="${dir}/wav" '{print $1 " " d "/" $1 ".wav"}' \
        | LC_ALL=C sort > "${dir}/wav.scp"
fi
