#!/bin/bash
# eden's training step against its idiomatic-PyTorch peer on both LibTorch versions, alternating:
# each round runs, for fp32 and bf16 autocast, eden then Python (the order flips every round), on
# Debian 12's LibTorch 1.13 and, when the chroot of scripts/chroot-build cpu has been built (and
# we are root), on Debian 13's LibTorch 2.6 inside it. Raw RESULT lines go to a file; the table
# of medians and ratios (bench/train_step_table.py) goes to stdout.
#
# Usage: bench/train_step.sh [ROUNDS=2] [bench_train_step / train_step_peer.py options...]
#   e.g. bench/train_step.sh 2 --repeats 3 --cases plain,e2am-frozen,e2am-full
# Env: BUILD (default build), PEER_TUNED=1 also times a tuned peer (channels-last and
#      OPENBLAS_NUM_THREADS=1: what a user who knows both tricks gets),
#      VERSIONS="1.13 2.6" (default: both where available), OUT (raw results file).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-2}
[[ $# -gt 0 ]] && shift
build=${BUILD:-$src/build}
cache=${EDEN_CHROOT_CACHE:-/var/cache/eden}
out=${OUT:-$src/bench-results/train_step-$(date -u +%Y%m%dT%H%M%SZ).txt}
mkdir -p "$(dirname "$out")"
[[ -x $build/bench_train_step ]] || {
  echo "bench/train_step.sh: $build/bench_train_step is missing; hint: cmake -B build -DEDEN_BUILD_BENCHMARKS=ON && ninja -C build bench_train_step" >&2
  exit 2
}
versions=${VERSIONS:-}
if [[ -z $versions ]]; then
  versions=1.13
  if [[ $(id -u) -eq 0 && -x $cache/trixie-cpu/work/build/bench_train_step ]]; then
    versions+=" 2.6"
  else
    echo "# LibTorch 2.6 skipped: no $cache/trixie-cpu/work/build/bench_train_step (scripts/chroot-build cpu, as root)" | tee -a "$out"
  fi
fi

run() {  # VERSION IMPL ARGS...: one bench process, its RESULT lines appended to $out
  local version=$1 impl=$2
  shift 2
  local cmd
  if [[ $version == 1.13 ]]; then
    case $impl in
      eden) cmd=("$build/bench_train_step" "$@") ;;
      python) cmd=(/usr/bin/python3 "$src/bench/train_step_peer.py" "$@") ;;
      python-tuned) cmd=(env OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$src/bench/train_step_peer.py" --label python-tuned --channels-last "$@") ;;
    esac
    "${cmd[@]}" | tee -a "$out" | grep -v '^#' || true
  else
    local q
    case $impl in
      eden) q="build/bench_train_step" ;;
      python) q="python3 src/bench/train_step_peer.py" ;;
      python-tuned) q="OPENBLAS_NUM_THREADS=1 python3 src/bench/train_step_peer.py --label python-tuned --channels-last" ;;
    esac
    for a in "$@"; do q+=" $(printf %q "$a")"; done
    "$src/scripts/chroot-build" cpu --run "$q" | grep -E '^(RESULT|#)' | tee -a "$out" | grep -v '^#' || true
  fi
}

{
  echo "# bench/train_step.sh $rounds $* at $(git -C "$src" rev-parse --short HEAD)$(git -C "$src" diff --quiet || echo '+changes'), $(date -u +%FT%TZ)"
  echo "# host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores usable, $(uname -r)"
} | tee -a "$out"
for ((r = 1; r <= rounds; ++r)); do
  for version in $versions; do
    for amp in "" --amp; do
      impls=(eden python)
      ((r % 2 == 0)) && impls=(python eden)
      [[ ${PEER_TUNED:-0} == 1 ]] && impls+=(python-tuned)
      for impl in "${impls[@]}"; do
        echo "## round $r, LibTorch $version, $impl ${amp:-fp32}" >&2
        run "$version" "$impl" $amp "$@"
      done
    done
  done
done
echo "raw results: $out" >&2
/usr/bin/python3 "$src/bench/train_step_table.py" "$out"
