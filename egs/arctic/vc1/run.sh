#!/usr/bin/env bash
# CMU ARCTIC one-to-one conversion (default kathleen → fraser; any pair of cmu_us_<spk>_arctic folders,
# e.g. --srcspk slt --tgtspk bdl). Split: see local/data.sh (last 5% of the sorted ids eval, 5% dev).
#   ./run.sh --db_root /path/to/folder/with/cmu_us_xxx_arctic
set -euo pipefail

./vc.sh \
    --train_config conf/train.yaml \
    --db_root downloads \
    --srcspk kathleen \
    --tgtspk fraser \
    --train_set train \
    --valid_set dev \
    --test_sets "dev eval" \
    --min_dur 0.5 \
    --max_dur 15 \
    --nj 4 \
    --ngpu 1 \
    --vocoder_config conf/vocoder_hifigan.yaml \
    "$@"
