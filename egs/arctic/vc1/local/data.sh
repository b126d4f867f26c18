#!/usr/bin/env bash
# CMU ARCTIC: pair two speakers by sentence id. Reads <db_root>/cmu_us_<spk>_arctic/{wav/*.wav|*.flac,
# etc/txt.done.data} (festvox layout) and writes data/{train,dev,eval}/ (doc/data.md).
# Split of the sentence ids both speakers have, sorted (arctic_a0001 … arctic_a0593, arctic_b0001 …
# arctic_b0539 for the full release): the last n_eval (5%) are eval, the n_dev (5%) before them dev.
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

db_root=downloads # folder holding cmu_us_<spk>_arctic/
srcspk=kathleen
tgtspk=fraser
n_dev=5%          # a count or a percentage of the pairs
n_eval=5%
# shellcheck disable=SC2034  # accepted for vc.sh, unused
nj=1
help_message="Usage: $0 [--db_root DIR] [--srcspk kathleen] [--tgtspk fraser] [--n_dev 5%] [--n_eval 5%]"
. utils/parse_options.sh

tmp=$(mktemp -d)
trap 'rm -rf "${tmp}"' EXIT
for spk in "${srcspk}" "${tgtspk}"; do
    dir=${db_root}/cmu_us_${spk}_arctic
    if [ ! -d "${dir}/wav" ] || [ ! -f "${dir}/etc/txt.done.data" ]; then
        echo "$0: ${dir}/wav or ${dir}/etc/txt.done.data is missing. Download and unpack e.g." >&2
        echo "  http://festvox.org/cmu_arctic/packed/cmu_us_${spk}_arctic-0.95-release.tar.bz2 into ${db_root}" >&2
        exit 1
    fi
    # Audio as .wav (the release) or .flac; the sentence id is the file name.
    scripts/list_audio.sh "${dir}/wav" > "${tmp}/${spk}.list"
    [ -s "${tmp}/${spk}.list" ] || { echo "$0: no .wav or .flac audio in ${dir}/wav" >&2; exit 1; }
done
# ( arctic_a0001 "Author of the danger trail, Philip Steels, etc." )
sed -nE 's/^\( *([^ ]+) +"(.*)" *\) *$/\1 \2/p' "${db_root}/cmu_us_${srcspk}_arctic/etc/txt.done.data" \
    > "${tmp}/text.list"
scripts/make_pair_sets.sh --text "${tmp}/text.list" --n_dev "${n_dev}" --n_eval "${n_eval}" data \
    "${srcspk}=${tmp}/${srcspk}.list" "${tgtspk}=${tmp}/${tgtspk}.list"
