#!/usr/bin/env bash
# JVS parallel100 one-to-one conversion (default jvs001 → jvs002, 24 kHz audio; 80/10/10 sentences).
#   ./run.sh --db_root /path/to/jvs_ver1 --srcspk jvs010 --tgtspk jvs050
# Many-to-many (doc/many_to_many.md): all 100 speakers, each with four others, both directions (400
# directions × 80 training sentences), one model with 100 speaker embeddings:
#   ./run.sh --db_root /path/to/jvs_ver1 --local_data_opts "--speakers all --pairs 4" \
#       --train_args "--tts_conf spks=100" --use_sids true --tag m2m
set -euo pipefail

./vc.sh \
    --train_config conf/train.yaml \
    --db_root downloads/jvs_ver1 \
    --srcspk jvs001 \
    --tgtspk jvs002 \
    --train_set train \
    --valid_set dev \
    --test_sets "dev eval" \
    --min_dur 0.5 \
    --max_dur 15 \
    --nj 4 \
    --ngpu 1 \
    --vocoder_config conf/vocoder_hifigan.yaml \
    "$@"
