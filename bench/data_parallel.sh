#!/usr/bin/env bash
# `eden train` in one process against two ranks under `eden launch` on this machine, the same
# effective batch and threads split evenly (1 process x T threads against 2 ranks x T/2),
# gradient overlap on and off; alternating rounds. Prints per run: train images/s, epoch energy
# (J, with its source) and the share of rank 0's training time spent waiting on gradient
# allreduces (comm_wait_s / train_time_s), from log.csv.
# Usage: bench/data_parallel.sh [EDEN=build/eden] [ROUNDS=2] [-- extra train flags]
set -euo pipefail
eden=${1:-build/eden} rounds=${2:-2}
shift $(($# >= 2 ? 2 : $#))
[[ ${1:-} == -- ]] && shift
flags=("$@")
((${#flags[@]})) || flags=(--model mobilevitv3_xxs --epochs 1 --train-limit 12000 --eval-limit 1000)
threads=$(nproc)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
col() {  # LOG NAME: the last row's value of column NAME
  tail -1 "$1" | cut -d, -f"$(head -1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1)"
}
port=$((29600 + RANDOM % 1000))
for ((r = 1; r <= rounds; ++r)); do
  for mode in one two-overlap two-no-overlap; do
    dir=$out/$mode-$r
    case $mode in
      one) EDEN_NO_PROGRESS=1 "$eden" train "${flags[@]}" --batch-size 128 --threads "$threads" \
             --out "$dir" >"$dir.txt" 2>&1 ;;
      two-overlap | two-no-overlap)
        overlap=on
        [[ $mode == two-no-overlap ]] && overlap=off
        port=$((port + 1))
        EDEN_NO_PROGRESS=1 "$eden" launch --nproc 2 --master "127.0.0.1:$port" -- train \
          "${flags[@]}" --batch-size 64 --grad-overlap "$overlap" --out "$dir" >"$dir.txt" 2>&1 ;;
    esac || { cat "$dir.txt" >&2; exit 1; }
    log=$dir/log.csv
    printf 'round %d %-15s images/s %7.1f  energy %7.1f J (%s)  comm wait %5.1f%%  top1 %s\n' "$r" \
      "$mode" "$(col "$log" train_images_per_s)" "$(col "$log" energy_j)" \
      "$(col "$log" energy_source)" \
      "$(awk -v w="$(col "$log" comm_wait_s)" -v t="$(col "$log" train_time_s)" 'BEGIN {print 100 * w / t}')" \
      "$(col "$log" eval_top1)"
  done
done
