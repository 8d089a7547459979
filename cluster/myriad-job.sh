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
# Outcome. The script decides from what the ranks left in OUTPUT_DIRECTORY, not from srun's status (srun
# may exit 0 after a node failure, and non-zero when a signal reached it after the ranks had finished):
#   finished  no restart.h5, no *.partial, the final files (members.h5, statistics.h5, …) present and written
#             or renamed by this start: prints "finished" and exits 0.
#   cancelled restart.h5 present, not finished, and this shell got SIGTERM or the ranks exited 143 (a cancel,
#             `scancel JOBID`: SIGTERM to every step; the ranks write a record and exit 143): not requeued;
#             the record stays, and resubmitting the same script and arguments carries on (exit 143).
#   stopped   restart.h5 present, not finished, after the time-limit warning: the ranks exited 85 (they got
#             SIGUSR1) or this shell got SIGUSR1: requeued (`scontrol requeue $SLURM_JOB_ID`, for an array
#             task its own id; exit 85).
#   failed    anything else (no record, or a record and another status): srun's status (1 if srun said 0),
#             with what to look at; not requeued.
#
# Signals. `#SBATCH --signal=USR1@T` (no B:) makes Slurm send SIGUSR1 to the tasks of every job step T
# seconds before the time limit: the myriad ranks themselves, which finish the step they are in, write the
# record and exit with 85. `--signal=B:USR1@T` (and `scancel --batch -s USR1`) signals only this batch
# shell: srun runs in the background and the trap below forwards SIGUSR1 to srun, which forwards it to every
# task. Either works; the scripts use the first. SIGUSR1 is the only signal forwarded: SIGTERM to this shell
# (`scancel --batch -s TERM`, or the batch step's share of a cancel) is noted — no requeue — and not passed
# on, since srun answers a forwarded SIGTERM by killing the tasks without a record; a real cancel reaches the
# ranks directly. T must cover one step of a rank's members plus writing the record (docs/scaling.md): the
# time limit's own SIGTERM is followed by SIGKILL after KillWait (often 30 s), too soon for a large run, and
# is a stop without requeue.
#
# MPI start-up. With OpenMPI 4.1 only `srun --mpi=pmix` starts the ranks (Slurm's default and pmi2 fail in
# MPI_Init with "OMPI was not built with SLURM's PMI support"): the script adds --mpi=pmix when
# `srun --mpi=list` offers it, unless MYRIAD_SRUN_FLAGS is set, which replaces that choice.
#
# Environment (all optional):
#   MYRIAD_HOME          the Myriad checkout (default: where sbatch was called, $SLURM_SUBMIT_DIR)
#   MYRIAD               the executable (default: $MYRIAD_HOME/.build/release/myriad)
#   MYRIAD_ENV           a file sourced first: the site's `module load …` / `spack load …` lines
#   MYRIAD_SRUN_FLAGS    srun options instead of the automatic --mpi=pmix, e.g. "--mpi=pmi2"
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
    echo "myriad-job: no myriad executable at $executable (build it in the checkout: swift build -c release --product myriad --static-swift-stdlib, or set MYRIAD)" >&2
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
  elif srun --mpi=list 2>&1 | grep -qw pmix; then
    extra=(--mpi=pmix)
  else
    echo "myriad-job: srun --mpi=list offers no pmix; using Slurm's default MPI plugin (set MYRIAD_SRUN_FLAGS=--mpi=... to choose)" >&2
  fi
  echo "myriad-job: job ${SLURM_JOB_ID}${SLURM_ARRAY_TASK_ID:+ (array task $SLURM_ARRAY_TASK_ID)}, start ${SLURM_RESTART_COUNT:-0}," \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ): ${SLURM_NTASKS} rank(s) × ${threads} thread(s) on ${SLURM_JOB_NUM_NODES:-1} node(s):" \
    "srun ${extra[*]} myriad ${arguments[*]}"

  local before
  before=$(myriad_job_files "$output")
  # srun in the background, so that a signal to this shell (--signal=B:USR1@T, scancel --batch) reaches the trap.
  MYRIAD_JOB_WARNED=0 MYRIAD_JOB_TERMINATED=0
  srun --cpus-per-task="$threads" --cpu-bind=cores ${extra[@]+"${extra[@]}"} "$executable" "${arguments[@]}" &
  MYRIAD_SRUN_PID=$!
  trap 'MYRIAD_JOB_WARNED=1; kill -USR1 "$MYRIAD_SRUN_PID" 2>/dev/null || true' USR1
  trap 'MYRIAD_JOB_TERMINATED=1' TERM
  local status=0
  # `wait` returns early (status > 128) when a trapped signal arrives; wait again until srun has ended.
  while kill -0 "$MYRIAD_SRUN_PID" 2>/dev/null; do
    wait "$MYRIAD_SRUN_PID" || true
  done
  wait "$MYRIAD_SRUN_PID" || status=$?
  trap - USR1 TERM

  if myriad_job_finished "$output" "$before"; then
    local note=""
    if [ "$status" != 0 ]; then note=" (srun's exit status $status came after the ranks had finished)"; fi
    echo "myriad-job: finished; outputs in $output/$note"
    return 0
  fi
  if [ ! -e "$output/restart.h5" ]; then
    if [ "$status" = 0 ]; then status=1; fi
    echo "myriad-job: the run did not finish and left no restart record in $output/ (srun exit status $status); see the ranks' messages above." >&2
    if [ "$MYRIAD_JOB_TERMINATED" = 0 ] && [ "$MYRIAD_JOB_WARNED" = 0 ]; then
      echo "myriad-job: if MPI_Init failed (a message about PMI support), srun and the MPI library disagree on how to start the ranks: 'srun --mpi=list' shows what Slurm offers, 'ompi_info | grep -i pmix' what OpenMPI was built with; set MYRIAD_SRUN_FLAGS=--mpi=pmix (or pmi2, pmix_v4, …) to one both support, or ask your site which one its MPI needs." >&2
    fi
    return "$status"
  fi
  if [ "$MYRIAD_JOB_TERMINATED" = 1 ] || [ "$status" = 143 ]; then
    echo "myriad-job: cancelled (SIGTERM; srun exit status $status): not requeued. The restart record $output/restart.h5 is kept: resubmit the same script and arguments to carry on." >&2
    return 143
  fi
  if [ "$status" != 85 ] && [ "$MYRIAD_JOB_WARNED" = 0 ]; then
    if [ "$status" = 0 ]; then status=1; fi
    echo "myriad-job: the run did not finish (srun exit status $status; see the ranks' messages above): not requeued. The last restart record $output/restart.h5 is kept: resubmit the same script and arguments to carry on from it." >&2
    return "$status"
  fi
  local restarts=${SLURM_RESTART_COUNT:-0} limit=${MYRIAD_MAX_REQUEUES:-20}
  if [ "$restarts" -ge "$limit" ]; then
    echo "myriad-job: stopped with a restart record, but this job has been requeued $restarts times (MYRIAD_MAX_REQUEUES=$limit): not requeued. Resubmit the same script and arguments to carry on." >&2
  elif scontrol requeue "$SLURM_JOB_ID"; then
    echo "myriad-job: stopped with a restart record in $output/; requeued job $SLURM_JOB_ID, which resumes from it"
  else
    echo "myriad-job: stopped with a restart record, but 'scontrol requeue $SLURM_JOB_ID' failed (is the job requeueable: --requeue?). Resubmit the same script and arguments to carry on." >&2
  fi
  return 85
}

# The output directory's run files with their sizes and modification times, to see whether a start changed them.
myriad_job_files() {
  (cd "$1" 2>/dev/null && ls -l --time-style=+%s.%N -- restart.h5 members.h5 statistics.h5 scores.h5 scores.csv ./*.partial 2>/dev/null) || true
}

# Whether the run in $1 has finished during this start ($2: myriad_job_files before it): no restart record, no
# partial file, a final file present, and the directory's run files changed (written, renamed or the record
# removed) — not a finished run left there by someone else.
myriad_job_finished() {
  local output=$1 before=$2 partial
  [ ! -e "$output/restart.h5" ] || return 1
  for partial in "$output"/*.partial; do
    [ ! -e "$partial" ] || return 1
  done
  [ -e "$output/members.h5" ] || [ -e "$output/statistics.h5" ] || return 1
  [ "$(myriad_job_files "$output")" != "$before" ]
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
