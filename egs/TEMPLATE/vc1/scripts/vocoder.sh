#!/usr/bin/env bash
# Vocoder (Vocos or HiFi-GAN) for a trained VC model (vc.sh stage 6; doc/vocoder.md). Run from egs/<corpus>/vc1/.
#   step 1: train on ground-truth mels of the target speech (dump/raw/<train>/tgt_wav.scp) → <expdir>/voc_<tag>_gt/
#   step 2: teacher-forced (GTA) decoding of the train and valid sets with the VC model
#           → <vc_exp>/decode_gta_<vc model>/<set>/denorm/feats.scp (same frame count as the target audio)
#   step 3: fine-tune step 1's vocoder on the GTA mels (weights only: the optimizers start afresh)
#           → <expdir>/voc_<tag>_gta/
# The mel settings are read from the VC model's config.yaml; a vocoder config that states other ones, a
# generator whose upsampling is not the hop, or badly scaled audio are refused before training starts.
#
# Usage: scripts/vocoder.sh --vc_exp exp/vc_train_<tag> --vocoder_config conf/vocoder_hifigan.yaml [options]
# vc.sh stages 7-9 then decode, evaluate and pack with the fine-tuned vocoder (--vocoder_model auto); by hand:
#   vc_inference … --vocoder <its generator: hifigan|vocos> --vocoder_conf model_file=<expdir>/voc_<tag>_gta/<vocoder_model>
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

. scripts/common.sh

step=1                    # first step to run (1 ground truth, 2 GTA decoding, 3 fine-tuning)
stop_step=3               # last step to run
vc_exp=""                 # trained VC model folder (config.yaml and checkpoints)
vc_config=""              # the VC model's config (mel settings); default: <vc_exp>/config.yaml
vc_model=valid.loss.ave.pth # VC checkpoint for GTA decoding; falls back to valid.loss.best.pth, then latest.pth
vocoder_config=""         # vocoder training config, e.g. conf/vocoder_hifigan.yaml
vocoder_model=latest.pth  # vocoder checkpoint that fine-tuning starts from (and that decoding should use)
train_set=train           # sets of dump/raw/ and of the durations folder
valid_set=dev
dumpdir=dump              # dumped audio (vc.sh stage 2)
durdir=""                 # durations (vc.sh stage 4); default: <dumpdir>/durations
expdir=exp                # where the vocoder folders go
tag=""                    # vocoder name; default: the vocoder config's name
nj=4                      # parallel GTA decoding jobs
ngpu=1                    # GPUs for vocoder training (0: CPU)
train_nthreads=0          # CPU threads of a training (0: every core); GTA decoding jobs keep one each
gpu_inference=false       # GTA decoding on a GPU (one per job)
train_args=""             # extra options for both trainings, e.g. "--batch_size 8"
finetune_args=""          # extra options for fine-tuning only, e.g. "--max_epoch 20"
use_sids=auto             # speaker ids for GTA decoding: auto = when the VC config sets tts_conf.spks > 1
force=false               # redo steps whose .done marker says they are up to date
# --cmd, --slurm_conf, --num_nodes: the job options of scripts/common.sh (doc/scale.md)
python=""                 # Python to run the tools with; default: the venv's (activated by path.sh)

help_message="$(sed -n '2,13p' "$0")
Options (default): see the variables at the top of $0, e.g. --vc_exp --vocoder_config --train_set (${train_set})
  --valid_set (${valid_set}) --nj (${nj}) --ngpu (${ngpu}) --finetune_args \"--max_epoch 20\" --step/--stop_step"
log "$0 $*"
. utils/parse_options.sh
. ./path.sh
python=${python:-$(command -v python || command -v python3)}
[ "${train_nthreads}" -gt 0 ] || train_nthreads=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)

[ -n "${vc_exp}" ] || { log "Error: --vc_exp is required"; exit 2; }
[ -n "${vocoder_config}" ] || { log "Error: --vocoder_config is required"; exit 2; }
vc_config=${vc_config:-${vc_exp}/config.yaml}
durdir=${durdir:-${dumpdir}/durations}
for f in "${vc_config}" "${vocoder_config}"; do
    [ -f "${f}" ] || { log "Error: ${f} does not exist"; exit 2; }
done
tag=${tag:-$(basename "${vocoder_config}" .yaml)}
gt_exp=${expdir}/voc_${tag}_gt
gta_exp=${expdir}/voc_${tag}_gta
if [ "${stop_step}" -ge 2 ]; then  # step 1 alone needs no VC model
    _vc_model=$(best_model "${vc_exp}" "${vc_model}")
    gta_dir=${vc_exp}/decode_gta_$(basename "${_vc_model}" .pth)
fi
if [ "${use_sids}" = auto ]; then
    use_sids=$(uses_sids "${python}" "${vc_config}")
fi

train_vocoder() {  # train_vocoder OUT_DIR SIGNATURE KEYS_TRAIN KEYS_VALID [options...]: vocoder_train
    local out=$1 sig=$2 keys_train=$3 keys_valid=$4
    shift 4
    is_done "${out}" "${sig}" && return 0
    [ "${force}" = false ] || rm -rf "${out}"
    mkdir -p "${out}/shape"
    local opts=() dset keys
    for split in train valid; do
        dset=${train_set} keys=${keys_train}
        [ "${split}" = train ] || { dset=${valid_set}; keys=${keys_valid}; }
        # Shape file: the target lengths of the utterances listed in KEYS (the sampler's key list).
        filter_keys "${keys}" "${dumpdir}/raw/${dset}/tgt_utt2num_samples" > "${out}/shape/${split}_speech_shape"
        [ -s "${out}/shape/${split}_speech_shape" ] || { log "Error: no ${dset} utterance in ${keys}"; exit 1; }
        opts+=(--"${split}"_data_path_and_name_and_type "${dumpdir}/raw/${dset}/tgt_wav.scp,speech,sound"
            --"${split}"_shape_file "${out}/shape/${split}_speech_shape")
    done
    # shellcheck disable=SC2086
    train_logged "${out}" "${train_nthreads}" "${ngpu}" "the vocoder" \
        espnet2_vc.bin.vocoder_train --config "${vocoder_config}" --vc_config "${vc_config}" \
        "${opts[@]}" "$@" ${train_args}
    mark_done "${out}" "${sig}"
}

if [ "${step}" -le 1 ] && [ "${stop_step}" -ge 1 ]; then
    log "Step 1: the vocoder on ground-truth mels of ${dumpdir}/raw/${train_set}/tgt_wav.scp → ${gt_exp}/"
    _sig="${train_args} $(signature "${vocoder_config}" "${vc_config}" "${dumpdir}/raw/${train_set}/.done" \
        "${dumpdir}/raw/${valid_set}/.done")"
    train_vocoder "${gt_exp}" "${_sig}" "${dumpdir}/raw/${train_set}/tgt_wav.scp" \
        "${dumpdir}/raw/${valid_set}/tgt_wav.scp"
fi

if [ "${step}" -le 2 ] && [ "${stop_step}" -ge 2 ]; then
    log "Step 2: teacher-forced (GTA) decoding with ${_vc_model} → ${gta_dir}/"
    _ngpu=0
    [ "${gpu_inference}" = false ] || _ngpu=1
    for dset in $(echo "${train_set} ${valid_set}" | tr ' ' '\n' | awk '!seen[$0]++'); do
        _data=${dumpdir}/raw/${dset}
        _dur=${durdir}/${dset}/durations
        _dir=${gta_dir}/${dset}
        _sig="$(signature "${_vc_model}" "${_data}/.done" "${_dur}")"
        is_done "${_dir}" "${_sig}" && continue
        rm -rf "${_dir}"
        _logdir=${_dir}/log
        mkdir -p "${_logdir}"
        awk '{print $1}' "${_dur}" > "${_logdir}/keys.scp"  # utterances with durations only
        _nj=$(min "${nj}" "$(wc -l < "${_logdir}/keys.scp")")
        split_keys "${_logdir}/keys.scp" "${_nj}" "${_logdir}" keys
        # espnet streams text files in lockstep: every input lists exactly the utterances with durations.
        _opts=()
        _inputs=("wav.scp src_speech sound" "tgt_wav.scp tgt_speech sound")
        [ "${use_sids}" = false ] || _inputs+=("utt2src_sid src_sids text_int" "utt2tgt_sid tgt_sids text_int")
        for _input in "${_inputs[@]}"; do
            read -r _file _name _type <<< "${_input}"
            filter_keys "${_logdir}/keys.scp" "${_data}/${_file}" > "${_logdir}/${_file}"
            _opts+=(--data_path_and_name_and_type "${_logdir}/${_file},${_name},${_type}")
        done
        _opts+=(--data_path_and_name_and_type "${_dur},durations,text_int")
        log "${dset}: ${_nj} jobs; logs: ${_logdir}/gta.*.log"
        cmd_jobs --gpu "${_ngpu}" JOB=1:"${_nj}" "${_logdir}/gta.JOB.log" \
            "${python}" -m espnet2_vc.bin.vc_inference --ngpu "${_ngpu}" --train_config "${vc_exp}/config.yaml" \
            --model_file "${_vc_model}" --key_file "${_logdir}/keys.JOB.scp" --output_dir "${_logdir}/output.JOB" \
            --use_teacher_forcing true --vocoder none "${_opts[@]}"
        scripts/merge_decode.sh "${_logdir}" "${_dir}"
        log "${dset}: $(wc -l < "${_dir}/denorm/feats.scp") GTA mels in ${_dir}/denorm/feats.scp"
        mark_done "${_dir}" "${_sig}"
    done
fi

if [ "${step}" -le 3 ] && [ "${stop_step}" -ge 3 ]; then
    _init=${gt_exp}/${vocoder_model}
    [ -e "${_init}" ] || { log "Error: no ground-truth vocoder ${_init}; run step 1"; exit 1; }
    log "Step 3: fine-tune ${_init} on the GTA mels of ${gta_dir}/ → ${gta_exp}/"
    _sig="${train_args} ${finetune_args} $(signature "${_init}" "${gta_dir}/${train_set}/.done" \
        "${gta_dir}/${valid_set}/.done")"
    # The GTA feats.scp files are the key lists: utterances without durations have no GTA mels.
    # shellcheck disable=SC2086
    train_vocoder "${gta_exp}" "${_sig}" "${gta_dir}/${train_set}/denorm/feats.scp" \
        "${gta_dir}/${valid_set}/denorm/feats.scp" --init_param "${_init}" \
        --train_data_path_and_name_and_type "${gta_dir}/${train_set}/denorm/feats.scp,feats,kaldi_ark" \
        --valid_data_path_and_name_and_type "${gta_dir}/${valid_set}/denorm/feats.scp,feats,kaldi_ark" \
        ${finetune_args}
fi
log "Vocoder for decoding: ${gta_exp}/${vocoder_model} (vc.sh stage 7 uses ${gta_exp}/latest.pth by itself;" \
    "by hand: vc_inference --vocoder $(vocoder_name "${gta_exp}/${vocoder_model}") --vocoder_conf model_file=${gta_exp}/${vocoder_model})"
log "Successfully finished. [elapsed=${SECONDS}s]"
