#!/usr/bin/env bash
# Several CPU nodes: `myriad run CONFIG` as 4 nodes × 16 ranks × 8 threads (128-core nodes), one
# srun step over all 64 ranks, each bound to its cores. Members are spread evenly over the ranks (ensemble
# parallelism); set the node count for the ensemble (docs/scaling.md).
#
#   sbatch cluster/multi-node.sh CONFIG OUTPUT_DIRECTORY [myriad run options]
#   sbatch --nodes=16 cluster/multi-node.sh CONFIG OUTPUT_DIRECTORY       # more nodes, same script
#
# Submit from the Myriad checkout (or export MYRIAD_HOME). Stop, requeue and resume as in one-node.sh.
#SBATCH --job-name=myriad
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=16
#SBATCH --cpus-per-task=8
#SBATCH --exclusive
#SBATCH --mem=0
#SBATCH --time=12:00:00
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
