#!/usr/bin/env bash
# The command line that utils/run_jobs.sh (local) and utils/slurm_jobs.sh (Slurm) share, as Kaldi's run.pl and
# slurm.pl do, and the check of the jobs' logs; sourced, never run.
#
#   [--max_jobs M] [--gpu N] [--num_threads N] [--mem SIZE] [--time T] [--num_nodes N] [--name NAME] \
#       [JOB=A:B] LOG command [args...]
#
# Without JOB=A:B there is one job. Every "JOB" in LOG and in the arguments becomes the job number. Each job's
# output goes to its LOG: the command line first, "# ended at ... with status N" last.
# shellcheck disable=SC2034  # the parsed values are read by the sourcing script

job_usage="[--max_jobs M] [--gpu N] [--num_threads N] [--mem SIZE] [--time T] [--num_nodes N] [--name NAME] [JOB=A:B] LOG command [args...]"

parse_job_args() {  # sets max_jobs, job_opts (name → value), var, first, last, log, job_cmd (the command)
    max_jobs=0
    declare -gA job_opts=()
    while [[ "${1:-}" == --* ]]; do
        [ $# -ge 2 ] || { echo "$0: $1 needs a value" >&2; exit 1; }
        case "$1" in
            --max_jobs) max_jobs=$2 ;;
            --gpu | --num_threads | --mem | --time | --num_nodes | --name) job_opts[${1#--}]=$2 ;;
            *) echo "$0: unknown option $1; usage: $0 ${job_usage}" >&2; exit 1 ;;
        esac
        shift 2
    done
    var=JOB first=1 last=1
    if [[ "${1:-}" =~ ^([A-Za-z_]+)=([0-9]+):([0-9]+)$ ]]; then
        var=${BASH_REMATCH[1]} first=${BASH_REMATCH[2]} last=${BASH_REMATCH[3]}
        shift
    fi
    if [ $# -lt 2 ] || [ "${last}" -lt "${first}" ]; then
        echo "Usage: $0 ${job_usage}" >&2
        exit 1
    fi
    log=$1
    shift
    job_cmd=("$@")
}

job_log() { echo "${log//${var}/$1}"; }  # job_log N: the log of job N

check_job_logs() {  # check_job_logs REPORT: 0 when every log says status 0, else names the failed ones (and
    # calls REPORT N, when not empty, for each failed job N)
    local n f failed=0
    for ((n = first; n <= last; n++)); do
        f=$(job_log "${n}")
        if [ ! -f "${f}" ] || ! tail -n 1 "${f}" | grep "with status 0$" > /dev/null; then
            failed=$((failed + 1))
            echo "$0: job ${n} failed, see ${f}; its last lines:" >&2
            tail -n 20 "${f}" >&2 2> /dev/null || echo "(no log: the job never started)" >&2
            [ -z "${1:-}" ] || "$1" "${n}"  # the backend's own report of job n
        fi
    done
    if [ "${failed}" -gt 0 ]; then
        echo "$0: ${failed} of $((last - first + 1)) jobs failed" >&2
        return 1
    fi
}
