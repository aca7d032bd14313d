#!/usr/bin/env bash
# Training throughput of eden against two PyTorch peers on the same model (SmallCnn), data
# (Fashion-MNIST, first $LIMIT images), batch size and thread count:
#   (a) eden train
#   (b) idiomatic PyTorch: torchvision FashionMNIST + transforms + DataLoader (workers 0 and 2)
#   (c) PyTorch: a Python loop over preloaded tensors
# Protocol: each run trains $EPOCHS epochs in one process; epoch 0 is warm-up, the median
# images/s of the others is the run's figure. The four trainers run in turn, $ROUNDS rounds
# (so drift on a shared VM hits them alike); the median over rounds is reported.
# Eval time is excluded everywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
THREADS=${THREADS:-$(nproc)}
BATCH=${BATCH:-128}
LIMIT=${LIMIT:-20000}
EPOCHS=${EPOCHS:-4}
ROUNDS=${ROUNDS:-3}
PY=/usr/bin/python3   # Debian's python3-torch (same LibTorch 1.13 as eden)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; threads=$THREADS batch=$BATCH images/epoch=$LIMIT epochs=$EPOCHS (1 warm-up) rounds=$ROUNDS"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo -dirty)"

eden_run() {
  rm -rf "$tmp/eden"
  EDEN_NO_PROGRESS=1 "$BUILD/eden" train --train-limit "$LIMIT" --eval-limit 500 --epochs "$EPOCHS" \
    --batch-size "$BATCH" --threads "$THREADS" --schedule constant --out "$tmp/eden" >/dev/null 2>&1
  col=$(head -1 "$tmp/eden/log.csv" | tr ',' '\n' | grep -n '^train_images_per_s$' | cut -d: -f1)
  tail -n +3 "$tmp/eden/log.csv" | cut -d, -f"$col" | median
}
peer() { "$PY" bench/pytorch_peer.py --batch-size "$BATCH" --threads "$THREADS" \
  --train-limit "$LIMIT" --epochs "$EPOCHS" "$@" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["median_images_per_s"])'; }
: >"$tmp/a"; : >"$tmp/b0"; : >"$tmp/b2"; : >"$tmp/c"
for round in $(seq "$ROUNDS"); do
  eden_run >>"$tmp/a"
  peer --mode dataloader --workers 0 >>"$tmp/b0"
  peer --mode dataloader --workers 2 >>"$tmp/b2"
  peer --mode preloaded >>"$tmp/c"
  echo "round $round: eden $(tail -1 "$tmp/a"), dataloader0 $(tail -1 "$tmp/b0"), dataloader2 $(tail -1 "$tmp/b2"), preloaded $(tail -1 "$tmp/c")"
done
eden=$(median <"$tmp/a")
dl0=$(median <"$tmp/b0")
dl2=$(median <"$tmp/b2")
pre=$(median <"$tmp/c")

best_dl=$(printf '%s\n%s\n' "$dl0" "$dl2" | sort -g | tail -1)
printf '%-44s %10s %8s\n' "trainer" "images/s" "eden/x"
printf '%-44s %10.0f %8s\n' "(a) eden train" "$eden" "1.00"
printf '%-44s %10.0f %8s\n' "(b) PyTorch DataLoader, 0 workers" "$dl0" "$(ratio "$eden" "$dl0")"
printf '%-44s %10.0f %8s\n' "(b) PyTorch DataLoader, 2 workers" "$dl2" "$(ratio "$eden" "$dl2")"
printf '%-44s %10.0f %8s\n' "(c) PyTorch loop over preloaded tensors" "$pre" "$(ratio "$eden" "$pre")"
printf 'ratio vs best (b): %s (target >= 1.25); vs (c): %s (target >= 1.0)\n' \
  "$(ratio "$eden" "$best_dl")" "$(ratio "$eden" "$pre")"
