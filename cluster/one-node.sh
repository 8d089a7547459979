#!/usr/bin/env bash
# One CPU node: `myriad run CONFIG` as 16 ranks × 8 threads (a 128-core node; keep
# ntasks-per-node × cpus-per-task = the node's cores), each rank bound to its cores.
#
#   sbatch cluster/one-node.sh CONFIG OUTPUT_DIRECTORY [myriad run options]
#
# Submit from the Myriad checkout (or export MYRIAD_HOME=/path/to/myriad). SIGUSR1 five minutes before the
# time limit stops every rank after its current step with a restart record (exit 85); the job then requeues
# itself and the requeued job resumes. Sizing and the signal's lead time: docs/scaling.md; the details of the
# stop and requeue: cluster/myriad-job.sh.
#SBATCH --job-name=myriad
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=16
#SBATCH --cpus-per-task=8
#SBATCH --exclusive
#SBATCH --mem=0
#SBATCH --time=04:00:00
#SBATCH --signal=USR1@300
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=%x-%j.out
##SBATCH --partition=cpu
##SBATCH --account=PROJECT
set -euo pipefail
home=${MYRIAD_HOME:-${SLURM_SUBMIT_DIR:-$PWD}}
if [ ! -f "$home/cluster/myriad-job.sh" ]; then
  echo "myriad: $home is not the Myriad checkout (no cluster/myriad-job.sh there): submit from the checkout, or export MYRIAD_HOME=/path/to/myriad before sbatch (sbatch passes the environment on)" >&2
  exit 2
fi
# shellcheck source=cluster/myriad-job.sh
. "$home/cluster/myriad-job.sh"
myriad_job "$@"
