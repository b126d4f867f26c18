#!/usr/bin/env bash
# Pretraining on synthetic speech for ARCTIC (doc/many_to_many.md): 2,000 sentences of Debian's fortunes
# (apt-get install fortunes) spoken offline by four flite voices (16 kHz), the female slt to and from each
# male voice (6 directions), one many-to-many model of ARCTIC's CPU size and mel settings
# (../../arctic/vc1/conf/train_cpu.yaml with 4 speaker embeddings), 1,000 steps. Then fine-tune on ARCTIC:
#   ./run.sh && (cd ../../arctic/vc1 && ./run.sh --db_root ... --ngpu 0 --pretrained \
#       ../../flite_m2m/vc1/exp/vc_train_flite_m2m_cpu --pretrained_speakers kathleen=slt,fraser=kal16 \
#       --train_args "--optim_conf lr=0.0005 --max_epoch 10" --tag ft_flite)   # fraser's nearest voice: kal16
# Cost, measured on 2 CPU cores (2026-12-02): stages 1-4 8 min 51 s (flite 3.5 min: 8.4 h of audio), stage 5
# 24 min (1.45 s a step), ~6 GB of disk. On ARCTIC it does not beat training from scratch for
# the same CPU time (dev MCD 6.65 against 6.57, V/UV error 53 % against 31 %): doc/many_to_many.md.
set -euo pipefail

./vc.sh \
    --train_config conf/train_cpu.yaml \
    --train_args "--tts_conf spks=4 --max_epoch 10" \
    --use_sids true \
    --tag flite_m2m_cpu \
    --db_root downloads/flite_m2m \
    --local_data_opts "--speakers slt,rms,awb,kal16 --pairs slt:awb,slt:rms,slt:kal16,awb:slt,rms:slt,kal16:slt --sentences fortunes --num_sentences 2000 --n_dev 10 --n_eval 10" \
    --train_set train \
    --valid_set dev \
    --test_sets eval \
    --min_dur 0.5 \
    --max_dur 15 \
    --nj 2 \
    --ngpu 0 \
    --stop_stage 5 \
    "$@"
