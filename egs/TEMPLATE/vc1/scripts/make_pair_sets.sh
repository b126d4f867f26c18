#!/usr/bin/env bash
# Pair speakers' recordings by sentence id and write data/{train,dev,eval}/ (doc/data.md).
#
# Usage: scripts/make_pair_sets.sh [options] DATA_ROOT SPK1=LIST1 SPK2=LIST2 [SPK3=LIST3 ...]
#   LIST: "<sentence_id> <audio path>" lines (any order) of one speaker.
# Options:
#   --text FILE   "<sentence_id> <transcript>" lines (optional; written to data/<set>/text)
#   --n_dev N     dev size in sentences: a count, or a percentage like "5%" (default 10)
#   --n_eval N    eval size, likewise (default 10)
#   --pairs P     directions: empty (default) = SPK1 -> SPK2 for two speakers, all for more; "all" (every
#                 ordered pair); an even K (each speaker with K partners, both directions); "A:B,C:D";
#                 or a comma-separated union of these ("4,A:B,B:A")
#   --split_groups true|false  split each sentence group (the id without its trailing _digits) on its own,
#                 n_dev / n_eval per group, so dev and eval hold sentences of every group (default false)
# Sentence ids a pair does not share are skipped and listed on stderr. The split is by sentence (sorted,
# LC_ALL=C): the last n_eval are eval, the n_dev before them dev, the rest train, in every direction.
# Utterance ids are <srcspk>_<tgtspk>_<sentence_id>. Each set is written to <set>.tmp, checked, then moved.
# The work is done by python -m espnet2_vc.bin.make_pairs (espnet2_vc/data/pairs.py).
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

text=""
n_dev=10
n_eval=10
pairs=""
split_groups=false
help_message=$(sed -n '2,18p' "$0")
. utils/parse_options.sh

if [ $# -lt 3 ]; then
    echo "${help_message}" >&2
    exit 1
fi
if [ -z "${pairs}" ]; then
    pairs=all
    [ $# -ne 3 ] || pairs="${2%%=*}:${3%%=*}"
fi
# The recipes' environment (venv, package path), found from this script's real place: local/data.sh also
# runs outside vc.sh (tests call it from temporary folders).
# shellcheck source=SCRIPTDIR/../path.sh
. "$(dirname "$(readlink -f "$0")")/../path.sh"
opts=(--pairs "${pairs}" --n_dev "${n_dev}" --n_eval "${n_eval}" --split_groups "${split_groups}")
[ -z "${text}" ] || opts+=(--text "${text}")
python3 -m espnet2_vc.bin.make_pairs "${opts[@]}" "$@"
