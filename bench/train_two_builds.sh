#!/usr/bin/env bash
# `eden train` throughput of two eden builds side by side (e.g. an old commit's in a second
# worktree against this one): alternating rounds (the order flips every round), train images/s
# of the epoch from log.csv.
# Usage: bench/train_two_builds.sh OLD_EDEN NEW_EDEN [ROUNDS=3] [-- extra train flags]
# Default job: MobileViTv3-XXS, fp32, Fashion-MNIST, 1 epoch of 12,000 images, 1,000 eval images.
set -euo pipefail
old=$1 new=$2 rounds=${3:-3}
shift $(($# >= 3 ? 3 : 2))
[[ ${1:-} == -- ]] && shift
flags=("$@")
((${#flags[@]})) || flags=(--model mobilevitv3_xxs --epochs 1 --train-limit 12000 --eval-limit 1000)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((r = 1; r <= rounds; ++r)); do
  order=(old new)
  ((r % 2 == 0)) && order=(new old)  # alternate who runs first: the second run of a round can be slower
  for who in "${order[@]}"; do
    EDEN_NO_PROGRESS=1 "${!who}" train "${flags[@]}" --out "$out/$who-$r" >"$out/$who-$r.txt" 2>&1 ||
      { cat "$out/$who-$r.txt" >&2; exit 1; }
    ips=$(tail -1 "$out/$who-$r/log.csv" | cut -d, -f"$(head -1 "$out/$who-$r/log.csv" |
      tr ',' '\n' | grep -nx train_images_per_s | cut -d: -f1)")
    echo "round $r $who $ips"
  done
done | tee "$out/rounds.txt"
# Median per build (mawk has no asort: sort first, then pick the middle row of each group).
sort -k3,3 -k4,4n "$out/rounds.txt" | awk '{v[$3, ++n[$3]] = $4} END {
  for (w in n) m[w] = v[w, int((n[w] + 1) / 2)]
  printf "median images/s: old %.1f, new %.1f, new/old %.2fx\n", m["old"], m["new"], m["new"] / m["old"] }'
