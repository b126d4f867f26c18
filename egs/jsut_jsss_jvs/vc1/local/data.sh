#!/usr/bin/env bash
# JSUT + JSSS + JVS many-to-many (doc/many_to_many.md): speakers jsut, jsss and the JVS speakers, paired by
# sentence id. Sentences: voiceactress100 for every speaker (the same 100 in the three corpora), and with
# --basic5000 true also basic5000 for jsut <-> jsss. Directions: a ring of --pairs partners over all speakers
# (sorted: jsss, jsut, jvs001, ...; both directions) plus jsut -> jsss and jsss -> jsut. Reads
#   <db_root>/jsut_ver1.1/{voiceactress100,basic5000}/{wav/<ID>.wav, transcript_utf8.txt}
#   <db_root>/jsss_ver1/short-form/{voiceactress100,basic5000}/wav24kHz16bit/<ID>.wav (any wav* folder)
#   <db_root>/jvs_ver1/jvsNNN/parallel100/wav24kHz16bit/VOICEACTRESS100_NNN.wav
# and writes data/{train,dev,eval}/ (doc/data.md). Recordings a speaker lacks are skipped per direction and
# listed. Split per sentence group (make_pair_sets.sh --split_groups true): of each group's sorted ids the
# last n_eval are eval, the n_dev before them dev (voiceactress100 80/10/10), so every direction trains.
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

db_root=downloads # folder holding jsut_ver1.1/, jsss_ver1/ and jvs_ver1/
jvs_speakers=all  # all (every jvs_ver1/jvsNNN folder) or comma-separated jvsNNN
pairs=4           # partners per speaker in the ring (make_pair_sets.sh --pairs: all, even K, A:B,...)
basic5000=true    # add JSUT/JSSS basic5000 (jsut <-> jsss only)
n_dev=10          # per sentence group
n_eval=10
# shellcheck disable=SC2034  # accepted for vc.sh, unused
nj=1
help_message="Usage: $0 [--db_root DIR] [--jvs_speakers all|jvs001,...] [--pairs 4] [--basic5000 true]
    [--n_dev 10] [--n_eval 10]"
. utils/parse_options.sh

jsut=${db_root}/jsut_ver1.1
jsss=${db_root}/jsss_ver1/short-form
jvs=${db_root}/jvs_ver1
groups=(voiceactress100)
[ "${basic5000}" = false ] || groups+=(basic5000)
# need_dir DIR: stop unless DIR exists.
need_dir() {
    [ -d "$1" ] || { echo "$0: $1 is missing (download JSUT, JSSS and JVS from their official sites)" >&2; exit 1; }
}
if [ "${jvs_speakers}" = all ]; then
    need_dir "${jvs}"
    mapfile -t voices < <(find "${jvs}" -mindepth 1 -maxdepth 1 -type d -name 'jvs[0-9]*' -printf '%f\n' \
        | LC_ALL=C sort)
    [ "${#voices[@]}" -ge 1 ] || { echo "$0: no jvsNNN folders in ${jvs}" >&2; exit 1; }
else
    IFS=, read -r -a voices <<< "${jvs_speakers}"
fi
tmp=$(mktemp -d)
trap 'rm -rf "${tmp}"' EXIT

# list_wavs SPK DIR GROUP: append "<ID> <path>" of DIR/<GROUP>_*.wav (or .flac) to ${tmp}/SPK.list.
list_wavs() {
    need_dir "$2"
    scripts/list_audio.sh "$2" "${3^^}_" >> "${tmp}/$1.list"
}
: > "${tmp}/text.list"
for group in "${groups[@]}"; do
    list_wavs jsut "${jsut}/${group}/wav" "${group}"
    dirs=("${jsss}/${group}"/wav*)
    list_wavs jsss "${dirs[0]}" "${group}"
    # <ID>:<text> (JSUT's transcripts; JSSS and JVS read the same sentences)
    sed -E 's/^([^:]+):/\1 /' "${jsut}/${group}/transcript_utf8.txt" | tr -d '\r' >> "${tmp}/text.list"
done
lists=("jsut=${tmp}/jsut.list" "jsss=${tmp}/jsss.list")
for spk in "${voices[@]}"; do
    list_wavs "${spk}" "${jvs}/${spk}/parallel100/wav24kHz16bit" voiceactress100
    lists+=("${spk}=${tmp}/${spk}.list")
done
scripts/make_pair_sets.sh --text "${tmp}/text.list" --n_dev "${n_dev}" --n_eval "${n_eval}" --split_groups true \
    --pairs "${pairs},jsut:jsss,jsss:jsut" data "${lists[@]}"
