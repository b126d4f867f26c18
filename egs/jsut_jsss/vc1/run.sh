#!/usr/bin/env bash
# JSUT basic5000 → JSSS short-form basic5000 (same sentences, two speakers; 100 dev, 100 eval).
#   ./run.sh --db_root /path/holding/jsut_ver1.1/and/jsss_ver1 [--srcspk jsss --tgtspk jsut]
set -euo pipefail

./vc.sh \
    --train_config conf/train.yaml \
    --db_root downloads \
    --srcspk jsut \
    --tgtspk jsss \
    --train_set train \
    --valid_set dev \
    --test_sets "dev eval" \
    --min_dur 0.5 \
    --max_dur 15 \
    --nj 4 \
    --ngpu 1 \
    --vocoder_config conf/vocoder_hifigan.yaml \
    "$@"
