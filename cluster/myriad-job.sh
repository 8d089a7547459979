# shellcheck shell=bash
# Sourced by the Slurm batch scripts of cluster/ (one-node.sh, multi-node.sh, array.sh, hens.sh): runs
# `myriad run` as one job step under srun and turns a stop into a requeue.
#
#   myriad_job CONFIG OUTPUT_DIRECTORY [MYRIAD RUN OPTIONS...]
#       One run. When OUTPUT_DIRECTORY holds a restart record (restart.h5: the job was requeued, or stopped or
#       killed before), it carries on with --resume; otherwise it starts afresh.
#   myriad_array_job TEMPLATE START STEP_HOURS OUTPUT_ROOT [MYRIAD RUN OPTIONS...]
#       One task of a job array over initial times: task i runs the initial time START + i × STEP_HOURS, with
#       the configuration TEMPLATE whose @INITIAL_TIME@ is replaced by that time, written to and run in
#       OUTPUT_ROOT/<time>/ (run.yaml, members.h5, statistics.h5, …), <time> written as 2023-06-01T0000Z.
#
# Exit status of `myriad run`: 0 done; 85 stopped by SIGUSR1/SIGTERM after writing restart.h5 — then this
# job asks Slurm to requeue it (`scontrol requeue $SLURM_JOB_ID`; for an array task that is the task's own
# id) and exits with 85; the requeued job finds restart.h5 and resumes. Anything else is a failure and is
# passed on.
#
# Signals. `#SBATCH --signal=USR1@T` (no B:) makes Slurm send SIGUSR1 to the tasks of every job step T
# seconds before the time limit: the myriad ranks themselves, which finish the step they are in, write the
# record and exit with 85. `--signal=B:USR1@T` signals only this batch shell: srun runs in the background
# and the trap below forwards SIGUSR1 (and SIGTERM) to srun, which forwards it to every task. Either
# works; the scripts use the first. T must cover one step of a rank's members plus writing the record
# (docs/scaling.md): the time limit's own SIGTERM is followed by SIGKILL after KillWait (often 30 s),
# too soon for a large run, which then loses the steps since its last periodic record.
#
# Environment (all optional):
#   MYRIAD_HOME          the Myriad checkout (default: where sbatch was called, $SLURM_SUBMIT_DIR)
#   MYRIAD               the executable (default: $MYRIAD_HOME/.build/release/myriad)
#   MYRIAD_ENV           a file sourced first: the site's `module load …` / `spack load …` lines
#   MYRIAD_SRUN_FLAGS    more srun options, e.g. "--mpi=pmix"
#   MYRIAD_MAX_REQUEUES  requeues before giving up (default 20; $SLURM_RESTART_COUNT counts them)

myriad_job() {
  if [ $# -lt 2 ]; then
    echo "myriad-job: usage: myriad_job CONFIG OUTPUT_DIRECTORY [myriad run options]" >&2
    return 2
  fi
  local config=$1 output=$2
  shift 2
  if [ -z "${SLURM_JOB_ID:-}" ] || [ -z "${SLURM_NTASKS:-}" ]; then
    echo "myriad-job: not inside a Slurm job (SLURM_JOB_ID, SLURM_NTASKS unset): submit with sbatch" >&2
    return 2
  fi
  local home=${MYRIAD_HOME:-${SLURM_SUBMIT_DIR:-$PWD}}
  if [ -n "${MYRIAD_ENV:-}" ]; then
    # shellcheck disable=SC1090
    . "$MYRIAD_ENV"
  fi
  local executable=${MYRIAD:-$home/.build/release/myriad}
  if [ ! -x "$executable" ]; then
    echo "myriad-job: no myriad executable at $executable (build it: swift build -c release --product myriad, or set MYRIAD)" >&2
    return 2
  fi
  if [ ! -f "$config" ]; then
    echo "myriad-job: no configuration file $config" >&2
    return 2
  fi

  # One OpenBLAS thread per allocated CPU of a task; ranks bound to their cores.
  local threads=${SLURM_CPUS_PER_TASK:-1}
  export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
  # Lustre (and some GPFS set-ups) refuse HDF5's file locks; the collective writes do not need them.
  export HDF5_USE_FILE_LOCKING=FALSE

  mkdir -p "$output"
  local arguments=(run "$config" --output-directory "$output" "$@")
  if [ -e "$output/restart.h5" ]; then
    arguments+=(--resume)
  fi
  local extra=()
  if [ -n "${MYRIAD_SRUN_FLAGS:-}" ]; then
    read -r -a extra <<<"$MYRIAD_SRUN_FLAGS"
  fi
  echo "myriad-job: job ${SLURM_JOB_ID}${SLURM_ARRAY_TASK_ID:+ (array task $SLURM_ARRAY_TASK_ID)}, start ${SLURM_RESTART_COUNT:-0}," \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ): ${SLURM_NTASKS} rank(s) × ${threads} thread(s) on ${SLURM_JOB_NUM_NODES:-1} node(s):" \
    "myriad ${arguments[*]}"

  # srun in the background, so that a signal to this shell (--signal=B:USR1@T, scancel --batch) reaches it.
  srun --cpus-per-task="$threads" --cpu-bind=cores ${extra[@]+"${extra[@]}"} "$executable" "${arguments[@]}" &
  MYRIAD_SRUN_PID=$!
  trap 'kill -USR1 "$MYRIAD_SRUN_PID" 2>/dev/null || true' USR1
  trap 'kill -TERM "$MYRIAD_SRUN_PID" 2>/dev/null || true' TERM
  local status=0
  # `wait` returns early (status > 128) when a trapped signal arrives; wait again until srun has ended.
  while kill -0 "$MYRIAD_SRUN_PID" 2>/dev/null; do
    wait "$MYRIAD_SRUN_PID" || true
  done
  wait "$MYRIAD_SRUN_PID" || status=$?
  trap - USR1 TERM

  case $status in
    0)
      echo "myriad-job: finished; outputs in $output/"
      ;;
    85)
      local restarts=${SLURM_RESTART_COUNT:-0} limit=${MYRIAD_MAX_REQUEUES:-20}
      if [ "$restarts" -ge "$limit" ]; then
        echo "myriad-job: stopped with a restart record, but this job has been requeued $restarts times (MYRIAD_MAX_REQUEUES=$limit): not requeued. Resubmit the same script and arguments to carry on." >&2
      elif scontrol requeue "$SLURM_JOB_ID"; then
        echo "myriad-job: stopped with a restart record in $output/; requeued job $SLURM_JOB_ID, which resumes from it"
      else
        echo "myriad-job: stopped with a restart record, but 'scontrol requeue $SLURM_JOB_ID' failed (is the job requeueable: --requeue?). Resubmit the same script and arguments to carry on." >&2
      fi
      ;;
    *)
      echo "myriad-job: myriad run failed with status $status" >&2
      ;;
  esac
  return "$status"
}

myriad_array_job() {
  if [ $# -lt 4 ]; then
    echo "myriad-job: usage: myriad_array_job TEMPLATE START STEP_HOURS OUTPUT_ROOT [myriad run options]" >&2
    return 2
  fi
  local template=$1 start=$2 step=$3 root=$4
  shift 4
  if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
    echo "myriad-job: not an array task (SLURM_ARRAY_TASK_ID unset): submit with sbatch --array=0-N" >&2
    return 2
  fi
  if ! grep -q '@INITIAL_TIME@' "$template"; then
    echo "myriad-job: the template $template has no @INITIAL_TIME@ to replace" >&2
    return 2
  fi
  if ! [[ $step =~ ^[0-9]+$ ]]; then
    echo "myriad-job: STEP_HOURS must be a whole number of hours, got '$step'" >&2
    return 2
  fi
  local epoch time seconds
  epoch=$(date -u -d "$start" +%s) || { echo "myriad-job: cannot read the start time '$start'" >&2; return 2; }
  seconds=$((epoch + SLURM_ARRAY_TASK_ID * step * 3600))
  time=$(date -u -d "@$seconds" +%Y-%m-%dT%H:%M:%SZ)
  # The directory is named without colons (2023-06-01T0000Z): MPI-IO (ROMIO) reads "name:" as a file-system prefix.
  local directory
  directory="$root/$(date -u -d "@$seconds" +%Y-%m-%dT%H%MZ)"
  mkdir -p "$directory"
  # The same template and time give the same file, so a requeued task's --resume finds its configuration
  # unchanged (myriad checks the record's fingerprint against the configuration's text).
  sed "s/@INITIAL_TIME@/$time/g" "$template" >"$directory/run.yaml.new"
  mv "$directory/run.yaml.new" "$directory/run.yaml"
  myriad_job "$directory/run.yaml" "$directory" "$@"
}
