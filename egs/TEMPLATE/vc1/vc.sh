#!/usr/bin/env bash
# The staged driver of every parallel voice-conversion recipe; egs/<corpus>/vc1/run.sh calls it with the
# corpus settings. Run from the recipe folder. See doc/recipes.md for what each stage writes.
set -euo pipefail

. scripts/common.sh

# General
stage=1             # first stage to run
stop_stage=9        # last stage to run
nj=4                # parallel jobs (stats, durations, decoding, dumping)
ngpu=1              # GPUs per node for training (0: CPU; > 1: DDP, one process per GPU; doc/scale.md)
# --cmd (local), --slurm_conf (conf/slurm.conf), --num_nodes (1): the job options of scripts/common.sh
train_nthreads=0    # CPU threads of a training (stages 5 and 6; 0: every core); data jobs keep one each
gpu_inference=false # decode on a GPU (one per job) instead of the CPU
force=false         # redo the stages in range even when their .done marker says they are up to date
dumpdir=dump        # dumped audio and durations
expdir=exp          # statistics, models, decodings
python=""           # Python to run the tools with; default: the venv's (activated by path.sh)
min_free_mb=1024    # refuse to start when the dump or exp folder's disk has less free space (MB)
# Data (stage 1)
db_root=""          # corpus folder, passed to local/data.sh as --db_root
srcspk=""           # source speaker, passed to local/data.sh (empty: the recipe's default)
tgtspk=""           # target speaker, likewise
local_data_opts=""  # more options for local/data.sh
train_set=train     # sets written by local/data.sh
valid_set=dev
test_sets="dev eval"
# Dump (stage 2)
fs=""               # sampling rate; empty: feats_extract_conf.fs of --train_config (the one place it lives)
min_dur=""          # drop pairs with a side shorter than this (s, after trimming); empty: vc_dump's default
max_dur=""          # drop pairs with a side longer than this (s); empty: vc_dump's default
dump_opts=""        # more options for espnet2_vc.bin.vc_dump (e.g. "--max_ratio 2.5"); trimming: trim_conf of the config
# Statistics, durations, training (stages 3-5)
train_config=""     # VC training config (mel settings, network, optimizer)
train_args=""       # extra options for vc_train, e.g. "--optim_conf lr=0.0005"
pretrained=""       # fine-tune a trained model (exp dir): its weights (--init_param), statistics and, for a
                    # many-to-many model, its speaker table and embeddings (doc/training.md)
pretrained_speakers="" # with --pretrained: this corpus's speakers as the model's, e.g. kathleen=slt,fraser=rms
pretrained_stats="" # normalize with a pretrained exp dir's or model.zip's statistics, not stage 3's (fine-tuning)
tag=""              # model name suffix; default from the config name and train_args
vc_stats_dir=""     # default ${expdir}/vc_stats
use_sids=auto       # pass speaker ids (src_sids/tgt_sids): auto = when the config sets tts_conf.spks > 1
spk2sid=""          # speaker ids of every set (stage 2); empty: made on the training set. Fine-tuning a
                    # many-to-many model: its exp/*/spk2sid, so each speaker keeps its embedding
duration_method=dtw # stage 4: dtw (mel-cepstral DTW) or teacher (attention of an autoregressive VTN)
teacher_config=""   # the teacher's training config for --duration_method teacher (conf/teacher_*.yaml)
teacher_args=""     # more options for the teacher's vc_train
teacher_model=""    # its checkpoint; empty: scripts/durations.sh's default (latest.pth)
durations_opts=""   # more options for espnet2_vc.bin.extract_durations, e.g. "--focus_rate_threshold 0.3"
# Vocoder (stage 6)
vocoder_config=""   # Vocos/HiFi-GAN config for stage 6 (empty: no stage 6, decoding uses Griffin-Lim)
vocoder_args=""     # more options for both vocoder trainings (scripts/vocoder.sh --train_args)
finetune_args=""    # more options for the GTA fine-tuning only
vocoder_model=auto  # vocoder of stages 7-9: auto = stage 6's fine-tuned one with --vocoder_config, else
                    # Griffin-Lim; none = Griffin-Lim; or a vocoder checkpoint
# Decoding, evaluation, packing (stages 7-9)
inference_config="" # decoding config (optional)
inference_args=""   # extra options for vc_inference, e.g. "--decode_conf maxlenratio=2"
teacher_forcing=false # stage 7: decode with the reference durations, pitch and energy (target-length outputs)
inference_model=valid.loss.ave.pth # checkpoint in the model folder (the n best averaged); falls back to
                    # valid.loss.best.pth, then latest.pth
inference_tag=""    # decoding folder decode_<tag>; default from inference_args and the model name
eval_args=""        # more options for vc_evaluate, e.g. "--metrics mcd,f0,duration,speaker" (non-English)

help_message=$(cat << EOF
Usage: $0 --train_config <conf.yaml> [options]   (run from egs/<corpus>/vc1/)
Stages: 1 data prep (local/data.sh)  2 dump audio  3 stats and features  4 durations  5 training
        6 vocoder (HiFi-GAN/Vocos)  7 decoding  8 evaluation  9 pack the model
Options (default): see the top of $0, e.g. --stage (${stage}) --stop_stage (${stop_stage}) --nj (${nj})
  --ngpu (${ngpu}) --num_nodes (${num_nodes}) --cmd (${cmd}: or slurm, see doc/scale.md) --srcspk --tgtspk
  --db_root --train_args "..." --inference_args "..." --force true
A finished stage leaves a .done file holding its settings; it is skipped while they are unchanged.
EOF
)
log "$0 $*"
. utils/parse_options.sh
. ./path.sh
python=${python:-$(command -v python || command -v python3)}
if [ -n "${pretrained}" ]; then
    [ -f "${pretrained}/.done" ] || { log "Error: --pretrained ${pretrained} has no finished model (.done)"; exit 2; }
    train_args="--init_param ${pretrained}${train_args:+ }${train_args}"
    pretrained_stats=${pretrained_stats:-${pretrained}}
    if [ -f "${pretrained}/spk2sid" ]; then  # many-to-many: each speaker keeps its id and its embedding
        mkdir -p "${dumpdir}"
        spk2sid=${dumpdir}/spk2sid.pretrained
        alias_speakers "${pretrained}/spk2sid" "${pretrained_speakers}" > "${spk2sid}" || exit 2
        train_args+=" --tts_conf spks=$(config_spks "${python}" "${pretrained}/config.yaml")"
        use_sids=true
    elif [ -n "${pretrained_speakers}" ]; then
        log "Error: --pretrained_speakers needs a many-to-many model; ${pretrained} has no spk2sid"; exit 2
    fi
fi

if [ "${stop_stage}" -ge 2 ] && [ ! -f "${train_config}" ]; then  # stage 1 alone needs no config
    log "Error: --train_config '${train_config}' does not exist (it holds fs and the mel settings)"
    exit 2
fi
# Stage 7 must know of teacher forcing (it feeds targets and durations); stage 2 trims by the config file.
[[ "${inference_args}" != *--use_teacher_forcing* ]] || { log "Error: use --teacher_forcing true"; exit 2; }
[[ "${train_args}" != *--trim_conf* ]] || { log "Error: set trim_conf in ${train_config}, not in --train_args"; exit 2; }
check_writable "${min_free_mb}" "${dumpdir}" "${expdir}"  # now, not when stage 5 saves its first checkpoint
vc_stats_dir=${vc_stats_dir:-${expdir}/vc_stats}
if [ -z "${tag}" ]; then
    tag=$(basename "${train_config}" .yaml)
    [ -z "${train_args}" ] || tag+=$(echo "${train_args}" | sed -e "s/--/_/g" -e "s/[ |=/]//g")
fi
vc_exp=${expdir}/vc_train_${tag}
durdir=${dumpdir}/durations  # one folder per method: a DTW and a teacher system can share a recipe folder
[ "${duration_method}" = dtw ] || durdir+=_${duration_method}
teacher_exp=${expdir}/vc_train_teacher_$(basename "${teacher_config:-none}" .yaml)  # decodable: --tag teacher_<name>
voc_exp=${expdir}/voc_$(basename "${vocoder_config:-none}" .yaml)_gta
if [ "${vocoder_model}" = auto ]; then  # one run, one system: what stage 6 trains decodes, is evaluated, is packed
    vocoder_model=none
    [ -z "${vocoder_config}" ] || vocoder_model=${voc_exp}/latest.pth
fi
[ "${train_nthreads}" -gt 0 ] || train_nthreads=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
if [ -z "${inference_tag}" ]; then
    inference_tag=$(echo "${inference_args}" | sed -e "s/--/_/g" -e "s/[ |=/]//g")
    [ "${teacher_forcing}" = false ] || inference_tag="_use_teacher_forcingtrue${inference_tag}"
    inference_tag="${inference_tag#_}${inference_tag:+_}$(echo "${inference_model%.*}" | tr '/' '_')"
    [ "${vocoder_model}" = none ] || inference_tag+="_$(basename "$(dirname "${vocoder_model}")")"
fi
# Datasets without repetition (dev may be both the valid set and a test set).
all_sets=$(echo "${train_set} ${valid_set} ${test_sets}" | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ')
if [ "${use_sids}" = auto ] && [ -f "${train_config}" ]; then
    use_sids=$(uses_sids "${python}" "${train_config}")
fi
_cmd_opts=(--cmd "${cmd}" --slurm_conf "${slurm_conf}" --num_nodes "${num_nodes}")  # the job options of scripts/*.sh
check_cmd

decode_model() {  # the checkpoint of stages 6, 7 and 9; the default needs a finished training
    if [ "${inference_model}" = valid.loss.ave.pth ] && [ ! -f "${vc_exp}/.done" ]; then
        log "Error: ${vc_exp} has no finished training (no .done); re-run stage 5 (it resumes), or decode a" \
            "checkpoint of it by name with --inference_model <N>epoch.pth" >&2
        exit 1
    fi
    best_model "${vc_exp}" "${inference_model}"
}

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
    log "Stage 1: data preparation (local/data.sh) → data/"
    _opts=()
    [ -z "${db_root}" ] || _opts+=(--db_root "${db_root}")
    [ -z "${srcspk}" ] || _opts+=(--srcspk "${srcspk}")
    [ -z "${tgtspk}" ] || _opts+=(--tgtspk "${tgtspk}")
    # shellcheck disable=SC2206
    _opts+=(${local_data_opts})
    _sig="local/data.sh ${_opts[*]} $(signature local/data.sh)"
    if ! is_done data "${_sig}"; then
        mkdir -p data
        rm -f data/.done
        local/data.sh --nj "${nj}" "${_opts[@]}"
        mark_done data "${_sig}"
    fi
fi

if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
    _conf_fs=$("${python}" -c 'import sys; from espnet2_vc.utils.config import mel_config as m
print(m(sys.argv[1])["fs"])' "${train_config}" | tail -n 1)  # espnet may print a notice on import
    if [ -n "${fs}" ] && [ "${fs}" != "${_conf_fs}" ]; then
        log "Error: --fs ${fs} differs from ${train_config}'s feats_extract_conf fs ${_conf_fs}; set it in one place"
        exit 2
    fi
    fs=${_conf_fs}
    _trim=$("${python}" -c 'import sys; from espnet2_vc.data.trim import TrimSettings as T
print(T.from_config(sys.argv[1]))' "${train_config}")
    log "Stage 2: dump audio at ${fs} Hz (resample, trim edge silence, length filters) → ${dumpdir}/raw/"
    # Train first: its spk2sid is reused by the other sets.
    for dset in ${all_sets}; do
        _out=${dumpdir}/raw/${dset}
        _opts=(--vc_config "${train_config}")
        [ -z "${min_dur}" ] || _opts+=(--min_dur "${min_dur}")
        [ -z "${max_dur}" ] || _opts+=(--max_dur "${max_dur}")
        _inputs=("data/${dset}/wav.scp" "data/${dset}/tgt_wav.scp")
        if [ -n "${spk2sid}" ]; then
            _opts+=(--spk2sid "${spk2sid}")
            _inputs+=("${spk2sid}")
        elif [ "${dset}" != "${train_set}" ]; then
            _opts+=(--spk2sid "${dumpdir}/raw/${train_set}/spk2sid")
            _inputs+=("${dumpdir}/raw/${train_set}/.done")
        fi
        # shellcheck disable=SC2206
        _opts+=(${dump_opts})
        _sig="${_opts[*]} ${fs} ${_trim} $(signature "${_inputs[@]}")"
        is_done "${_out}" "${_sig}" && continue
        job_logged --num_threads "${nj}" "${dumpdir}/raw/log/dump.${dset}.log" \
            "${python}" -m espnet2_vc.bin.vc_dump --data_dir "data/${dset}" --output_dir "${_out}" --nj "${nj}" \
            --fs "${fs}" "${_opts[@]}"
        log "${dset}: kept $(wc -l < "${_out}/wav.scp"), dropped $(wc -l < "${_out}/dropped") (see ${_out}/dropped)"
        mark_done "${_out}" "${_sig}"
    done
fi

if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ]; then
    log "Stage 3: feature statistics, shapes and the features themselves (written once) → ${vc_stats_dir}/"
    _train_dir=${dumpdir}/raw/${train_set}
    _valid_dir=${dumpdir}/raw/${valid_set}
    require_done "stage 2" "${_train_dir}" "${_valid_dir}"  # never half-written audio lists
    _sig="${train_args} $(signature "${train_config}" "${_train_dir}/.done" "${_valid_dir}/.done")${use_sids}"
    if ! is_done "${vc_stats_dir}" "${_sig}"; then
        _logdir=${vc_stats_dir}/logdir
        rm -rf "${vc_stats_dir}"
        mkdir -p "${_logdir}"
        _nj=$(min "${nj}" "$(wc -l < "${_train_dir}/wav.scp")" "$(wc -l < "${_valid_dir}/wav.scp")")
        split_keys "${_train_dir}/wav.scp" "${_nj}" "${_logdir}" train
        split_keys "${_valid_dir}/wav.scp" "${_nj}" "${_logdir}" valid
        log "${_nj} jobs; logs: ${_logdir}/stats.*.log"
        # shellcheck disable=SC2046,SC2086
        cmd_jobs JOB=1:"${_nj}" "${_logdir}/stats.JOB.log" \
            "${python}" -m espnet2_vc.bin.vc_train --collect_stats true --config "${train_config}" --ngpu 0 \
            --train_data_path_and_name_and_type "${_train_dir}/wav.scp,src_speech,sound" \
            --train_data_path_and_name_and_type "${_train_dir}/tgt_wav.scp,tgt_speech,sound" \
            --valid_data_path_and_name_and_type "${_valid_dir}/wav.scp,src_speech,sound" \
            --valid_data_path_and_name_and_type "${_valid_dir}/tgt_wav.scp,tgt_speech,sound" \
            $(sid_data train_data_path_and_name_and_type "${_train_dir}") \
            $(sid_data valid_data_path_and_name_and_type "${_valid_dir}") \
            --train_shape_file "${_logdir}/train.JOB.scp" --valid_shape_file "${_logdir}/valid.JOB.scp" \
            --write_collected_feats true --output_dir "${_logdir}/stats.JOB" ${train_args}
        _inputs=()
        for n in $(seq "${_nj}"); do _inputs+=(--input_dir "${_logdir}/stats.${n}"); done
        run_logged "${_logdir}/aggregate.log" \
            "${python}" -m espnet2.bin.aggregate_stats_dirs "${_inputs[@]}" --output_dir "${vc_stats_dir}"
        # The config with --train_args applied: stage 4 reads the mel settings and reduction factor from it.
        cp "${_logdir}/stats.1/config.yaml" "${vc_stats_dir}/config.yaml"
        log "features for training: ${vc_stats_dir}/{train,valid}/collect_feats/*.scp (npy, read by stage 5)"
        mark_done "${vc_stats_dir}" "${_sig}"
    fi
fi

if [ "${stage}" -le 4 ] && [ "${stop_stage}" -ge 4 ]; then
    log "Stage 4: durations (${duration_method}; source frames per target frame, reduction-aware) → ${durdir}/"
    require_done "stage 3" "${vc_stats_dir}"
    for dset in ${all_sets}; do require_done "stage 2" "${dumpdir}/raw/${dset}"; done
    if [ "${duration_method}" = teacher ]; then  # train (or reuse) the teacher whose attention gives them
        scripts/teacher.sh --teacher_config "${teacher_config}" --teacher_exp "${teacher_exp}" \
            --vc_stats_dir "${vc_stats_dir}" --train_set "${train_set}" --valid_set "${valid_set}" \
            --dumpdir "${dumpdir}" --ngpu "${ngpu}" --train_nthreads "${train_nthreads}" --use_sids "${use_sids}" \
            --force "${force}" --train_args "${teacher_args}" --python "${python}" "${_cmd_opts[@]}"
    fi
    scripts/durations.sh --method "${duration_method}" --sets "${all_sets}" --durdir "${durdir}" \
        --dumpdir "${dumpdir}" --vc_stats_dir "${vc_stats_dir}" --nj "${nj}" --use_sids "${use_sids}" \
        --durations_opts "${durations_opts}" --teacher_exp "${teacher_exp}" \
        ${teacher_model:+--teacher_model "${teacher_model}"} --force "${force}" --python "${python}" "${_cmd_opts[@]}"
fi

if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
    log "Stage 5: training → ${vc_exp}/"
    _train_dir=${dumpdir}/raw/${train_set}
    _valid_dir=${dumpdir}/raw/${valid_set}
    require_done "stages 3 and 4" "${vc_stats_dir}" "${durdir}/${train_set}" "${durdir}/${valid_set}"
    _pretrained=${pretrained_stats}
    [ ! -d "${pretrained_stats}" ] || _pretrained=${pretrained_stats}/.done  # a retrained model redoes this one
    _sig="${train_args} ${pretrained_stats} $(signature "${train_config}" "${vc_stats_dir}/.done" \
        "${durdir}/${train_set}/.done" "${durdir}/${valid_set}/.done" ${_pretrained:+"${_pretrained}"})"
    refuse_other_settings "${vc_exp}" "${_sig}" "use --tag <new name>"
    if ! is_done "${vc_exp}" "${_sig}"; then
        [ "${force}" = false ] || rm -rf "${vc_exp}"
        # Train only on utterances with durations: the shape files list the keys used.
        for split in train valid; do
            dset=${train_set}
            [ "${split}" = train ] || dset=${valid_set}
            _dur=${durdir}/${dset}
            mkdir -p "${vc_exp}/shape/${split}"
            for name in src_speech tgt_speech; do
                filter_keys "${_dur}/durations" "${vc_stats_dir}/${split}/${name}_shape" \
                    > "${vc_exp}/shape/${split}/${name}_shape"
            done
            _all=$(wc -l < "${vc_stats_dir}/${split}/src_speech_shape")
            _kept=$(wc -l < "${vc_exp}/shape/${split}/src_speech_shape")
            _why=$(awk '{print $2}' "${_dur}/skipped" | sort | uniq -c | awk '{printf " %s %s", $2, $1}')
            log "${dset}: ${_kept} of ${_all} utterances have durations; left out:${_why:- none} (${_dur}/skipped)"
            [ "${_kept}" -gt 0 ] || { log "Error: no ${dset} utterance has durations"; exit 1; }
        done
        _stats_dir=${vc_stats_dir}/train
        if [ -n "${pretrained_stats}" ]; then  # the pretrained model's statistics, copied beside the model
            _stats_dir=${vc_exp}/pretrained_stats
            run_logged "${_stats_dir}/copy.log" "${python}" -m espnet2_vc.bin.pretrained_stats \
                --pretrained "${pretrained_stats}" --vc_config "${vc_stats_dir}/config.yaml" --output_dir "${_stats_dir}"
        fi
        _opts=(--normalize_conf "stats_file=${_stats_dir}/src_feats_stats.npz"
            --tgt_normalize_conf "stats_file=${_stats_dir}/tgt_feats_stats.npz")
        for name in pitch energy; do
            _stats=${_stats_dir}/${name}_stats.npz
            [ ! -f "${_stats}" ] || _opts+=("--${name}_normalize_conf" "stats_file=${_stats}")
        done
        for split in train valid; do
            _dir=${_train_dir}
            dset=${train_set}
            [ "${split}" = train ] || { _dir=${_valid_dir}; dset=${valid_set}; }
            # The features of stage 3 (mels, pitch, energy), never recomputed from the waveforms.
            for _scp in "${vc_stats_dir}/${split}/collect_feats/"*.scp; do
                [[ "${_scp}" == *_lengths.scp ]] && continue  # espnet writes the lengths too
                _opts+=(--"${split}"_data_path_and_name_and_type "${_scp},$(basename "${_scp}" .scp),npy")
            done
            _opts+=(--"${split}"_data_path_and_name_and_type "${durdir}/${dset}/durations,durations,text_int"
                --"${split}"_shape_file "${vc_exp}/shape/${split}/src_speech_shape"
                --"${split}"_shape_file "${vc_exp}/shape/${split}/tgt_speech_shape")
        done
        mkdir -p "${vc_exp}"  # the speaker names of a many-to-many model live beside its config.yaml
        [ "${use_sids}" != true ] || cp "${_train_dir}/spk2sid" "${vc_exp}/spk2sid"
        # shellcheck disable=SC2046,SC2086
        train_logged "${vc_exp}" "${train_nthreads}" "${ngpu}" "the VC model" \
            espnet2_vc.bin.vc_train --config "${train_config}" "${_opts[@]}" \
            $(sid_data train_data_path_and_name_and_type "${_train_dir}") \
            $(sid_data valid_data_path_and_name_and_type "${_valid_dir}") ${train_args}
        mark_done "${vc_exp}" "${_sig}"
    fi
fi

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
    if [ -z "${vocoder_config}" ]; then
        log "Stage 6: no --vocoder_config; skipped (stages 7-9 use Griffin-Lim)"
    else
        log "Stage 6: vocoder (ground-truth mels → GTA mels → fine-tuning) → ${expdir}/voc_*"
        _model=$(decode_model)  # GTA mels of the checkpoint that stage 7 decodes with
        scripts/vocoder.sh --vc_exp "${vc_exp}" --vc_model "$(basename "${_model}")" \
            --vocoder_config "${vocoder_config}" --train_set "${train_set}" --valid_set "${valid_set}" \
            --dumpdir "${dumpdir}" --durdir "${durdir}" --expdir "${expdir}" --nj "${nj}" --ngpu "${ngpu}" \
            --train_nthreads "${train_nthreads}" --gpu_inference "${gpu_inference}" --use_sids "${use_sids}" \
            --force "${force}" --train_args "${vocoder_args}" --finetune_args "${finetune_args}" "${_cmd_opts[@]}"
    fi
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
    _model=$(decode_model)
    log "Stage 7: decoding with ${_model} → ${vc_exp}/decode_${inference_tag}/"
    _ngpu=0
    [ "${gpu_inference}" = false ] || _ngpu=1
    scripts/decode.sh --sets "${test_sets}" --vc_exp "${vc_exp}" --model "${_model}" \
        --decode_dir "${vc_exp}/decode_${inference_tag}" --dumpdir "${dumpdir}" --durdir "${durdir}" \
        --vocoder_model "${vocoder_model}" --teacher_forcing "${teacher_forcing}" \
        --inference_config "${inference_config}" --inference_args "${inference_args}" --nj "${nj}" --ngpu "${_ngpu}" \
        --use_sids "${use_sids}" --force "${force}" --python "${python}" "${_cmd_opts[@]}"
fi

if [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ]; then
    log "Stage 8: evaluation (MCD, F0, duration, speaker similarity, ASR) → ${vc_exp}/decode_${inference_tag}/<set>/eval/"
    for dset in ${test_sets}; do
        _data=${dumpdir}/raw/${dset}
        _dir=${vc_exp}/decode_${inference_tag}/${dset}
        _out=${_dir}/eval
        [ -f "${_dir}/wav.scp" ] || { log "Error: no ${_dir}/wav.scp; decode with a vocoder in stage 7"; exit 1; }
        _sig="${eval_args} $(signature "${_dir}/.done" "${_data}/.done")"
        is_done "${_out}" "${_sig}" && continue
        _opts=(--converted_scp "${_dir}/wav.scp" --target_scp "${_data}/tgt_wav.scp" --source_scp "${_data}/wav.scp")
        [ ! -f "${_data}/text" ] || _opts+=(--text "${_data}/text")
        [ ! -f "${_dir}/rtf" ] || _opts+=(--rtf "${_dir}/rtf")
        [ ! -f "${_dir}/analysis/wav.scp" ] || _opts+=(--analysis_scp "${_dir}/analysis/wav.scp")
        rm -rf "${_out}"
        # shellcheck disable=SC2086
        job_logged --num_threads "${nj}" "${_out}/evaluate.log" "${python}" -m espnet2_vc.bin.vc_evaluate "${_opts[@]}" \
            --output_dir "${_out}" --nj "${nj}" --no_progress ${eval_args}
        mark_done "${_out}" "${_sig}"
        log "${dset}: ${_out}/results.md; samples page ${_out}/index.html"
    done
fi

if [ "${stage}" -le 9 ] && [ "${stop_stage}" -ge 9 ]; then
    _model=$(decode_model)
    _out=${vc_exp}/packed/model.zip
    log "Stage 9: pack ${_model} → ${_out}"
    _opts=(--train_config "${vc_exp}/config.yaml" --model_file "${_model}" --outpath "${_out}")
    _results=${vc_exp}/decode_${inference_tag}/${test_sets##* }/eval/results.md  # the last test set's
    [ ! -f "${_results}" ] || _opts+=(--results_md "${_results}")
    [ "${use_sids}" != true ] || _opts+=(--spk2sid "${vc_exp}/spk2sid")
    # The vocoder that stage 7 decoded with and stage 8 evaluated (none: Griffin-Lim, nothing to pack).
    [ "${vocoder_model}" = none ] || _opts+=(--vocoder_config "$(dirname "${vocoder_model}")/config.yaml"
        --vocoder_file "${vocoder_model}")
    run_logged "${vc_exp}/packed/pack.log" "${python}" -m espnet2_vc.bin.vc_pack "${_opts[@]}"
    log "packed: ${_out} ($(du -h "${_out}" | cut -f 1)); load it with VoiceConverter.from_pretrained"
fi
log "Successfully finished. [elapsed=${SECONDS}s]"
