# shellcheck shell=bash
# Sourced by the launch scripts: the flags mpirun needs on this machine, and only those.
#   mpirun_flags RANKS prints --allow-run-as-root when running as root; --oversubscribe when more ranks than cores.
# Usage: . launch/env.sh; mpirun $(mpirun_flags 4) -np 4 ...
mpirun_flags() {
  local ranks=$1 flags=()
  [ "$(id -u)" = 0 ] && flags+=(--allow-run-as-root)
  [ "$ranks" -gt "$(nproc)" ] && flags+=(--oversubscribe)
  echo "${flags[@]}"
}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
