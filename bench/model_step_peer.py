#!/usr/bin/python3
"""Peer of bench/model_step.cpp: one training step (forward, backward, AdamW) of torchvision's
resnet50 and mobilenet_v2 in Debian's python3-torch (same LibTorch 1.13), timed the same way."""
import statistics
import sys
import time

import torch
import torchvision

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 8
size = int(sys.argv[2]) if len(sys.argv) > 2 else 224
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
threads = int(sys.argv[4]) if len(sys.argv) > 4 and int(sys.argv[4]) > 0 else len(
    __import__("os").sched_getaffinity(0))
torch.set_num_threads(threads)
print(f"batch {batch} size {size} threads {threads} repeats {repeats} (median, fp32, AdamW)")
for name in ["resnet50", "resnet18", "mobilenet_v2"]:
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(num_classes=1000)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 3, size, size)
    y = torch.randint(0, 1000, (batch,))
    times = []
    for i in range(2 + repeats):
        t0 = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1000)
    med = statistics.median(times)
    print(f"{name:<20} {med:12.1f} {1000 * batch / med:12.1f}", flush=True)
