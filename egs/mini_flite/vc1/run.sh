#!/usr/bin/env bash
# mini_flite: a parallel corpus synthesized offline with Debian's flite (voice slt → voice rms, 16 kHz,
# 100/10/10 sentences), small enough for CI: stages 1-9 on 2 CPU cores in about 10 minutes.
#   ./run.sh                      # everything, on the CPU
#   ./run.sh --stage 5 --force true --train_args "--max_epoch 2"
set -euo pipefail

./vc.sh \
    --train_config conf/train_debug.yaml \
    --db_root downloads/mini_flite \
    --srcspk slt \
    --tgtspk rms \
    --train_set train \
    --valid_set dev \
    --test_sets eval \
    --min_dur 0.5 \
    --max_dur 10 \
    --nj 2 \
    --ngpu 0 \
    --vocoder_config conf/vocoder_debug.yaml \
    --stop_stage 9 \
    "$@"
