#!/usr/bin/python3
"""Tables of bench/feature_cache.sh's runs for docs/benchmarks.md: per frozen epoch (and the
full one) the energy and time with --frozen-cache auto and off (medians over rounds), each
epoch against the full epoch, and the whole run's saving.

usage: feature_cache_table.py WORK
"""
import csv
import glob
import os
import statistics
import sys


def log(run):
    with open(os.path.join(run, "log.csv")) as f:
        return list(csv.DictReader(f))


def main(work):
    for data in ("fashion", "jpeg"):
        runs = {m: sorted(glob.glob(os.path.join(work, f"{data}-{m}-r*")))
                for m in ("auto", "off")}
        runs = {m: [r for r in rs if os.path.isdir(r)] for m, rs in runs.items()}
        if not runs["auto"] or not runs["off"]:
            continue
        logs = {m: [log(r) for r in rs] for m, rs in runs.items()}
        n = min(len(x) for ls in logs.values() for x in ls)
        src = {row["energy_source"] for ls in logs.values() for x in ls for row in x}
        print(f"### {data}: {len(runs['auto'])} + {len(runs['off'])} runs, energy {', '.join(sorted(src))}\n")
        print("| epoch | phase | features (auto) | auto J | auto s | off J | off s "
              "| auto / full epoch (J) |")
        print("|---:|---|---|---:|---:|---:|---:|---:|")
        med = lambda m, e, k: statistics.median(float(x[e][k]) for x in logs[m])
        full_j = med("off", n - 1, "energy_j")
        for e in range(n):
            feats = "/".join(sorted({x[e]["train_features"] for x in logs["auto"]}))
            print(f"| {e + 1} | {logs['auto'][0][e]['phase']} | {feats} "
                  f"| {med('auto', e, 'energy_j'):.3g} | {med('auto', e, 'epoch_time_s'):.3g} "
                  f"| {med('off', e, 'energy_j'):.3g} | {med('off', e, 'epoch_time_s'):.3g} "
                  f"| {med('auto', e, 'energy_j') / full_j:.2g} |")
        tot = {m: statistics.median(float(x[-1]["energy_cum_j"]) for x in logs[m]) for m in logs}
        dur = {m: statistics.median(sum(float(r["epoch_time_s"]) for r in x) for x in logs[m])
               for m in logs}
        top1 = {m: [x[-1]["eval_top1"] for x in logs[m]] for m in logs}
        print(f"\nwhole run: auto {tot['auto']:.0f} J / {dur['auto']:.1f} s, off "
              f"{tot['off']:.0f} J / {dur['off']:.1f} s: saving {tot['off'] - tot['auto']:.0f} J "
              f"({100 * (1 - tot['auto'] / tot['off']):.1f}%), "
              f"{100 * (1 - dur['auto'] / dur['off']):.1f}% of the time; final top-1 auto "
              f"{top1['auto']}, off {top1['off']}\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/feature-cache")
