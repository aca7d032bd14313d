#!/usr/bin/python3
"""PyTorch peers for bench/train_throughput.sh: the same SmallCnn, data, batch size and thread
count as `eden train`, trained (b) the idiomatic way (torchvision FashionMNIST + transforms +
DataLoader) or (c) by a Python loop over preloaded tensors. Prints one JSON line per run."""
import argparse
import gzip
import json
import os
import shutil
import statistics
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCnn(nn.Module):
    """Mirror of src/eden/models/small_cnn.cpp (width 32, pool 4, dropout 0.2)."""

    def __init__(self, in_ch=1, classes=10, width=32, pool=4):
        super().__init__()

        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o),
                                 nn.ReLU())

        self.features = nn.Sequential(block(in_ch, width), nn.MaxPool2d(2),
                                      block(width, 2 * width), nn.MaxPool2d(2),
                                      block(2 * width, 4 * width), nn.AdaptiveAvgPool2d(pool),
                                      nn.Flatten())
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(4 * width * pool * pool, classes)

    def forward(self, x):
        return self.head(self.dropout(self.features(x)))


def torchvision_root(data_dir):
    """torchvision expects ROOT/FashionMNIST/raw/<uncompressed files>; build it from Debian's."""
    root = tempfile.mkdtemp(prefix="eden_bench_fmnist_")
    raw = os.path.join(root, "FashionMNIST", "raw")
    os.makedirs(raw)
    for name in os.listdir(data_dir):
        src = os.path.join(data_dir, name)
        if name.endswith(".gz"):
            with gzip.open(src, "rb") as fi, open(os.path.join(raw, name[:-3]), "wb") as fo:
                shutil.copyfileobj(fi, fo)
    return root


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["dataloader", "preloaded"], required=True)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--train-limit", type=int, default=20000)
    ap.add_argument("--epochs", type=int, default=4, help="first one is warm-up")
    ap.add_argument("--lr", type=float, default=2e-3)
    args = ap.parse_args()

    import torchvision
    from torchvision import transforms

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    root = torchvision_root(args.data)
    try:
        tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))])
        ds = torchvision.datasets.FashionMNIST(root, train=True, download=False, transform=tf)
        subset = torch.utils.data.Subset(ds, range(args.train_limit))
        model = SmallCnn()
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
        model.train()

        def step(x, y):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

        rates = []
        if args.mode == "dataloader":
            loader = torch.utils.data.DataLoader(subset, batch_size=args.batch_size, shuffle=True,
                                                 num_workers=args.workers)
            for _ in range(args.epochs):
                t0, n = time.perf_counter(), 0
                for x, y in loader:
                    step(x, y)
                    n += y.numel()
                rates.append(n / (time.perf_counter() - t0))
        else:
            images = ds.data[: args.train_limit].unsqueeze(1).contiguous()  # (N,1,28,28) uint8
            labels = ds.targets[: args.train_limit].contiguous()
            mean, inv_std = 0.2860 * 255, 1.0 / (0.3530 * 255)
            for _ in range(args.epochs):
                t0, n = time.perf_counter(), 0
                order = torch.randperm(images.shape[0])
                for i in range(0, images.shape[0], args.batch_size):
                    idx = order[i:i + args.batch_size]
                    x = images.index_select(0, idx).float().sub_(mean).mul_(inv_std)
                    step(x, labels.index_select(0, idx))
                    n += idx.numel()
                rates.append(n / (time.perf_counter() - t0))
        print(json.dumps({"mode": args.mode, "workers": args.workers, "threads": args.threads,
                          "images_per_s": rates,
                          "median_images_per_s": statistics.median(rates[1:])}))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
