#!/usr/bin/env bash
# A tiny parallel corpus made offline with Debian's flite: the same sentences (local/sentences.txt) spoken
# by two flite voices (16 kHz), or by several (--speakers slt,rms,awb,kal16: many-to-many, both directions of
# each pair of --pairs). Writes data/{train,dev,eval}/ (doc/data.md).
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

db_root=downloads/mini_flite # where the synthesized audio goes
srcspk=slt                   # flite voice of the source (flite -lv lists them: slt rms awb kal16)
tgtspk=rms                   # flite voice of the target
speakers=""                  # many-to-many: comma-separated voices (then --srcspk/--tgtspk are unused)
pairs=""                     # with --speakers: all, K partners per voice, or A:B,C:D (make_pair_sets.sh)
sentences=local/sentences.txt # one per line; fortunes: from Debian's (local/make_sentences.py)
num_sentences=120            # N lines of it
first_sentence=1             # from this line on (ids are line numbers)
n_dev=10                     # the last n_eval sentence ids are eval, the n_dev before them dev
n_eval=10
nj=2                         # parallel flite processes
help_message="Usage: $0 [--db_root DIR] [--srcspk slt --tgtspk rms | --speakers slt,rms,awb --pairs all] [--sentences FILE|fortunes] [--num_sentences 120] [--first_sentence 1] [--nj 2]"
. utils/parse_options.sh

command -v flite > /dev/null || { echo "$0: flite is missing (apt-get install flite, or tools/install.sh)" >&2; exit 1; }
if [ -n "${speakers}" ]; then
    IFS=, read -r -a voices <<< "${speakers}"
else
    voices=("${srcspk}" "${tgtspk}")
    [ "${srcspk}" != "${tgtspk}" ] || { echo "$0: --srcspk and --tgtspk are the same voice" >&2; exit 1; }
    pairs=${srcspk}:${tgtspk}
fi
for spk in "${voices[@]}"; do
    if ! flite -lv | tr ' ' '\n' | grep -x "${spk}" > /dev/null; then
        echo "$0: flite has no voice '${spk}'; it has: $(flite -lv | cut -d: -f2)" >&2
        exit 1
    fi
done

if [ "${sentences}" = fortunes ]; then
    sentences=${db_root}/fortunes.txt
    needed=$((first_sentence + num_sentences - 1))  # a longer file starts with a shorter one's lines (fixed order)
    if [ ! -s "${sentences}" ] || [ "$(wc -l < "${sentences}")" -lt "${needed}" ]; then
        python local/make_sentences.py --num "${needed}" "${sentences}"
    fi
fi

# One text file per sentence (rewritten only when it changed, so its audio is only redone then).
mkdir -p "${db_root}/text"
awk -v a="${first_sentence}" -v n="${num_sentences}" 'NR >= a && NR < a + n {printf "%04d\t%s\n", NR, $0}' \
    "${sentences}" > "${db_root}/sentences.tsv"
[ "$(wc -l < "${db_root}/sentences.tsv")" -eq "${num_sentences}" ] || {
    echo "$0: ${sentences} has fewer than ${num_sentences} lines from line ${first_sentence}" >&2
    exit 1
}
while IFS=$'\t' read -r id sentence; do
    if [ "$(cat "${db_root}/text/${id}.txt" 2> /dev/null)" != "${sentence}" ]; then
        printf '%s\n' "${sentence}" > "${db_root}/text/${id}.txt"
    fi
done < "${db_root}/sentences.tsv"

# Synthesize what is missing or older than its text, nj at a time.
# shellcheck disable=SC2016
for spk in "${voices[@]}"; do
    mkdir -p "${db_root}/${spk}"
    cut -f 1 "${db_root}/sentences.tsv" | while read -r id; do
        wav=${db_root}/${spk}/${id}.wav
        [ -s "${wav}" ] && [ "${wav}" -nt "${db_root}/text/${id}.txt" ] || echo "${spk} ${id}"
    done
done | xargs -r -P "${nj}" -L 1 bash -c \
    'flite -voice "$1" -f "$0/text/$2.txt" -o "$0/$1/$2.tmp.wav" && mv "$0/$1/$2.tmp.wav" "$0/$1/$2.wav"' "${db_root}"

lists=()
for spk in "${voices[@]}"; do
    lists+=("${spk}=${db_root}/${spk}.list")
    cut -f 1 "${db_root}/sentences.tsv" | awk -v d="${db_root}/${spk}" '{print $1 " " d "/" $1 ".wav"}' \
        > "${db_root}/${spk}.list"
done
tr '\t' ' ' < "${db_root}/sentences.tsv" > "${db_root}/text.list"
scripts/make_pair_sets.sh --text "${db_root}/text.list" --n_dev "${n_dev}" --n_eval "${n_eval}" \
    --pairs "${pairs}" data "${lists[@]}"
