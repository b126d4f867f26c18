#!/usr/bin/env bash
# mini_flite many-to-many: one model for four flite voices (slt, rms, awb, kal16; 16 kHz), every direction
# of every pair (12), the same sentences for all (40 train / 10 dev / 10 eval each). Offline, CPU minutes.
#   ./run.sh                                         # stages 1-9
#   ./run.sh --local_data_opts "--speakers slt,rms,awb --pairs all --num_sentences 60"
# Convert by speaker name: vc_inference --src_spk slt --tgt_spk awb, VoiceConverter(...)(wav, fs,
# src_spk="slt", tgt_spk="awb") (doc/many_to_many.md).
set -euo pipefail

./vc.sh \
    --train_config conf/train_debug.yaml \
    --train_args "--tts_conf spks=4" \
    --use_sids true \
    --tag m2m_debug \
    --db_root downloads/mini_flite \
    --local_data_opts "--speakers slt,rms,awb,kal16 --pairs all --num_sentences 60" \
    --train_set train \
    --valid_set dev \
    --test_sets eval \
    --min_dur 0.5 \
    --max_dur 10 \
    --nj 2 \
    --ngpu 0 \
    --stop_stage 9 \
    --eval_args "--metrics mcd,f0,duration,speaker" \
    "$@"
