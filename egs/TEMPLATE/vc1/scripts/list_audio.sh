#!/usr/bin/env bash
# "<id> <path>" lines, sorted (LC_ALL=C), of the .wav and .flac files DIR/PREFIX* (not in subfolders); the id is
# the file name without its extension: the form of make_pair_sets.sh's lists.
# Usage: scripts/list_audio.sh DIR [PREFIX]      e.g. scripts/list_audio.sh .../wav24kHz16bit VOICEACTRESS100_
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "Usage: $0 DIR [PREFIX]" >&2; exit 2; fi
[ -d "$1" ] || { echo "$0: $1 is not a folder" >&2; exit 1; }
prefix=${2:-}
find "$1" -maxdepth 1 -type f \( -name "${prefix}*.wav" -o -name "${prefix}*.flac" \) | LC_ALL=C sort \
    | awk '{id = $0; sub(/.*\//, "", id); sub(/\.(wav|flac)$/, "", id); print id " " $0}'
