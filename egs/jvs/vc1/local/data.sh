#!/usr/bin/env bash
# JVS parallel100: pair speakers by sentence id. Reads <db_root>/jvsNNN/parallel100/{wav24kHz16bit/
# VOICEACTRESS100_NNN.wav, transcripts_utf8.txt} and writes data/{train,dev,eval}/ (doc/data.md).
# One pair (--srcspk → --tgtspk), or many-to-many: --speakers all (every jvsNNN folder) or jvs001,jvs002,...
# with --pairs all|K|A:B,... (K = 4: each speaker with four others, both directions; doc/many_to_many.md).
# Some speakers lack a few sentences: those ids are skipped per pair and listed. Split by sentence id,
# sorted: the last n_eval are eval, the n_dev before them dev (80/10/10 when all 100 are there).
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

db_root=downloads/jvs_ver1 # folder holding jvs001 … jvs100 (or its parent)
srcspk=jvs001
tgtspk=jvs002
speakers=""                # many-to-many: all, or comma-separated jvsNNN (then --srcspk/--tgtspk are unused)
pairs=4                    # with --speakers: all, K partners per speaker, or A:B,C:D
n_dev=10
n_eval=10
# shellcheck disable=SC2034  # accepted for vc.sh, unused
nj=1
help_message="Usage: $0 [--db_root DIR] [--srcspk jvs001 --tgtspk jvs002 | --speakers all --pairs 4] [--n_dev 10] [--n_eval 10]"
. utils/parse_options.sh

[ ! -d "${db_root}/jvs_ver1" ] || db_root=${db_root}/jvs_ver1
if [ "${speakers}" = all ]; then
    mapfile -t voices < <(find "${db_root}" -mindepth 1 -maxdepth 1 -type d -name 'jvs[0-9]*' -printf '%f\n' | LC_ALL=C sort)
    [ "${#voices[@]}" -ge 2 ] || { echo "$0: fewer than two jvsNNN folders in ${db_root}" >&2; exit 1; }
elif [ -n "${speakers}" ]; then
    IFS=, read -r -a voices <<< "${speakers}"
else
    voices=("${srcspk}" "${tgtspk}")
    pairs=${srcspk}:${tgtspk}
fi
tmp=$(mktemp -d)
trap 'rm -rf "${tmp}"' EXIT
lists=()
for spk in "${voices[@]}"; do
    dir=${db_root}/${spk}/parallel100/wav24kHz16bit
    [ -d "${dir}" ] || { echo "$0: ${dir} is missing (download JVS from its official site)" >&2; exit 1; }
    scripts/list_audio.sh "${dir}" VOICEACTRESS100_ > "${tmp}/${spk}.list"
    lists+=("${spk}=${tmp}/${spk}.list")
done
# VOICEACTRESS100_001:<text> (the first speaker's transcript: the sentences are the same for all)
sed -E 's/^([^:]+):/\1 /' "${db_root}/${voices[0]}/parallel100/transcripts_utf8.txt" | tr -d '\r' > "${tmp}/text.list"
scripts/make_pair_sets.sh --text "${tmp}/text.list" --n_dev "${n_dev}" --n_eval "${n_eval}" --pairs "${pairs}" \
    data "${lists[@]}"
