#!/usr/bin/env bash
# A single-node Slurm cluster on this machine (slurmctld + slurmd on localhost, munge for authentication), for
# the --cmd slurm tests and for trying a recipe's Slurm backend without a cluster (doc/scale.md).
#
# Usage: tools/local_slurm.sh start DIR [NODES] # writes DIR/slurm.conf, starts the daemons, waits for the nodes
#        tools/local_slurm.sh stop DIR          # stops the daemons started with DIR
#        export SLURM_CONF=DIR/slurm.conf       # then sbatch/srun/sinfo talk to it
# Needs root and Debian's slurm-wlm and munge (apt-get install slurm-wlm munge). Each node (default 1;
# more are slurmd daemons of their own on this machine, to try multi-node jobs) offers every core and all
# but 1 GiB of the memory; no GPUs.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ] || { [ "$1" != start ] && [ "$1" != stop ]; }; then
    sed -n '2,10p' "$0" >&2
    exit 2
fi
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
nodes=${3:-1}

stop() {
    local file pid
    for file in "${dir}"/slurmd*.pid "${dir}/slurmctld.pid"; do
        [ -f "${file}" ] || continue
        pid=$(cat "${file}")
        kill "${pid}" 2> /dev/null || true
        for _ in $(seq 50); do kill -0 "${pid}" 2> /dev/null || break; sleep 0.1; done
        rm -f "${file}"
    done
}
if [ "${action}" = stop ]; then
    stop
    exit 0
fi

for tool in slurmctld slurmd sbatch munged; do
    command -v "${tool}" > /dev/null || { echo "$0: ${tool} not found; apt-get install slurm-wlm munge" >&2; exit 3; }
done
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (slurmd runs jobs as their user)" >&2; exit 3; }
stop  # a cluster left over from an earlier start with DIR
if ! munge -n < /dev/null > /dev/null 2>&1; then  # no munged yet: start one (the package made the key)
    mkdir -p /run/munge && chown munge:munge /run/munge
    su -s /bin/sh munge -c "munged --force" || munged --force
fi

host=$(hostname -s)
cpus=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024) - 1024}' /proc/meminfo)
mkdir -p "${dir}/state" "${dir}/spool" "${dir}/log"
cat > "${dir}/slurm.conf" << EOF
ClusterName=local
SlurmctldHost=${host}
SlurmctldPort=$((6817 + RANDOM % 1000 * 2))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool/%n
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.%n.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
MaxArraySize=10001
SlurmdTimeout=300
InactiveLimit=0
KillWait=5
EOF
names=()
port=$((18818 + RANDOM % 1000 * 8))
for ((n = 1; n <= nodes; n++)); do
    name=${host}
    [ "${nodes}" -eq 1 ] || name=node${n}  # several slurmd on this host (Debian's Slurm allows it)
    echo "NodeName=${name} NodeHostname=${host} Port=$((port + n)) CPUs=${cpus} RealMemory=${mem} State=UNKNOWN" \
        >> "${dir}/slurm.conf"
    names+=("${name}")
    mkdir -p "${dir}/spool/${name}"
done
echo "PartitionName=debug Nodes=$(IFS=,; echo "${names[*]}") Default=YES MaxTime=INFINITE State=UP" >> "${dir}/slurm.conf"
export SLURM_CONF=${dir}/slurm.conf
slurmctld -f "${SLURM_CONF}"
for name in "${names[@]}"; do slurmd -f "${SLURM_CONF}" -N "${name}"; done
for _ in $(seq 100); do  # the nodes register within a few seconds
    if [ "$(sinfo -h -N -o %t 2> /dev/null | grep -cE '^(idle|mix|alloc)')" -eq "${nodes}" ]; then
        echo "Slurm is up (${nodes} node(s)): export SLURM_CONF=${SLURM_CONF}"
        exit 0
    fi
    sleep 0.2
done
echo "$0: the nodes did not come up; see ${dir}/log/" >&2
tail -n 20 "${dir}"/log/*.log >&2 || true
stop
exit 1
