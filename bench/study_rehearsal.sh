#!/usr/bin/env bash
# Card-scale rehearsal of a study (issue 17), not run in CI: a generated image folder shaped like
# the card's Custom-ImageNet300 (300 class folders of photo-like JPEGs, 300-800 px, made by
# bench/make_jpeg_folder.py), then `eden run` of baseline (ResNet-50) + two MobileViTv3-XXS
# candidates with 2 repeats, then two `eden train` start-ups on the same folder: a cold decode
# into a fresh decoded cache and a warm one from it. Prints wall time, peak RSS, energy per
# stage, the data-preparation cost, and both start-ups' load times.
# Usage: bench/study_rehearsal.sh [BUILD=build] [PER_CLASS=16] [WORK=/tmp/eden-rehearsal]
# The images are random per file (not per class): accuracy is chance level by design; the
# rehearsal measures the machinery (decode, sharing, cache, reports), not learning.
set -euo pipefail
build=${1:-build} per_class=${2:-16} work=${3:-/tmp/eden-rehearsal}
eden=$(realpath "$build/eden")
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
mkdir -p "$work"
folder=$work/imagenet300-$per_class
if [[ ! -d $folder ]]; then
  echo "generating $folder (300 classes x $per_class JPEGs)"
  $py "$here/make_jpeg_folder.py" "$folder.tmp" --classes 300 --per-class "$per_class" --seed 0
  mv "$folder.tmp" "$folder"
fi
echo "folder: $(find "$folder" -name '*.jpg' | wc -l) JPEGs, $(du -sh "$folder" | cut -f1)"

cat >"$work/study.yaml" <<EOF
name: rehearsal
repeats: 2
common: {data: $folder, image_size: 64, batch_size: 32, threads: $(nproc), val_split: 0.1,
         data_cache: off}
baseline: {model: resnet50, epochs: 1}
candidates:
  - {name: e2am, model: mobilevitv3_xxs, epochs: 2, unfreeze_epoch: 1, unfreeze_lr_decay: 0.1,
     accum: 2, amp: true, l1: 1e-5}
  - {name: plain, model: mobilevitv3_xxs, epochs: 2}
EOF
out=$work/study-$(date +%H%M%S)
echo "eden run -> $out"
/usr/bin/time -f "study: %e s wall, %M KiB peak RSS" env EDEN_NO_PROGRESS=1 \
  "$eden" run "$work/study.yaml" --out "$out" >"$out.log" 2>&1 || { tail -30 "$out.log"; exit 1; }
tail -1 "$out.log"
grep '^\[data\]' "$out.log"
grep -c '^data: image-folder' "$out.log" | sed 's/^/decodes in the study: /'
$py - "$out" <<'EOF'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
for m in sorted(out.glob("*/seed-*/metrics.json")):
    j = json.loads(m.read_text())
    print(f"{m.parent.relative_to(out)}: {j['energy_j']:.0f} J ({j.get('energy_source')}), "
          f"{j.get('duration_s', 0):.0f} s, top-1 {j['eval_top1']:.4f}")
for c in ("e2am", "plain"):
    g = json.loads((out / c / "green_delta.json").read_text())
    i = g["intervals"]
    print(f"{c}: EAG {g['eag']} {i['eag']}, dJ {i['energy_delta_j']}, {g['method']}")
EOF

cache=$work/cache-$(date +%H%M%S)
for round in cold warm; do
  /usr/bin/time -f "$round start-up run: %e s wall, %M KiB peak RSS" env EDEN_NO_PROGRESS=1 \
    "$eden" train --data "$folder" --image-size 64 --model small_cnn --epochs 1 --train-limit 64 \
    --eval-limit 64 --data-cache "$cache" --out "$work/train-$round-$$" >"$work/train-$round.log" 2>&1 ||
    { tail -20 "$work/train-$round.log"; exit 1; }
  grep '^data:' "$work/train-$round.log"
  $py -c "import json,sys; d=json.load(open(sys.argv[1]))['data_load']; print('$round run.json data_load:', {k: d.get(k) for k in ('load_s', 'cache', 'cache_path')})" \
    "$work/train-$round-$$/run.json"
done
du -sh "$cache"
