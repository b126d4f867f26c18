#!/usr/bin/env bash
# CMU ARCTIC one-to-one conversion (default kathleen → fraser; any pair of cmu_us_<spk>_arctic folders,
# e.g. --srcspk slt --tgtspk bdl). Split: see local/data.sh (last 5% of the sorted ids eval, 5% dev).
#   ./run.sh --db_root /path/to/folder/with/cmu_us_xxx_arctic --ngpu 0     # 2 CPU cores, ~1 h 25 min, Vocos
#   ./run.sh --db_root ... --ngpu 1 --train_config conf/train.yaml --vocoder_config conf/vocoder_vocos.yaml \
#       --finetune_args "--max_epoch 50"   # (or conf/vocoder_hifigan.yaml: HiFi-GAN V1)
#   ./run.sh --db_root ... --ngpu 0 --duration_method teacher --teacher_config conf/teacher_vtn_cpu.yaml \
#       --tag train_cpu_teacher   # durations from a VTN teacher's attention instead of DTW (doc/durations.md)
#   ./run.sh --db_root ... --ngpu 0 --pretrained ../../flite_m2m/vc1/exp/vc_train_flite_m2m_cpu \
#       --pretrained_speakers kathleen=slt,fraser=kal16 --train_args "--optim_conf lr=0.0005 --max_epoch 20" \
#       --tag ft_flite   # from a model pretrained on flite speech: no better than scratch (doc/many_to_many.md)
# The default is the CPU system: conf/train_cpu.yaml and a CPU-sized Vocos trained on ground-truth, then
# predicted mels (stage 6, ~30 min); the second line is the paper-size model and Vocos (a GPU). doc/recipes.md.
set -euo pipefail

./vc.sh \
    --train_config conf/train_cpu.yaml \
    --vocoder_config conf/vocoder_vocos_cpu.yaml \
    --finetune_args "--max_epoch 5" \
    --db_root downloads \
    --srcspk kathleen \
    --tgtspk fraser \
    --train_set train \
    --valid_set dev \
    --test_sets "dev eval" \
    --min_dur 0.5 \
    --max_dur 15 \
    --nj 2 \
    --ngpu 1 \
    "$@"
