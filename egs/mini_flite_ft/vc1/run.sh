#!/usr/bin/env bash
# Fine-tuning example (doc/training.md): the mini_flite slt → rms model fine-tuned to slt → awb (another flite
# voice) on 20 pairs, starting from its weights and normalizing with its statistics (vc.sh --pretrained);
# the optimizer and the learning rate start afresh. Train the model first:
#   (cd ../../mini_flite/vc1 && ./run.sh --stop_stage 5) && ./run.sh
#   ./run.sh --pretrained "" --tag scratch_awb      # the same 20 pairs from scratch, to compare with
# From a many-to-many model (one with exp/*/spk2sid; doc/many_to_many.md) the speakers keep their ids:
#   ./run.sh --pretrained ../../mini_flite_m2m/vc1/exp/vc_train_m2m_debug --tag finetune_m2m_awb
set -euo pipefail

pretrained=../../mini_flite/vc1/exp/vc_train_train_debug
if [ "${1:-}" = --pretrained ]; then pretrained=$2; shift 2; fi
opts=(--tag finetune_awb)
# vc.sh --pretrained: its weights, statistics and (many-to-many) speaker table; the optimizer starts afresh
[ -z "${pretrained}" ] || opts+=(--pretrained "${pretrained}" --train_args "--optim_conf lr=0.0005")

./vc.sh \
    --train_config conf/train_debug.yaml \
    --db_root downloads/mini_flite_awb \
    --srcspk slt \
    --tgtspk awb \
    --local_data_opts "--num_sentences 40 --n_dev 10 --n_eval 10" \
    --train_set train \
    --valid_set dev \
    --test_sets "dev eval" \
    --min_dur 0.5 \
    --max_dur 10 \
    --nj 2 \
    --ngpu 0 \
    --stop_stage 8 \
    "${opts[@]}" \
    "$@"
