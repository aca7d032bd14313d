#!/usr/bin/env bash
# The frozen-feature cache's measurements in docs/benchmarks.md: mobilevitv3_xxs with 3 frozen
# epochs then 1 full, --frozen-cache auto against off, on Fashion-MNIST (28 px) and on a 224 px
# JPEG folder (bench/make_jpeg_folder.py, no augmentation: auto caches, both runs train alike).
# The modes alternate within each round; each run is a fresh process.
# Usage: bench/feature_cache.sh [EDEN=build/eden] [WORK=runs/feature-cache] [ROUNDS=2]; then
#        bench/feature_cache_table.py WORK
set -euo pipefail
eden=${1:-build/eden} work=${2:-runs/feature-cache} rounds=${3:-2}
mkdir -p "$work"
folder=$work/jpeg224
if [[ ! -d $folder ]]; then
  /usr/bin/python3 bench/make_jpeg_folder.py "$folder" --classes 10 --per-class 100
fi
common=(--model mobilevitv3_xxs --epochs 4 --unfreeze-epoch 3 --device cpu)
fashion=(--data /usr/share/datasets/fashion-mnist --batch-size 128)
jpeg=(--data "$folder" --image-size 224 --augment none --batch-size 32)
for round in $(seq 1 "$rounds"); do
  for set in fashion jpeg; do
    for mode in auto off; do
      out=$work/$set-$mode-r$round
      [[ -f $out/metrics.json ]] && grep -q '"epochs_completed": 4' "$out/metrics.json" && continue
      rm -rf "$out"
      if [[ $set == fashion ]]; then args=("${fashion[@]}"); else args=("${jpeg[@]}"); fi
      EDEN_NO_PROGRESS=1 "$eden" train "${common[@]}" "${args[@]}" --frozen-cache "$mode" \
        --out "$out" >"$out.txt" 2>&1
      echo "$out: $(grep -h '^frozen cache\|^energy ' "$out.txt" | tr '\n' ' ')"
    done
  done
done
