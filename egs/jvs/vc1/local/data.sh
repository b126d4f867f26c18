#!/usr/bin/env bash
# JVS parallel100: pair two speakers by sentence id. Reads <db_root>/jvsNNN/parallel100/{wav24kHz16bit/
# VOICEACTRESS100_NNN.wav, transcripts_utf8.txt} and writes data/{train,dev,eval}/ (doc/data.md).
# Some speakers lack a few sentences: those ids are skipped and listed. Split of the shared ids, sorted:
# the last n_eval are eval, the n_dev before them dev (80/10/10 when both speakers have all 100).
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

db_root=downloads/jvs_ver1 # folder holding jvs001 … jvs100 (or its parent)
srcspk=jvs001
tgtspk=jvs002
n_dev=10
n_eval=10
# shellcheck disable=SC2034  # accepted for vc.sh, unused
nj=1
help_message="Usage: $0 [--db_root DIR] [--srcspk jvs001] [--tgtspk jvs002] [--n_dev 10] [--n_eval 10]"
. utils/parse_options.sh

[ ! -d "${db_root}/jvs_ver1" ] || db_root=${db_root}/jvs_ver1
tmp=$(mktemp -d)
trap 'rm -rf "${tmp}"' EXIT
for spk in "${srcspk}" "${tgtspk}"; do
    dir=${db_root}/${spk}/parallel100/wav24kHz16bit
    [ -d "${dir}" ] || { echo "$0: ${dir} is missing (download JVS from its official site)" >&2; exit 1; }
    find "${dir}" -maxdepth 1 -name 'VOICEACTRESS100_*.wav' | LC_ALL=C sort \
        | awk '{id = $0; sub(/.*\//, "", id); sub(/\.wav$/, "", id); print id " " $0}' > "${tmp}/${spk}.list"
done
# VOICEACTRESS100_001:<text>
sed -E 's/^([^:]+):/\1 /' "${db_root}/${srcspk}/parallel100/transcripts_utf8.txt" | tr -d '\r' > "${tmp}/text.list"
scripts/make_pair_sets.sh --text "${tmp}/text.list" --n_dev "${n_dev}" --n_eval "${n_eval}" data \
    "${srcspk}=${tmp}/${srcspk}.list" "${tgtspk}=${tmp}/${tgtspk}.list"
