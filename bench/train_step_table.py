#!/usr/bin/python3
"""Table of bench/train_step.sh's RESULT lines: per LibTorch version, model, case and precision,
the median over rounds of eden's and the peers' ms per micro-batch, and the speed-up
peer ms / eden ms (> 1: eden is faster). The tuned peer (PEER_TUNED=1) runs channels-last with
OPENBLAS_NUM_THREADS=1. Needs no torch.

usage: train_step_table.py RESULTS.txt
"""
import collections
import math
import re
import statistics
import sys


def version(text):
    m = re.match(r"(\d+)\.(\d+)", text)
    return f"{m.group(1)}.{m.group(2)}" if m else text


def main():
    times = collections.defaultdict(list)  # (version, model, case, amp, impl) -> [ms]
    errors = {}
    order = []
    for line in open(sys.argv[1], encoding="utf-8"):
        if not line.startswith("RESULT "):
            continue
        f = dict(kv.split("=", 1) for kv in line.split()[1:])
        impl = f["impl"]
        row = (version(f["torch"]), f["model"], f["case"], "bf16" if f["amp"] == "1" else "fp32")
        if row not in order:
            order.append(row)
        ms = float(f["ms"])
        if math.isnan(ms):
            errors[row + (impl,)] = f.get("error", "failed")
        else:
            times[row + (impl,)].append(ms)
    has_cl = any(k[4] == "python-tuned" for k in times)
    head = "| LibTorch | model | case | precision | eden ms | PyTorch ms | speed-up |"
    rule = "|---|---|---|---|---|---|---|"
    if has_cl:
        head += " tuned PyTorch ms | speed-up |"
        rule += "---|---|"
    print(head)
    print(rule)
    for row in order:
        eden = times.get(row + ("eden",))
        cells = [row[0], row[1], row[2], row[3]]
        e = statistics.median(eden) if eden else None
        cells.append(f"{e:.1f} (n={len(eden)})" if e else errors.get(row + ("eden",), "-"))
        for impl in ["python"] + (["python-tuned"] if has_cl else []):
            p = times.get(row + (impl,))
            if p:
                m = statistics.median(p)
                cells += [f"{m:.1f} (n={len(p)})", f"{m / e:.2f}x" if e else "-"]
            else:
                cells += ["cannot run: " + errors.get(row + (impl,), "no result"), "-"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
