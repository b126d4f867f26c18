#!/usr/bin/env bash
# mini_flite: a parallel corpus synthesized offline with Debian's flite (voice slt → voice rms, 16 kHz,
# 100/10/10 sentences), small enough for CI: stages 1-9 on 2 CPU cores in about 3 minutes, decoded with
# Griffin-Lim (the debug HiFi-GAN of conf/vocoder_debug.yaml is a pipeline check, worse than Griffin-Lim).
#   ./run.sh                      # everything, on the CPU
#   ./run.sh --stage 5 --force true --train_args "--max_epoch 2"
#   ./run.sh --vocoder_config conf/vocoder_debug.yaml --stage 6   # with the debug HiFi-GAN (stage 6)
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
    --stop_stage 9 \
    "$@"
