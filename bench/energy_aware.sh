#!/usr/bin/env bash
# The energy-aware measurements of docs/energy-aware.md: the embedded experiment's candidate
# (MobileViTv3-XXS fine-tuned on Fashion-MNIST classes 5-9 from a backbone trained on classes
# 0-4) with fixed --unfreeze-epoch 0..3 and with auto, over seeds; then a budget run.
# Usage: bench/energy_aware.sh [EDEN=build/eden] [WORK=runs/energy-aware] [SEEDS="0 1 2"]
#        [EPOCHS=5] (SETTINGS="0 1 2 3 auto" chooses the --unfreeze-epoch values); then
#        bench/energy_aware_table.py WORK, and `eden overview WORK` for the figure.
set -euo pipefail
eden=${1:-build/eden} work=${2:-runs/energy-aware} seeds=${3:-"0 1 2"} epochs=${4:-5}
data=/usr/share/datasets/fashion-mnist
mkdir -p "$work"
common=(--data "$data" --batch-size 128 --model mobilevitv3_xxs)
# The upstream stage of `eden run`'s embedded experiment, once.
if [[ ! -f $work/upstream/metrics.json ]]; then
  EDEN_NO_PROGRESS=1 "$eden" train "${common[@]}" --classes 0,1,2,3,4 --epochs 2 --amp \
    --out "$work/upstream" >"$work/upstream.txt" 2>&1
fi
candidate=("${common[@]}" --classes 5,6,7,8,9 --epochs "$epochs" --unfreeze-lr-decay 0.1
  --accum 2 --amp --l1 1e-5 --pretrained "$work/upstream/model.safetensors"
  --pretrained-head=false)
settings=${SETTINGS:-"0 1 2 3 auto"}
for u in $settings; do  # the fixed settings first: they size --full-epoch-gain's default
  for seed in $seeds; do
    out=$work/u$u-s$seed
    [[ -f $out/metrics.json ]] && grep -q stop_reason "$out/metrics.json" && continue
    rm -rf "$out"
    EDEN_NO_PROGRESS=1 "$eden" train "${candidate[@]}" --unfreeze-epoch "$u" --seed "$seed" \
      --out "$out" >"$out.txt" 2>&1
    echo "$out: $(grep -h '^eval_top1\|^energy ' "$out.txt" | tr '\n' ' ')"
  done
done
