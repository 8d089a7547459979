#!/usr/bin/env bash
# A job array over initial times: array task i runs the initial time START + i × STEP_HOURS, each in its own
# directory OUTPUT_ROOT/<time>/ with its own configuration, made from TEMPLATE by replacing @INITIAL_TIME@
# (e.g. `times: ["@INITIAL_TIME@"]` under initial_conditions). Each task is its own job: it stops, requeues
# and resumes alone.
#
#   sbatch --array=0-91 cluster/array.sh TEMPLATE START STEP_HOURS OUTPUT_ROOT [myriad run options]
#   sbatch --array=0-91%4 cluster/array.sh cluster/hens.yaml 2023-06-01T00:00:00Z 24 /scratch/hens-2023
#                                                   # 92 days of summer 2023, at most 4 running at once
#
# Submit from the Myriad checkout (or export MYRIAD_HOME). Nodes and ranks per task as in multi-node.sh.
#SBATCH --job-name=myriad-array
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=16
#SBATCH --cpus-per-task=8
#SBATCH --exclusive
#SBATCH --mem=0
#SBATCH --time=12:00:00
#SBATCH --signal=USR1@300
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=%x-%A_%a.out
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
myriad_array_job "$@"
