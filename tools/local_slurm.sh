#!/usr/bin/env bash
# A single-node Slurm cluster on this machine (slurmctld + slurmd on localhost, munge for authentication), for
# the --cmd slurm tests and for trying a recipe's Slurm backend without a cluster (doc/scale.md).
#
# Usage: tools/local_slurm.sh start DIR   # writes DIR/slurm.conf, starts the daemons, waits for the node
#        tools/local_slurm.sh stop DIR    # stops the daemons started with DIR
#        export SLURM_CONF=DIR/slurm.conf # then sbatch/srun/sinfo talk to it
# Needs root and Debian's slurm-wlm and munge (apt-get install slurm-wlm munge). The node offers every core
# and all but 1 GiB of the memory; no GPUs.
set -euo pipefail

if [ $# -ne 2 ] || { [ "$1" != start ] && [ "$1" != stop ]; }; then
    sed -n '2,9p' "$0" >&2
    exit 2
fi
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)

stop() {
    local name pid
    for name in slurmd slurmctld; do
        [ -f "${dir}/${name}.pid" ] || continue
        pid=$(cat "${dir}/${name}.pid")
        kill "${pid}" 2> /dev/null || true
        for _ in $(seq 50); do kill -0 "${pid}" 2> /dev/null || break; sleep 0.1; done
        rm -f "${dir}/${name}.pid"
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
SlurmdPort=$((16818 + RANDOM % 1000 * 2))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
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
NodeName=${host} CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=${dir}/slurm.conf
slurmctld -f "${SLURM_CONF}"
slurmd -f "${SLURM_CONF}"
for _ in $(seq 100); do  # the node registers within a few seconds
    if sinfo -h -N -o %t 2> /dev/null | grep -qE '^(idle|mix|alloc)'; then
        echo "Slurm is up: export SLURM_CONF=${SLURM_CONF}"
        exit 0
    fi
    sleep 0.2
done
echo "$0: the node did not come up; see ${dir}/log/" >&2
tail -n 20 "${dir}/log/slurmctld.log" "${dir}/log/slurmd.log" >&2 || true
stop
exit 1
