#!/usr/bin/python3
"""Peer of bench/train_step.cpp: the same training steps written as idiomatic PyTorch.

Models: torchvision's resnet50 and mobilenet_v2; for MobileViTv3 the project's plain PyTorch
implementation (tests/models/mobilevitv3_reference.py, which matches the official cvnets code).
The step is what a hand-written script does: model(x), cross_entropy, loss / accum, backward,
AdamW (PyTorch's default implementation), zero_grad(); E2AM cases add the L1 term
lambda * sum |W| over trainable >= 2-D weights and, frozen, requires_grad=False on the backbone
with its BatchNorm layers in eval mode. --amp: torch.autocast("cpu", torch.bfloat16) around
forward and loss. --channels-last: model and input in channels-last (off by default: scripts
rarely do it). Prints RESULT lines in bench_train_step's format (impl=python, or --label).

usage: train_step_peer.py [--batch 8] [--size 224] [--repeats 5] [--warmup 2] [--threads N]
                          [--amp] [--channels-last] [--cases plain,e2am-frozen,e2am-full] MODEL...
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "models"))
import mobilevitv3_reference  # noqa: E402

CASES = {  # name -> (frozen, accum, l1)
    "plain": (False, 1, 0.0),
    "e2am-frozen": (True, 2, 1e-5),
    "e2am-full": (False, 2, 1e-5),
}


def make_model(name):
    """(model, head module) under eden's model names."""
    if name == "resnet50":
        m = torchvision.models.resnet50(num_classes=1000)
        return m, m.fc
    if name == "mobilenetv2":
        m = torchvision.models.mobilenet_v2(num_classes=1000)
        return m, m.classifier
    if name.startswith("mobilevitv3"):
        m = mobilevitv3_reference.Net(name, 1000)
        return m, m.classifier
    sys.exit(f"train_step_peer.py: no peer for model '{name}'")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--amp", action="store_true")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--cases", default="plain,e2am-frozen,e2am-full")
    p.add_argument("--label", default="python", help="impl= of the RESULT lines")
    p.add_argument("models", nargs="*", default=["mobilevitv3_xxs", "mobilenetv2", "resnet50"])
    a = p.parse_args()
    threads = a.threads if a.threads > 0 else len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    fmt = "bf16 autocast" if a.amp else "fp32"
    layout = "channels-last" if a.channels_last else "contiguous"
    print(f"# python train_step_peer: torch {torch.__version__}, batch {a.batch}, size {a.size}, "
          f"threads {threads}, {a.warmup} warm-up + {a.repeats} repeats (median), {fmt}, {layout}")
    for name in a.models:
        for case in a.cases.split(","):
            frozen, accum, lam = CASES[case]
            torch.manual_seed(0)
            model, head = make_model(name)
            head_params = {id(q) for q in head.parameters()}
            model.train()
            if frozen:
                for q in model.parameters():
                    q.requires_grad_(id(q) in head_params)
                head_modules = set(head.modules())
                for mod in model.modules():
                    if isinstance(mod, torch.nn.BatchNorm2d) and mod not in head_modules:
                        mod.eval()
            x = torch.randn(a.batch, 3, a.size, a.size)
            y = torch.randint(0, 1000, (a.batch,))
            if a.channels_last:
                model = model.to(memory_format=torch.channels_last)
                x = x.contiguous(memory_format=torch.channels_last)
            decay = [q for q in model.parameters() if q.dim() >= 2]
            no_decay = [q for q in model.parameters() if q.dim() < 2]
            opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                                     {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
            l1_weights = [q for q in decay if q.requires_grad]
            times = []
            head = (f"RESULT impl={a.label} torch={torch.__version__.split('+')[0]} model={name} "
                    f"case={case} amp={int(a.amp)} channels_last={int(a.channels_last)}")
            try:
                for i in range(a.warmup + a.repeats):
                    t0 = time.perf_counter()
                    for _ in range(accum):
                        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.amp):
                            loss = F.cross_entropy(model(x), y)
                        if lam:
                            loss = loss.float() + lam * sum(w.abs().sum() for w in l1_weights)
                        (loss / accum).backward()
                    opt.step()
                    opt.zero_grad()
                    if i >= a.warmup:
                        times.append((time.perf_counter() - t0) * 1000 / accum)
            except RuntimeError as e:  # e.g. no bf16 backward kernel in this torch
                reason = str(e).splitlines()[0].replace(" ", "_")[:120]
                print(f"{head} ms=nan images_per_s=nan error={reason}", flush=True)
                continue
            med = statistics.median(times)
            print(f"{head} ms={med:.1f} images_per_s={1000 * a.batch / med:.2f}", flush=True)


if __name__ == "__main__":
    main()
