#!/usr/bin/env bash
# The duration teacher of vc.sh stage 4 (--duration_method teacher; doc/durations.md): an autoregressive
# attention VC model (--tts vtn) trained on the features stage 3 dumped, with the student's mel settings,
# trimming and reduction factor filled into its config (espnet2_vc.bin.teacher_config), so that its attention
# indexes the student's frames. Reused while its settings are unchanged (.done). Run from egs/<corpus>/vc1/.
#
# Usage: scripts/teacher.sh --teacher_config conf/teacher_vtn_cpu.yaml --teacher_exp exp/vc_train_teacher_x
# The teacher is a converter too: vc.sh --tag teacher_<config name> --stage 7 decodes and evaluates it.
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

. scripts/common.sh

teacher_config=""     # teacher training config (network, optimization; tts: vtn)
teacher_exp=""        # output folder (config.yaml, checkpoints, train.log)
vc_stats_dir=exp/vc_stats # stage 3's statistics, features and the student's config.yaml
train_set=train       # sets of dump/raw/ (for speaker ids)
valid_set=dev
dumpdir=dump
ngpu=1                # GPUs for training (0: CPU)
train_nthreads=0      # CPU threads (0: every core)
train_args=""         # more options for the teacher's vc_train, e.g. "--max_epoch 10"
use_sids=false        # pass speaker ids (many-to-many)
force=false           # retrain even when .done says it is up to date
# --cmd, --slurm_conf, --num_nodes: the job options of scripts/common.sh (doc/scale.md)
python=""            # Python to run the tools with; default: the venv's (activated by path.sh)

help_message="$(sed -n '2,8p' "$0")"
log "$0 $*"
. utils/parse_options.sh
. ./path.sh
python=${python:-$(command -v python || command -v python3)}
[ "${train_nthreads}" -gt 0 ] || train_nthreads=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
for f in "${teacher_config}" "${vc_stats_dir}/config.yaml"; do
    [ -f "${f}" ] || { log "Error: ${f:-(--teacher_config)} does not exist"; exit 2; }
done
[ -n "${teacher_exp}" ] || { log "Error: --teacher_exp is required"; exit 2; }

_sig="${train_args} $(signature "${teacher_config}" "${vc_stats_dir}/.done")${use_sids}"
refuse_other_settings "${teacher_exp}" "${_sig}" "use --teacher_exp <new folder>"
is_done "${teacher_exp}" "${_sig}" && exit 0
[ "${force}" = false ] || rm -rf "${teacher_exp}"
mkdir -p "${teacher_exp}"
run_logged "${teacher_exp}/teacher_config.log" "${python}" -m espnet2_vc.bin.teacher_config \
    --teacher_config "${teacher_config}" --vc_config "${vc_stats_dir}/config.yaml" \
    --output "${teacher_exp}/train_config.yaml"
_opts=(--normalize_conf "stats_file=${vc_stats_dir}/train/src_feats_stats.npz"
    --tgt_normalize_conf "stats_file=${vc_stats_dir}/train/tgt_feats_stats.npz")
for split in train valid; do
    dset=${train_set}
    [ "${split}" = train ] || dset=${valid_set}
    for name in src_feats tgt_feats; do  # the mels of stage 3; every pair of stage 2, no durations needed
        _opts+=(--"${split}"_data_path_and_name_and_type "${vc_stats_dir}/${split}/collect_feats/${name}.scp,${name},npy")
    done
    _opts+=(--"${split}"_shape_file "${vc_stats_dir}/${split}/src_speech_shape"
        --"${split}"_shape_file "${vc_stats_dir}/${split}/tgt_speech_shape")
    if [ "${use_sids}" = true ]; then
        _opts+=(--"${split}"_data_path_and_name_and_type "${dumpdir}/raw/${dset}/utt2src_sid,src_sids,text_int"
            --"${split}"_data_path_and_name_and_type "${dumpdir}/raw/${dset}/utt2tgt_sid,tgt_sids,text_int")
    fi
done
# shellcheck disable=SC2086
train_logged "${teacher_exp}" "${train_nthreads}" "${ngpu}" "the duration teacher" \
    espnet2_vc.bin.vc_train --config "${teacher_exp}/train_config.yaml" \
    "${_opts[@]}" ${train_args}
mark_done "${teacher_exp}" "${_sig}"
