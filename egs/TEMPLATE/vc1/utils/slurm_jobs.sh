#!/usr/bin/env bash
# Run jobs through Slurm, like Kaldi's slurm.pl: the recipe's --cmd slurm. The same command line as
# utils/run_jobs.sh; JOB=1:N becomes one job array (sbatch --array --wait), each task running
# its command through utils/run_jobs.sh in the allocation, so the logs are the same as with --cmd local.
#
# Usage: utils/slurm_jobs.sh [--config conf/slurm.conf] [--max_jobs M] [--gpu N] [--num_threads N] [--mem SIZE] \
#            [--time T] [--num_nodes N] [--name NAME] [JOB=1:N] LOG command [args...]
#   The config turns the resource options into sbatch options (partition, memory, GPUs), in the format of
#   Kaldi's and ESPnet's conf/slurm.conf:
#     command sbatch --export=ALL        # the submission command and the options of every job
#     default gpu=0                      # the value of an option that is not given
#     option gpu=0                       # the sbatch options for that value (here: none)
#     option gpu=* -p gpu --gres=gpu:$0  # for any other value, $0 replaced by it
#   Slurm's own output of each task (time limit, memory kill) goes to <dir of LOG>/q/<name>.<task>.out; it is
#   printed beside the tail of the LOG of each failed job. Interrupting this script cancels the jobs.
set -euo pipefail

config=conf/slurm.conf
if [ "${1:-}" = --config ]; then
    config=$2
    shift 2
fi
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/jobs_common.sh"
parse_job_args "$@"
[ -f "${config}" ] || { echo "$0: no Slurm config ${config} (--config; see egs/TEMPLATE/vc1/conf/slurm.conf)" >&2; exit 1; }
command -v sbatch > /dev/null || { echo "$0: sbatch not found: is this a Slurm login node? (or use --cmd local)" >&2; exit 1; }

# The config: the submission command, the defaults, and the sbatch options of each option's value.
submit=()
declare -A defaults=() exact=() wildcard=()
while read -r kind rest; do
    case "${kind}" in
        "" | \#*) ;;
        command) read -r -a submit <<< "${rest}" ;;
        default) defaults[${rest%%=*}]=${rest#*=} ;;
        option)
            read -r spec args <<< "${rest}"
            args=${args%%#*}
            if [ "${spec#*=}" = "*" ]; then wildcard[${spec%%=*}]=${args}; else exact[${spec}]=${args}; fi ;;
        *) echo "$0: ${config}: unknown line '${kind} ${rest}'" >&2; exit 1 ;;
    esac
done < "${config}"
[ "${#submit[@]}" -gt 0 ] || { echo "$0: ${config} has no 'command sbatch ...' line" >&2; exit 1; }
name=$(basename "${log}")
name=${name//.${var}/}
name=${name%.log}
[ -n "${job_opts[name]:-}" ] || job_opts[name]=${name}
for key in "${!defaults[@]}"; do [ -n "${job_opts[${key}]:-}" ] || job_opts[${key}]=${defaults[${key}]}; done
sbatch_opts=()
for key in "${!job_opts[@]}"; do
    value=${job_opts[${key}]}
    if [ -n "${exact[${key}=${value}]+set}" ]; then
        args=${exact[${key}=${value}]}
    elif [ -n "${wildcard[${key}]+set}" ]; then
        args=${wildcard[${key}]//\$0/${value}}
    else
        echo "$0: --${key} ${value}: ${config} has no 'option ${key}=${value}' or 'option ${key}=*' line" >&2
        exit 1
    fi
    read -r -a words <<< "${args}"
    sbatch_opts+=("${words[@]}")
done

mkdir -p "$(dirname "${log}")/q"
qdir=$(cd "$(dirname "${log}")/q" && pwd)
is_array=false  # a job array: JOB=A:B with more than one job, or a LOG named per job
if [ "${last}" -gt "${first}" ] || [[ "${log}" == *${var}* ]]; then is_array=true; fi
runner=$(cd "$(dirname "$0")" && pwd)/run_jobs.sh
script=${qdir}/${name}.sh
{
    echo "#!/usr/bin/env bash"
    echo "# written by $0 for: sbatch ${sbatch_opts[*]}"
    printf 'cd %q\n' "$(pwd)"
    if [ "${is_array}" = true ]; then
        # shellcheck disable=SC2016  # expanded by the task, not here
        printf 'exec %q %s=${SLURM_ARRAY_TASK_ID}:${SLURM_ARRAY_TASK_ID}' "${runner}" "${var}"
    else
        printf 'exec %q' "${runner}"
    fi
    printf ' %q' "${log}" "${job_cmd[@]}"
    echo
} > "${script}"
array=()
out=${qdir}/${name}.out
if [ "${is_array}" = true ]; then
    array=(--array "${first}-${last}")
    [ "${max_jobs}" -eq 0 ] || array=(--array "${first}-${last}%${max_jobs}")
    out=${qdir}/${name}.%a.out
fi
for ((n = first; n <= last; n++)); do rm -f "$(job_log "${n}")"; done  # no earlier run's "status 0"

# sbatch --wait returns when the job has ended (with any task's failure as its status), but it polls the
# controller up to 10 s apart; the logs show sooner that every job wrote its status line, and then it is done.
"${submit[@]}" --wait --parsable "${array[@]}" --output "${out}" "${sbatch_opts[@]}" "${script}" \
    > "${qdir}/${name}.id" 2> "${qdir}/${name}.sbatch.err" &
waiter=$!
job_id() { cut -d ';' -f 1 "${qdir}/${name}.id" 2> /dev/null || true; }
cancel() {
    local id
    id=$(job_id)
    [ -z "${id}" ] || scancel "${id}" || true
    kill "${waiter}" 2> /dev/null || true
    echo "$0: interrupted; cancelled Slurm job ${id:-(not submitted yet)}" >&2
    exit 130
}
trap cancel INT TERM
ended() {
    local n
    for ((n = first; n <= last; n++)); do
        tail -n 1 "$(job_log "${n}")" 2> /dev/null | grep -q "^# ended at .* with status [0-9]*$" || return 1
    done
}
while kill -0 "${waiter}" 2> /dev/null && ! ended; do sleep 1; done
kill "${waiter}" 2> /dev/null || true  # a batch job does not depend on its sbatch: this ends the wait only
wait "${waiter}" 2> /dev/null || true
trap - INT TERM
id=$(job_id)
if [ -z "${id}" ]; then
    echo "$0: sbatch refused the job: ${submit[*]} ${sbatch_opts[*]} ${script}" >&2
    cat "${qdir}/${name}.sbatch.err" >&2
    exit 1
fi

slurm_report() {  # slurm_report N: Slurm's own output of task N
    local f=${out//%a/$1}
    [ ! -s "${f}" ] || { echo "$0: Slurm's output of job ${id} task $1 (${f}):" >&2; tail -n 5 "${f}" >&2; }
}
check_job_logs slurm_report || { echo "$0: see Slurm job ${id} (sacct -j ${id})" >&2; exit 1; }
