#!/usr/bin/env bash
# Run jobs on this machine, in parallel, like Kaldi's run.pl: the recipe's --cmd local (utils/slurm_jobs.sh is
# --cmd slurm, with the same command line).
#
# Usage: utils/run_jobs.sh [--max_jobs M] [--gpu N] [--num_threads N] [--mem SIZE] [--time T] [--name NAME] \
#            [JOB=1:N] LOG command [args...]
#   Every "JOB" in LOG and in the arguments is replaced by the job number. Each job's output goes to its LOG
#   (with the command line first and the exit status last). At most M jobs run at once (default: all N, as
#   run.pl does). The resource options are for a scheduler and are ignored here. Exits 1 and prints the tail
#   of each failed job's log when any job failed.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/jobs_common.sh"
parse_job_args "$@"
[ "${max_jobs}" -gt 0 ] || max_jobs=$((last - first + 1))

run_one() {
    local logfile=$1 rc=0
    shift
    mkdir -p "$(dirname "${logfile}")"
    { echo "# $*"; echo "# started at $(date)"; } > "${logfile}"
    "$@" >> "${logfile}" 2>&1 || rc=$?
    echo "# ended at $(date) with status ${rc}" >> "${logfile}"
    return "${rc}"
}

running=0
for ((n = first; n <= last; n++)); do
    args=()
    for a in "${job_cmd[@]}"; do
        args+=("${a//${var}/${n}}")
    done
    run_one "$(job_log "${n}")" "${args[@]}" &
    running=$((running + 1))
    if [ "${running}" -ge "${max_jobs}" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true
check_job_logs '' || exit 1
