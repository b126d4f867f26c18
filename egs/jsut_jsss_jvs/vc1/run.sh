#!/usr/bin/env bash
# JSUT + JSSS + JVS many-to-many (doc/many_to_many.md): one 24 kHz NARS2S with speaker ids (spks=102) for jsut,
# jsss and the 100 JVS speakers, on a ring of four partners per speaker (jsut <-> jsss among them), both ways:
# 408 directions, voiceactress100 80/10/10 in each, plus basic5000 for jsut <-> jsss (10 dev, 10 eval).
#   ./run.sh --db_root /path/holding/jsut_ver1.1/jsss_ver1/and/jvs_ver1
# Fewer JVS speakers (M of them: spks=M+2, the speakers stage 2 writes to spk2sid):
#   ./run.sh --db_root ... --local_data_opts "--jvs_speakers jvs001,jvs002,jvs003" --train_args "--tts_conf spks=5"
# Convert by name: vc_inference --src_spk jsut --tgt_spk jvs010. Cost: not measured (no corpus here).
# The sets (train; dev and eval decoded and evaluated), --nj 4 and --ngpu 1 (a GPU) are vc.sh's defaults.
set -euo pipefail

./vc.sh \
    --train_config conf/train.yaml \
    --train_args "--tts_conf spks=102" \
    --use_sids true \
    --tag m2m \
    --db_root downloads \
    --min_dur 0.5 \
    --max_dur 15 \
    --vocoder_config conf/vocoder_hifigan.yaml \
    --eval_args "--metrics mcd,f0,duration,speaker" \
    "$@"
