#!/usr/bin/env bash
# Helpers shared by vc.sh and scripts/*.sh; sourced, never run. They read the caller's ${force}, ${python},
# ${use_sids} and, for the jobs, ${cmd}, ${slurm_conf} and ${num_nodes} (doc/scale.md).
# shellcheck disable=SC2154  # these are options of the sourcing script

# The job options of vc.sh and of every scripts/*.sh (doc/scale.md), declared here once; utils/parse_options.sh,
# sourced after this file, sets them from the command line.
cmd=local                  # where the jobs run: local (utils/run_jobs.sh) or slurm (utils/slurm_jobs.sh)
slurm_conf=conf/slurm.conf # --cmd slurm: partitions, memory and GPU options per job (Kaldi/ESPnet format)
num_nodes=1                # nodes for the trainings (> 1: DDP over them through srun; needs --cmd slurm)

log() {  # timestamped, with the caller's file:line:function
    local fname=${BASH_SOURCE[1]##*/}
    echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]}) $*"
}
min() { printf '%s\n' "$@" | sort -n | awk 'NR == 1'; }  # awk reads all: no SIGPIPE under pipefail

# Markers: DIR/.done holds the settings a step ran with; a later step's settings include a hash of the
# markers it read, so redoing a step with other settings makes the steps after it run again.
signature() { md5sum "$@" 2> /dev/null | cut -c 1-8 | tr '\n' ' ' || true; }
is_done() {  # is_done DIR SETTINGS
    if [ "${force}" = false ] && [ -f "$1/.done" ] && [ "$(cat "$1/.done")" = "$2" ]; then
        log "$1 is up to date (.done); skipped. Use --force true to redo it."
        return 0
    fi
    if [ -f "$1/.done" ]; then  # from now on DIR is being redone: a kill must not leave the old marker
        log "$1: settings changed or --force true; redoing it"
        rm -f "$1/.done"
    fi
    return 1
}
check_writable() {  # check_writable MIN_FREE_MB DIR...: each DIR can be written and has MIN_FREE_MB free
    local need=$1 dir probe free
    shift
    for dir in "$@"; do
        probe=${dir}/.write_test.$$
        if ! mkdir -p "${dir}" 2> /dev/null || ! : > "${probe}" 2> /dev/null; then
            log "Error: cannot write to ${dir}/ (permissions, a read-only disk, or a full disk); fix it before the stages start"
            exit 2
        fi
        rm -f "${probe}"
        free=$(df -Pk "${dir}" | awk 'NR == 2 {print int($4 / 1024)}')
        if [ "${free}" -lt "${need}" ]; then
            log "Error: ${dir}/ has ${free} MB free, less than ${need} MB (--min_free_mb); free some space first"
            exit 2
        fi
    done
}
require_done() {  # require_done STAGE DIR...: each DIR was finished (.done) by STAGE, or stop naming it
    local stage=$1 dir
    shift
    for dir in "$@"; do
        [ -f "${dir}/.done" ] || { log "Error: ${dir} is missing or unfinished (no .done); run ${stage} first"; exit 1; }
    done
}
mark_done() { printf '%s\n' "$2" > "$1/.done"; }
run_logged() {  # run_logged LOG command...: output to LOG, its tail on failure
    local logfile=$1
    shift
    mkdir -p "$(dirname "${logfile}")"
    log "$* (log: ${logfile})"
    if ! "$@" > "${logfile}" 2>&1; then
        tail -n 30 "${logfile}"
        log "Error: failed; see ${logfile}"
        exit 1
    fi
}
refuse_other_settings() {  # refuse_other_settings DIR SETTINGS HINT: a model DIR trained otherwise is kept
    if [ -f "$1/.done" ] && [ "${force}" = false ] && [ "$(cat "$1/.done")" != "$2" ]; then
        log "Error: $1 was trained with other settings or data; $3 or --force true"
        exit 1
    fi
}
check_cmd() {  # stop unless --cmd names a backend
    [ "${cmd}" = local ] || [ "${cmd}" = slurm ] || { log "Error: --cmd must be local or slurm, not '${cmd}'"; exit 2; }
}
cmd_jobs() {  # cmd_jobs [--gpu N --num_threads N ...] [JOB=1:N] LOG command...: jobs through --cmd
    check_cmd
    if [ "${cmd}" = local ]; then utils/run_jobs.sh "$@"; else utils/slurm_jobs.sh --config "${slurm_conf}" "$@"; fi
}
job_logged() {  # job_logged [job options] LOG command...: run_logged, as one job through --cmd slurm
    local opts=()
    while [[ "$1" == --* ]]; do opts+=("$1" "$2"); shift 2; done
    if [ "${cmd}" = local ]; then
        run_logged "$@"
        return
    fi
    log "${*:2} (log: $1; through Slurm)"
    cmd_jobs "${opts[@]}" "$@" || { log "Error: failed; see $1"; exit 1; }
}
train_logged() {  # train_logged DIR NTHREADS NGPU WHAT MODULE ARGS...: ${python} -m MODULE training into DIR (resumed)
    # on NGPU GPUs per node (DDP over them when > 1) and ${num_nodes} nodes (through srun, --cmd slurm only).
    local out=$1 nthreads=$2 ngpu=$3 what=$4 module=$5 dist=() job=()
    shift 5
    if [ "${num_nodes}" -gt 1 ]; then  # espnet's Slurm launcher: one srun task per node, spawning NGPU ranks
        [ "${cmd}" = slurm ] || { log "Error: --num_nodes ${num_nodes} needs --cmd slurm"; exit 2; }
        mkdir -p "${out}"
        rm -f "${out}"/.dist_init.*  # the rendezvous file must be new
        # With one GPU or none per node each task is a rank itself (SLURM_PROCID); espnet spawns only for more.
        dist=(--multiprocessing_distributed "$([ "${ngpu}" -gt 1 ] && echo true || echo false)" --dist_launcher slurm
            --dist_init_method "file://$(cd "${out}" && pwd)/.dist_init.${RANDOM}${RANDOM}")
        [ "${ngpu}" -gt 0 ] || dist+=(--dist_backend gloo)
        job=(srun --export=ALL --kill-on-bad-exit=1)
    elif [ "${ngpu}" -gt 1 ]; then  # one process per GPU (espnet spawns them), not DataParallel
        dist=(--multiprocessing_distributed true)
    fi
    log "Training ${what} with ${nthreads} threads, ${ngpu} GPUs x ${num_nodes} nodes; follow it with:" \
        "tail -f ${out}/train.log (an interrupted run resumes)"
    job_logged --gpu "${ngpu}" --num_threads "${nthreads}" --num_nodes "${num_nodes}" "${out}/train.log" \
        "${job[@]}" env OMP_NUM_THREADS="${nthreads}" "${python}" -m "${module}" --output_dir "${out}" --resume true \
        --ngpu "${ngpu}" "${dist[@]}" "$@"
}
config_spks() {  # config_spks PYTHON CONFIG: the VC config's tts_conf.spks (0 when unset)
    "$1" -c 'import sys, yaml; c = yaml.safe_load(open(sys.argv[1])) or {}
print(int((c.get("tts_conf") or {}).get("spks") or 0))' "$2"
}
uses_sids() {  # uses_sids PYTHON CONFIG: "true" when the VC config sets tts_conf.spks > 1, else "false"
    if [ "$(config_spks "$1" "$2")" -gt 1 ]; then echo true; else echo false; fi
}
alias_speakers() {  # alias_speakers SPK2SID NEW=OLD,...: SPK2SID's lines, each NEW added with OLD's id
    awk -v map="$2" -v file="$1" '
        BEGIN { n = split(map, m, ","); for (i = 1; i <= n; i++) if (split(m[i], kv, "=") == 2) { as[kv[2]] = as[kv[2]] " " kv[1]; want[kv[2]] = 1 }
                else { print "alias_speakers: \"" m[i] "\" is not NEW=OLD" > "/dev/stderr"; bad = 1; exit 1 } }
        { print; known = known " " $1; k = split(as[$1], a, " "); for (j = 1; j <= k; j++) print a[j], $2; delete want[$1] }
        END { if (bad) exit 1; for (s in want) { print "alias_speakers: " s " is not a speaker of " file " (it has:" known ")" > "/dev/stderr"; exit 1 } }' "$1"
}
vocoder_name() {  # vocoder_name CHECKPOINT: the --generator (hifigan, vocos) of the vocoder_train config beside it
    sed -n 's/^generator: *//p' "$(dirname "$1")/config.yaml" | awk 'NR == 1 {print; found = 1} END {if (!found) print "hifigan"}'
}
sid_data() {  # sid_data PREFIX DIR: speaker-id data options when they are used (many-to-many)
    if [ "${use_sids}" = true ]; then
        echo "--$1 $2/utt2src_sid,src_sids,text_int --$1 $2/utt2tgt_sid,tgt_sids,text_int"
    fi
}
filter_keys() { awk 'NR == FNR {ok[$1] = 1; next} $1 in ok' "$1" "$2"; }  # filter_keys KEYS FILE: FILE's lines whose id is in KEYS
split_keys() {  # split_keys SCP N DIR PREFIX: DIR/PREFIX.{1..N}.scp, contiguous chunks of SCP's keys
    rm -f "$3/$4".*.scp
    awk -v n="$2" -v total="$(wc -l < "$1")" -v out="$3/$4" \
        '{ j = int((NR - 1) * n / total) + 1; print $1 > (out "." j ".scp") }' "$1"
}
wait_all() {  # wait_all PID...: wait for background steps; fail when one failed
    local pid failed=0
    for pid in "$@"; do wait "${pid}" || failed=1; done
    [ "${failed}" -eq 0 ] || { log "Error: a step failed (see above)"; exit 1; }
}
best_model() {  # best_model DIR NAME: DIR/NAME; for the default valid.loss.ave.pth the next that exists
    local model=$1/$2 fallback
    if [ ! -e "${model}" ] && [ "$2" = valid.loss.ave.pth ]; then
        for fallback in valid.loss.best.pth latest.pth; do
            [ ! -e "$1/${fallback}" ] || { model=$1/${fallback}; break; }
        done
        log "$1/$2 does not exist; using ${model}" >&2
    fi
    [ -e "${model}" ] || { log "Error: no model ${model}; train it first" >&2; exit 1; }
    echo "${model}"
}
