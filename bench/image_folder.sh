#!/usr/bin/env bash
# Image-folder pre-load: eden against torchvision ImageFolder + PIL + DataLoader doing the same
# Resize(S) + CenterCrop(S) into one uint8 tensor, with the same number of workers/threads.
# Protocol: a generated folder of $CLASSES x $PER_CLASS photo-like JPEGs (300-800 px, outside the
# repo); one warm-up round (fills the page cache for both, so both read from RAM), then $ROUNDS
# rounds in which eden and the peer run in turn, each in a fresh process; the median over rounds
# is reported, with the ratio. eden's figures also give the batch time after pre-load and the
# mobilevitv3_xxs training step it feeds.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
THREADS=${THREADS:-$(nproc)}
SIZE=${SIZE:-224}
CLASSES=${CLASSES:-30}
PER_CLASS=${PER_CLASS:-100}
ROUNDS=${ROUNDS:-3}
DATA=${DATA:-/tmp/eden-bench-jpegs-${CLASSES}x${PER_CLASS}}
PY=/usr/bin/python3

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { awk -v k="$1" '$1 == k {print $2}'; }

[[ -x "$BUILD/bench_image_folder_preload" ]] || {
  echo "build it first: cmake -B $BUILD -DEDEN_BUILD_BENCHMARKS=ON && cmake --build $BUILD" >&2
  exit 1
}
if [[ ! -d "$DATA" ]]; then
  echo "generating $DATA ..."
  "$PY" bench/make_jpeg_folder.py "$DATA" --classes "$CLASSES" --per-class "$PER_CLASS"
fi
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; threads/workers=$THREADS size=$SIZE"
echo "data: $DATA: $(find "$DATA" -type f | wc -l) JPEGs, $(du -sh "$DATA" | cut -f1)"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo -dirty)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
peer() { "$PY" bench/image_folder_peer.py "$DATA" --size "$SIZE" --workers "$1" --repeats 1 |
  "$PY" -c 'import json,sys; print(json.load(sys.stdin)["median_images_per_s"])'; }
eden() { "$BUILD/bench_image_folder_preload" "$DATA" "$SIZE" "$THREADS" 64 "$1"; }

eden 0 >/dev/null; peer "$THREADS" >/dev/null   # warm-up: page cache
: >"$tmp/eden"; : >"$tmp/enc"; : >"$tmp/peer"; : >"$tmp/peer0"
for round in $(seq "$ROUNDS"); do
  eden 0 >"$tmp/out"
  field preload_decoded_images_per_s <"$tmp/out" >>"$tmp/eden"
  field preload_encoded_images_per_s <"$tmp/out" >>"$tmp/enc"
  peer "$THREADS" >>"$tmp/peer"
  peer 0 >>"$tmp/peer0"
  echo "round $round: eden $(tail -1 "$tmp/eden") (encoded $(tail -1 "$tmp/enc")), torchvision $THREADS workers $(tail -1 "$tmp/peer"), 0 workers $(tail -1 "$tmp/peer0") images/s"
done
e=$(median <"$tmp/eden"); enc=$(median <"$tmp/enc"); p=$(median <"$tmp/peer"); p0=$(median <"$tmp/peer0")
printf '%-52s %10s %8s\n' "pre-load (decode + Resize + CenterCrop into RAM)" "images/s" "eden/x"
printf '%-52s %10.0f %8s\n' "eden, decoded mode, $THREADS threads" "$e" "1.00"
printf '%-52s %10.0f %8s\n' "eden, encoded mode (validating decode), $THREADS thr" "$enc" "$(ratio "$e" "$enc")"
printf '%-52s %10.0f %8s\n' "torchvision ImageFolder+PIL+DataLoader, $THREADS workers" "$p" "$(ratio "$e" "$p")"
printf '%-52s %10.0f %8s\n' "torchvision ImageFolder+PIL+DataLoader, 0 workers" "$p0" "$(ratio "$e" "$p0")"
echo "ratio vs the same worker count: $(ratio "$e" "$p") (target >= 2)"
echo "--- after pre-load (one run): batch time and the training step it feeds"
eden 1 | grep -v '^preload'
