#!/usr/bin/env python3
"""Tables for docs/energy-aware.md from bench/energy_aware.sh's runs.

Usage: /usr/bin/python3 bench/energy_aware_table.py WORK [FIGURE.svg]
Prints: per setting of --unfreeze-epoch the seed mean (min-max) of top-1 and energy; how far
each auto run lies from the Pareto front of the fixed settings (same seed); the share of the
remaining error the first full epoch removed (what --full-epoch-gain stands for); each run's
forecast error after epoch 1. With FIGURE.svg also the energy/accuracy figure (every run, the
Pareto front of the fixed settings' seed means), as plain SVG (no plotting library needed).
"""
import csv
import json
import pathlib
import statistics
import sys


def load(run):
    m = json.loads((run / "metrics.json").read_text())
    with open(run / "log.csv", newline="") as f:
        log = list(csv.DictReader(f))
    return m, log


def front_distance(point, fixed):
    """(accuracy over the best fixed run using no more energy, extra J over the cheapest fixed
    run at least as accurate); None where no fixed run qualifies."""
    acc, j = point
    cheaper = [a for a, e in fixed if e <= j]
    better = [e for a, e in fixed if a >= acc]
    return (acc - max(cheaper) if cheaper else None, j - min(better) if better else None)


def main():
    work = pathlib.Path(sys.argv[1])
    runs = {}
    for d in sorted(work.glob("u*-s*")):
        if (d / "metrics.json").exists():
            setting, seed = d.name[1:].rsplit("-s", 1)
            runs[(setting, int(seed))] = load(d)
    settings = [s for s in ["0", "1", "2", "3", "auto"] if any(k[0] == s for k in runs)]
    seeds = sorted({k[1] for k in runs})

    print(f"| unfreeze_epoch | frozen epochs | top-1 | energy (kJ) | time (s) | runs |")
    print("|---|---|---|---|---|---|")
    for s in settings:
        rs = [runs[(s, seed)] for seed in seeds if (s, seed) in runs]
        acc = [m["eval_top1"] for m, _ in rs]
        kj = [m["energy_j"] / 1e3 for m, _ in rs]
        sec = [m["energy_duration_s"] for m, _ in rs]
        frozen = [sum(r["phase"] == "frozen" for r in log) for _, log in rs]
        print(f"| {s} | {'/'.join(map(str, frozen))} | {statistics.mean(acc):.4f} "
              f"({min(acc):.4f}-{max(acc):.4f}) | {statistics.mean(kj):.2f} "
              f"({min(kj):.2f}-{max(kj):.2f}) | {statistics.mean(sec):.0f} | {len(rs)} |")

    print("\nauto against the Pareto front of the fixed settings (same seed):")
    for seed in seeds:
        if ("auto", seed) not in runs:
            continue
        fixed = [(runs[(s, seed)][0]["eval_top1"], runs[(s, seed)][0]["energy_j"])
                 for s in settings if s != "auto" and (s, seed) in runs]
        m, log = runs[("auto", seed)]
        d_acc, d_j = front_distance((m["eval_top1"], m["energy_j"]), fixed)
        dominated = [(a, e) for a, e in fixed if a > m["eval_top1"] and e < m["energy_j"]]
        unfreeze = m.get("unfreeze", {}).get("epoch")
        print(f"seed {seed}: auto unfroze at epoch {unfreeze} (0-based), top-1 "
              f"{m['eval_top1']:.4f}, {m['energy_j'] / 1e3:.2f} kJ; "
              f"vs best fixed run using <= its energy: "
              f"{'n/a' if d_acc is None else f'{d_acc:+.4f}'} top-1; extra energy over the "
              f"cheapest fixed run at least as accurate: "
              f"{'n/a (none as accurate)' if d_j is None else f'{d_j / 1e3:+.2f} kJ'}; "
              f"{'dominated by ' + str(len(dominated)) + ' fixed run(s)' if dominated else 'on the front'}")

    print("\nshare of the remaining error removed by the first full epoch (fixed settings):")
    shares = []
    for (s, seed), (m, log) in sorted(runs.items()):
        if s in ("0", "auto"):
            continue
        u = int(s)
        if u >= len(log):
            continue
        before, after = float(log[u - 1]["eval_top1"]), float(log[u]["eval_top1"])
        share = (after - before) / (1 - before)
        shares.append(share)
        print(f"  unfreeze {u} seed {seed}: {before:.4f} -> {after:.4f}: {share:.3f}")
    if shares:
        print(f"  median {statistics.median(shares):.3f}, min {min(shares):.3f}, "
              f"max {max(shares):.3f} over {len(shares)} runs")

    print("\nforecast after epoch 1 against the measured total:")
    errs = []
    for (s, seed), (m, _) in sorted(runs.items()):
        f = m.get("forecast_after_epoch_1", {})
        if "error_j" in f:
            errs.append(abs(f["error_j"]))
            print(f"  u{s} seed {seed}: {f['predicted_j'] / 1e3:.2f} kJ forecast, "
                  f"{f['actual_j'] / 1e3:.2f} kJ measured: {100 * f['error_j']:+.1f}% "
                  f"(time {100 * f['error_s']:+.1f}%)")
    if errs:
        print(f"  |error| median {100 * statistics.median(errs):.1f}%, max {100 * max(errs):.1f}%")
    probe = [m["energy_probe_j"] / m["energy_j"] for (s, _), (m, _) in runs.items()
             if "energy_probe_j" in m]
    if probe:
        print(f"\nprobe energy: {100 * min(probe):.1f}-{100 * max(probe):.1f}% of the run's")
    if len(sys.argv) > 2:
        figure(runs, settings, seeds, sys.argv[2])


COLOURS = {"0": "#1f77b4", "1": "#2ca02c", "2": "#9467bd", "3": "#8c564b", "auto": "#d62728"}


def figure(runs, settings, seeds, path):
    """Energy (kJ, linear) against top-1 for every run; the fixed settings' seed means joined
    as their Pareto front; auto runs as diamonds."""
    pts = [(s, m["energy_j"] / 1e3, m["eval_top1"]) for (s, _), (m, _) in runs.items()]
    x0 = min(p[1] for p in pts) * 0.9
    x1 = max(p[1] for p in pts) * 1.05
    y0 = min(p[2] for p in pts) - 0.01
    y1 = max(p[2] for p in pts) + 0.01
    W, H, L, R, T, B = 720, 460, 70, 170, 40, 55

    def X(v):
        return L + (v - x0) / (x1 - x0) * (W - L - R)

    def Y(v):
        return H - B - (v - y0) / (y1 - y0) * (H - T - B)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2 - R / 2}" y="22" text-anchor="middle" font-size="14">'
           f"MobileViTv3-XXS on Fashion-MNIST 5-9: --unfreeze-epoch 0-3 and auto, "
           f"{len(seeds)} seeds</text>",
           f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" '
           f'stroke="black"/>']
    for i in range(6):
        xv = x0 + (x1 - x0) * i / 5
        yv = y0 + (y1 - y0) * i / 5
        out.append(f'<text x="{X(xv):.1f}" y="{H - B + 16}" text-anchor="middle">{xv:.2f}</text>')
        out.append(f'<text x="{L - 6}" y="{Y(yv) + 4:.1f}" text-anchor="end">{yv:.3f}</text>')
        out.append(f'<line x1="{L}" x2="{W - R}" y1="{Y(yv):.1f}" y2="{Y(yv):.1f}" '
                   f'stroke="#ddd"/>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 15}" text-anchor="middle">'
               f"training energy per run (kJ, estimated: CPU TDP model)</text>")
    out.append(f'<text transform="translate(18,{(T + H - B) / 2}) rotate(-90)" '
               f'text-anchor="middle">eval top-1</text>')
    means = []
    for s in settings:
        if s == "auto":
            continue
        rs = [runs[(s, seed)][0] for seed in seeds if (s, seed) in runs]
        means.append((statistics.mean(m["energy_j"] for m in rs) / 1e3,
                      statistics.mean(m["eval_top1"] for m in rs)))
    front = sorted(p for p in means if not any(q[0] <= p[0] and q[1] >= p[1] and q != p
                                               for q in means))
    out.append('<polyline fill="none" stroke="#888" stroke-dasharray="4 3" points="' +
               " ".join(f"{X(e):.1f},{Y(a):.1f}" for e, a in front) + '"/>')
    for s, e, a in pts:
        c = COLOURS.get(s, "black")
        if s == "auto":
            out.append(f'<path d="M{X(e):.1f},{Y(a) - 7:.1f} l7,7 l-7,7 l-7,-7 z" fill="none" '
                       f'stroke="{c}" stroke-width="2"/>')
        else:
            out.append(f'<circle cx="{X(e):.1f}" cy="{Y(a):.1f}" r="4.5" fill="{c}" '
                       f'fill-opacity="0.8"/>')
    ly = T + 10
    for s in settings:
        c = COLOURS.get(s, "black")
        label = "auto" if s == "auto" else f"unfreeze_epoch {s}"
        shape = (f'<path d="M{W - R + 20},{ly - 7} l7,7 l-7,7 l-7,-7 z" fill="none" '
                 f'stroke="{c}" stroke-width="2"/>' if s == "auto" else
                 f'<circle cx="{W - R + 20}" cy="{ly}" r="4.5" fill="{c}"/>')
        out.append(shape + f'<text x="{W - R + 34}" y="{ly + 4}">{label}</text>')
        ly += 22
    out.append(f'<line x1="{W - R + 12}" x2="{W - R + 28}" y1="{ly}" y2="{ly}" stroke="#888" '
               f'stroke-dasharray="4 3"/><text x="{W - R + 34}" y="{ly + 4}">front of the '
               f"fixed</text><text x=\"{W - R + 34}\" y=\"{ly + 18}\">settings' means</text>")
    out.append("</svg>")
    pathlib.Path(path).write_text("\n".join(out) + "\n")
    print(f"\nfigure: {path}")


if __name__ == "__main__":
    main()
