#!/usr/bin/env bash
# Run N copies of a command locally in parallel, like Kaldi's run.pl (no queue needed).
#
# Usage: utils/run_jobs.sh [--max_jobs M] JOB=1:N LOG command [args...]
#   Every "JOB" in LOG and in the arguments is replaced by the job number. Each job's output goes to its
#   LOG (with the command line first and the exit status last). At most M jobs run at once (default: all
#   N, as run.pl does). Exits 1 and prints the tail of each failed job's log when any job failed.
set -euo pipefail

max_jobs=0
if [ "${1:-}" = "--max_jobs" ]; then
    max_jobs=$2
    shift 2
fi
if [ $# -lt 3 ] || [[ ! "$1" =~ ^([A-Za-z_]+)=([0-9]+):([0-9]+)$ ]]; then
    echo "Usage: $0 [--max_jobs M] JOB=1:N LOG command [args...]" >&2
    exit 1
fi
var=${BASH_REMATCH[1]}
first=${BASH_REMATCH[2]}
last=${BASH_REMATCH[3]}
log=$2
shift 2
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

logs=()
running=0
for ((n = first; n <= last; n++)); do
    args=()
    for a in "$@"; do
        args+=("${a//${var}/${n}}")
    done
    logs+=("${log//${var}/${n}}")
    run_one "${logs[-1]}" "${args[@]}" &
    running=$((running + 1))
    if [ "${running}" -ge "${max_jobs}" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

failed=0
for f in "${logs[@]}"; do
    if ! tail -n 1 "${f}" | grep "with status 0$" > /dev/null; then
        failed=$((failed + 1))
        echo "$0: job failed, see ${f}; its last lines:" >&2
        tail -n 20 "${f}" >&2
    fi
done
if [ "${failed}" -gt 0 ]; then
    echo "$0: ${failed} of $((last - first + 1)) jobs failed" >&2
    exit 1
fi
