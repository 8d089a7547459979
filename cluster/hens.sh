#!/usr/bin/env bash
# The HENS ensemble on CPU nodes: one array task per initial time (cluster/hens.yaml: 29 checkpoints × 256
# members × 60 steps = 445 440 member-steps), summer 2023 daily.
#
#   sbatch --array=0-91 cluster/hens.sh [OUTPUT_ROOT]      # default OUTPUT_ROOT: $SCRATCH/hens-2023
#
# Sized for 128-core, 512 GB nodes (e.g. 2 × AMD EPYC 7763): 58 nodes × 8 ranks × 16 threads = 464 ranks,
# 16 members per rank, all of one checkpoint (256 / 16 = 16 ranks per checkpoint); ≈ 34 GB per rank (8.9 GB
# weights, 16 × 0.9 GB states, ~10 GB work arrays), ≈ 270 GB per node. Estimated 6.5–13 h per initial time
# (docs/scaling.md: 376 core-seconds per member-step measured-and-scaled, 16 threads at 100 % … 50 % efficiency):
# the 12-hour limit below, with requeue, covers it. One step of a rank's 16 members takes 6–13 minutes, and a
# 2.3 TB restart record follows it: hence SIGUSR1 20 minutes before the limit, not 5.
#SBATCH --job-name=hens
#SBATCH --nodes=58
#SBATCH --ntasks-per-node=8
#SBATCH --cpus-per-task=16
#SBATCH --exclusive
#SBATCH --mem=0
#SBATCH --time=12:00:00
#SBATCH --signal=USR1@1200
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
myriad_array_job "$home/cluster/hens.yaml" 2023-06-01T00:00:00Z 24 "${1:-${SCRATCH:-$home/out}/hens-2023}" "${@:2}"
