#!/usr/bin/env bash
# Pair two speakers' recordings by sentence id and write data/{train,dev,eval}/ (doc/data.md).
#
# Usage: scripts/make_pair_sets.sh [options] SRC_LIST TGT_LIST SRCSPK TGTSPK DATA_ROOT
#   SRC_LIST, TGT_LIST: "<sentence_id> <audio path>" lines (any order) for the source and target speaker.
# Options:
#   --text FILE      "<sentence_id> <transcript>" lines (optional; written to data/<set>/text)
#   --n_dev N        dev size: a count, or a percentage like "5%" of the pairs (default 10)
#   --n_eval N       eval size, likewise (default 10)
# Sentence ids found for one speaker only are skipped and listed on stderr. The pairs are sorted by
# sentence id (LC_ALL=C); the last n_eval go to eval, the n_dev before them to dev, the rest to train.
# Utterance ids are <srcspk>_<tgtspk>_<sentence_id>. Each set is written to <set>.tmp, checked, then moved.
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

text=""
n_dev=10
n_eval=10
help_message=$(sed -n '2,11p' "$0")
. utils/parse_options.sh

if [ $# -ne 5 ]; then
    echo "${help_message}" >&2
    exit 1
fi
srcspk=$3
tgtspk=$4
data_root=$5

tmp=$(mktemp -d)
trap 'rm -rf "${tmp}"' EXIT
for side_list in "src:$1" "tgt:$2"; do
    side=${side_list%%:*}
    list=${side_list#*:}
    awk 'NF >= 2 {print $1 "\t" substr($0, index($0, $2))}' "${list}" | LC_ALL=C sort -t "$(printf '\t')" -k1,1 \
        > "${tmp}/${side}"
    dup=$(cut -f 1 "${tmp}/${side}" | uniq -d | awk 'NR <= 3')
    [ -z "${dup}" ] || { echo "$0: duplicated sentence ids in ${list}: ${dup}" >&2; exit 1; }
done
# Sentence ids present for one speaker only.
LC_ALL=C join -t "$(printf '\t')" -v 1 "${tmp}/src" "${tmp}/tgt" | while IFS=$'\t' read -r id _; do
    echo "$0: skip ${id}: no ${tgtspk} recording" >&2
done
LC_ALL=C join -t "$(printf '\t')" -v 2 "${tmp}/src" "${tmp}/tgt" | while IFS=$'\t' read -r id _; do
    echo "$0: skip ${id}: no ${srcspk} recording" >&2
done
LC_ALL=C join -t "$(printf '\t')" "${tmp}/src" "${tmp}/tgt" > "${tmp}/pairs"
if [ -n "${text}" ]; then
    awk 'NF >= 2 {print $1 "\t" substr($0, index($0, $2))}' "${text}" | LC_ALL=C sort -t "$(printf '\t')" -k1,1 \
        > "${tmp}/text"
fi

n_pairs=$(wc -l < "${tmp}/pairs")
to_count() {  # "10" → 10; "5%" → 5% of the pairs, rounded
    case "$1" in
        *%) echo $(((n_pairs * ${1%\%} + 50) / 100)) ;;
        *) echo "$1" ;;
    esac
}
n_dev=$(to_count "${n_dev}")
n_eval=$(to_count "${n_eval}")
n_train=$((n_pairs - n_dev - n_eval))
if [ "${n_dev}" -lt 1 ] || [ "${n_eval}" -lt 1 ] || [ "${n_train}" -lt 1 ]; then
    echo "$0: ${n_pairs} pairs of ${srcspk} and ${tgtspk} cannot make train/dev/eval of ${n_train}/${n_dev}/${n_eval}" >&2
    exit 1
fi

first=1
for set_size in "train:${n_train}" "dev:${n_dev}" "eval:${n_eval}"; do
    name=${set_size%%:*}
    size=${set_size#*:}
    dir=${data_root}/${name}
    rm -rf "${dir}.tmp"
    mkdir -p "${dir}.tmp"
    awk -v a="${first}" -v b="$((first + size - 1))" 'NR >= a && NR <= b' "${tmp}/pairs" > "${tmp}/set"
    first=$((first + size))
    while IFS=$'\t' read -r id src tgt; do
        for f in "${src}" "${tgt}"; do
            [ -f "${f}" ] || { echo "$0: ${id}: audio file ${f} does not exist" >&2; exit 1; }
        done
        utt=${srcspk}_${tgtspk}_${id}
        echo "${utt} ${src}" >> "${dir}.tmp/wav.scp"
        echo "${utt} ${tgt}" >> "${dir}.tmp/tgt_wav.scp"
        echo "${utt} ${srcspk}" >> "${dir}.tmp/utt2spk"
        echo "${utt} ${tgtspk}" >> "${dir}.tmp/utt2tgt_spk"
    done < "${tmp}/set"
    if [ -n "${text}" ]; then
        cut -f 1 "${tmp}/set" | LC_ALL=C join -t "$(printf '\t')" - "${tmp}/text" \
            | awk -F '\t' -v p="${srcspk}_${tgtspk}_" '{print p $1 " " $2}' > "${dir}.tmp/text"
    fi
    # Check: every file sorted, one line per utterance, the same ids everywhere (text may lack some).
    for f in "${dir}.tmp"/*; do
        LC_ALL=C sort -c -k1,1 "${f}" || { echo "$0: ${f} is not sorted" >&2; exit 1; }
        [ "${f##*/}" != text ] || continue
        if ! cut -d ' ' -f 1 "${f}" | cmp -s - <(cut -d ' ' -f 1 "${dir}.tmp/wav.scp"); then
            echo "$0: ${f}: utterance ids differ from wav.scp" >&2
            exit 1
        fi
    done
    if [ -n "${text}" ] && [ "$(wc -l < "${dir}.tmp/text")" -ne "${size}" ]; then
        echo "$0: warning: ${dir}/text lacks $((size - $(wc -l < "${dir}.tmp/text"))) transcripts" >&2
    fi
    rm -rf "${dir}"
    mv "${dir}.tmp" "${dir}"
    echo "$0: ${dir}: ${size} pairs ${srcspk} -> ${tgtspk}" >&2
done
