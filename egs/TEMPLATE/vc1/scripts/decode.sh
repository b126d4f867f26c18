#!/usr/bin/env bash
# Decoding of vc.sh stage 7: every test set converted by vc_inference (its utterances split over --nj jobs,
# the sets side by side), the outputs merged, and the target's own mels put through the same vocoder
# (analysis-synthesis, the vocoder's share of the error). A set is redone only when its settings or inputs
# changed (.done). Run from egs/<corpus>/vc1/.
#
# Usage: scripts/decode.sh --sets "dev eval" --vc_exp exp/vc_x --model exp/vc_x/valid.loss.ave.pth --decode_dir D
# Writes D/<set>/{norm,denorm,wav,durations,rtf,wav.scp,failed,analysis/,log/} (doc/vc.md).
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

. scripts/common.sh

sets=""               # the sets of <dumpdir>/raw/ to convert, e.g. "dev eval"
vc_exp=""             # the VC experiment (its config.yaml)
model=""              # the checkpoint to decode with
decode_dir=""         # output folder (vc.sh: <vc_exp>/decode_<inference_tag>)
dumpdir=dump          # dumped audio (vc.sh stage 2)
durdir=dump/durations # stage 4's durations (teacher forcing)
vocoder_model=none    # a trained vocoder's checkpoint (stage 6), or none: Griffin-Lim
teacher_forcing=false # decode with the reference durations, pitch and energy (target-length outputs)
inference_config=""   # decoding config (optional)
inference_args=""     # extra options for vc_inference
nj=4                  # parallel jobs per set
ngpu=0                # 1: decode on a GPU (one per job)
use_sids=false        # many-to-many: the speaker ids of each pair
force=false           # redo sets whose .done marker says they are up to date
# --cmd, --slurm_conf, --num_nodes: the job options of scripts/common.sh (doc/scale.md)
python=""             # Python to run the tools with; default: the venv's (activated by path.sh)

help_message="$(sed -n '2,8p' "$0")"
log "$0 $*"
. utils/parse_options.sh
. ./path.sh
python=${python:-$(command -v python || command -v python3)}
for option in sets vc_exp model decode_dir; do
    [ -n "${!option}" ] || { log "Error: --${option} is required"; exit 2; }
done
if [ "${vocoder_model}" != none ]; then
    [ -e "${vocoder_model}" ] || { log "Error: no vocoder ${vocoder_model}; train it with stage 6 (or --vocoder_model none: Griffin-Lim)"; exit 1; }
    _vname=$(vocoder_name "${vocoder_model}")  # its generator: hifigan or vocos
fi
for dset in ${sets}; do
    require_done "stage 2" "${dumpdir}/raw/${dset}"
    [ "${teacher_forcing}" = false ] || require_done "stage 4" "${durdir}/${dset}"
done

_pids=()
for dset in ${sets}; do
    _data=${dumpdir}/raw/${dset}
    _dir=${decode_dir}/${dset}
    _sig="${inference_args} ${teacher_forcing} ${vocoder_model} $(signature "${model}" "${inference_config:-/dev/null}" "${_data}/.done")"
    is_done "${_dir}" "${_sig}" && continue
    {  # the test sets are decoded side by side
        _logdir=${_dir}/log
        rm -rf "${_dir}"
        mkdir -p "${_logdir}"
        _opts=()
        [ "${vocoder_model}" = none ] || _opts+=(--vocoder "${_vname}" --vocoder_conf "model_file=${vocoder_model}")
        # shellcheck disable=SC2207
        _opts+=($(sid_data data_path_and_name_and_type "${_data}"))
        [ -z "${inference_config}" ] || _opts+=(--config "${inference_config}")
        _src=${_data}/wav.scp
        cp "${_src}" "${_logdir}/keys.scp"
        if [ "${teacher_forcing}" = true ]; then  # teacher forcing needs the target audio and durations
            _dur=${durdir}/${dset}/durations
            # espnet's streaming loader reads its inputs in lockstep: give it the same utterances in each.
            filter_keys "${_dur}" "${_data}/wav.scp" > "${_logdir}/wav.scp"
            filter_keys "${_dur}" "${_data}/tgt_wav.scp" > "${_logdir}/tgt_wav.scp"
            _src=${_logdir}/wav.scp
            _opts+=(--use_teacher_forcing true --data_path_and_name_and_type "${_logdir}/tgt_wav.scp,tgt_speech,sound"
                --data_path_and_name_and_type "${_dur},durations,text_int")
            awk '{print $1}' "${_dur}" > "${_logdir}/keys.scp"
        fi
        _opts+=(--data_path_and_name_and_type "${_src},src_speech,sound")
        _nj=$(min "${nj}" "$(wc -l < "${_logdir}/keys.scp")")
        split_keys "${_logdir}/keys.scp" "${_nj}" "${_logdir}" keys
        log "${dset}: ${_nj} jobs; logs: ${_logdir}/inference.*.log"
        # shellcheck disable=SC2086
        cmd_jobs --gpu "${ngpu}" JOB=1:"${_nj}" "${_logdir}/inference.JOB.log" \
            "${python}" -m espnet2_vc.bin.vc_inference --ngpu "${ngpu}" --train_config "${vc_exp}/config.yaml" \
            --model_file "${model}" --key_file "${_logdir}/keys.JOB.scp" --output_dir "${_logdir}/output.JOB" \
            "${_opts[@]}" ${inference_args}
        scripts/merge_decode.sh "${_logdir}" "${_dir}"
        # Analysis-synthesis: the target's own mels through the same vocoder (the vocoder's share of the error).
        _voc=(--vocoder griffin_lim)
        [ "${vocoder_model}" = none ] || _voc=(--vocoder "${_vname}" --model_file "${vocoder_model}")
        job_logged --gpu "${ngpu}" "${_dir}/analysis/vocode.log" "${python}" -m espnet2_vc.bin.vocoder_inference \
            --vc_config "${vc_exp}/config.yaml" --wav_scp "${_data}/tgt_wav.scp" --output_dir "${_dir}/analysis" \
            --ngpu "${ngpu}" "${_voc[@]}"
        log "${dset}: $(wc -l < "${_dir}/denorm/feats.scp") converted utterances in ${_dir}/"
        mark_done "${_dir}" "${_sig}"
    } &
    _pids+=($!)
done
wait_all "${_pids[@]}"
