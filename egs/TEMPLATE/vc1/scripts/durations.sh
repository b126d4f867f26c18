#!/usr/bin/env bash
# Durations of vc.sh stage 4 (doc/durations.md): for every set, how many target frames each reduced source
# frame lasts, from mel-cepstral DTW (--method dtw) or from the attention of an autoregressive teacher
# (--method teacher: one that scripts/teacher.sh trained). Each set is redone only when its settings or inputs
# changed (.done). Run from egs/<corpus>/vc1/.
#
# Usage: scripts/durations.sh --sets "train dev eval" --durdir dump/durations [--method teacher --teacher_exp …]
# Writes <durdir>/<set>/{durations,skipped} (teacher: also focus_rate) and <durdir>/log/durations.<set>.log.
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

. scripts/common.sh

method=dtw            # dtw or teacher
sets=""               # the sets of <dumpdir>/raw/ to give durations, e.g. "train dev eval"
durdir=""             # output folder (one per method: vc.sh uses dump/durations, dump/durations_teacher)
dumpdir=dump          # dumped audio (vc.sh stage 2)
vc_stats_dir=exp/vc_stats # stage 3's folder: its config.yaml holds the mel settings and reduction factor
nj=4                  # parallel jobs per set (the sets also run side by side)
use_sids=false        # many-to-many: the speaker ids of each pair (the teacher needs them)
durations_opts=""     # more options for espnet2_vc.bin.extract_durations, e.g. "--focus_rate_threshold 0.3"
teacher_exp=""        # --method teacher: the trained teacher's folder (scripts/teacher.sh --teacher_exp)
teacher_model=latest.pth # its checkpoint: attention sharpens to the end, while the valid loss (stop token) rises
force=false           # redo sets whose .done marker says they are up to date
# --cmd, --slurm_conf, --num_nodes: the job options of scripts/common.sh (doc/scale.md)
python=""             # Python to run the tools with; default: the venv's (activated by path.sh)

help_message="$(sed -n '2,8p' "$0")"
log "$0 $*"
. utils/parse_options.sh
. ./path.sh
python=${python:-$(command -v python || command -v python3)}
[ -n "${sets}" ] || { log "Error: --sets is required"; exit 2; }
[ -n "${durdir}" ] || { log "Error: --durdir is required"; exit 2; }

_method=(--method "${method}")
case "${method}" in
    dtw) _teacher_sig="" ;;
    teacher)  # read durations from the attention of the teacher that scripts/teacher.sh trained
        require_done "scripts/teacher.sh" "${teacher_exp}"
        _model=$(best_model "${teacher_exp}" "${teacher_model}")
        _method+=(--teacher_config "${teacher_exp}/config.yaml" --teacher_model "${_model}")
        _teacher_sig="${_model} $(signature "${teacher_exp}/.done")" ;;
    *) log "Error: --method must be dtw or teacher, not '${method}'"; exit 2 ;;
esac

_pids=()
for dset in ${sets}; do
    _out=${durdir}/${dset}
    _sig="${method} ${durations_opts} $(signature "${vc_stats_dir}/config.yaml" "${dumpdir}/raw/${dset}/.done")${_teacher_sig}"
    is_done "${_out}" "${_sig}" && continue
    rm -rf "${_out}"
    _sids=()
    [ "${use_sids}" = false ] || _sids=(--utt2src_sid "${dumpdir}/raw/${dset}/utt2src_sid" --utt2tgt_sid "${dumpdir}/raw/${dset}/utt2tgt_sid")
    {  # the sets run side by side: Python's start-up is a large part of each
        # shellcheck disable=SC2086
        job_logged --num_threads "${nj}" "${durdir}/log/durations.${dset}.log" \
            "${python}" -m espnet2_vc.bin.extract_durations --vc_config "${vc_stats_dir}/config.yaml" \
            --src_scp "${dumpdir}/raw/${dset}/wav.scp" --tgt_scp "${dumpdir}/raw/${dset}/tgt_wav.scp" \
            --output_dir "${_out}" --nj "${nj}" "${_method[@]}" "${_sids[@]}" ${durations_opts}
        log "${dset}: $(wc -l < "${_out}/durations") with durations, $(wc -l < "${_out}/skipped") skipped"
        mark_done "${_out}" "${_sig}"
    } &
    _pids+=($!)
done
wait_all "${_pids[@]}"
