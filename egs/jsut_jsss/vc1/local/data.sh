#!/usr/bin/env bash
# JSUT basic5000 ↔ JSSS short-form basic5000 (same sentences, two speakers), paired by sentence id.
# Reads <db_root>/jsut_ver1.1/basic5000/{wav/BASIC5000_NNNN.wav, transcript_utf8.txt} and
# <db_root>/jsss_ver1/short-form/basic5000/wav24kHz16bit/BASIC5000_NNNN.wav (the layout ESPnet's
# egs2/jsss recipe reads; any wav* folder there is accepted) and writes data/{train,dev,eval}/.
# Ids one corpus lacks are skipped and listed. Split of the shared ids, sorted: the last n_eval are eval,
# the n_dev before them dev.
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

db_root=downloads # folder holding jsut_ver1.1/ and jsss_ver1/
srcspk=jsut       # jsut or jsss
tgtspk=jsss
n_dev=100
n_eval=100
# shellcheck disable=SC2034  # accepted for vc.sh, unused
nj=1
help_message="Usage: $0 [--db_root DIR] [--srcspk jsut] [--tgtspk jsss] [--n_dev 100] [--n_eval 100]"
. utils/parse_options.sh

jsut=${db_root}/jsut_ver1.1/basic5000
jsss=${db_root}/jsss_ver1/short-form/basic5000
tmp=$(mktemp -d)
trap 'rm -rf "${tmp}"' EXIT
for spk in "${srcspk}" "${tgtspk}"; do
    case "${spk}" in
        jsut) dirs=("${jsut}/wav") ;;
        jsss) dirs=("${jsss}"/wav*) ;;
        *) echo "$0: unknown speaker ${spk}; use jsut or jsss" >&2; exit 1 ;;
    esac
    [ -d "${dirs[0]}" ] || { echo "$0: ${dirs[0]} is missing (download ${spk^^} from its official site)" >&2; exit 1; }
    scripts/list_audio.sh "${dirs[0]}" BASIC5000_ > "${tmp}/${spk}.list"
done
[ "${srcspk}" != "${tgtspk}" ] || { echo "$0: --srcspk and --tgtspk are the same" >&2; exit 1; }
# BASIC5000_0001:<text> (JSUT's transcript; JSSS reads the same sentences)
sed -E 's/^([^:]+):/\1 /' "${jsut}/transcript_utf8.txt" | tr -d '\r' > "${tmp}/text.list"
scripts/make_pair_sets.sh --text "${tmp}/text.list" --n_dev "${n_dev}" --n_eval "${n_eval}" data \
    "${srcspk}=${tmp}/${srcspk}.list" "${tgtspk}=${tmp}/${tgtspk}.list"
