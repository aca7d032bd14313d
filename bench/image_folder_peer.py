"""The peer of eden's image-folder pre-load: torchvision's ImageFolder (PIL decode) with the
same storage transform (Resize(S) + CenterCrop(S)) through a DataLoader with W workers,
reading every image once into one uint8 tensor. Prints JSON with images/s per repeat.

usage: image_folder_peer.py DIR [--size 224] [--workers 2] [--repeats 3] [--batch-size 64]
"""
import argparse
import json
import time

import torch
import torchvision.transforms as T
from torchvision.datasets import ImageFolder


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    a = p.parse_args()
    torch.set_num_threads(1)
    ds = ImageFolder(a.dir, transform=T.Compose([T.Resize(a.size), T.CenterCrop(a.size), T.PILToTensor()]))
    rates = []
    for _ in range(a.repeats):
        loader = torch.utils.data.DataLoader(ds, batch_size=a.batch_size, num_workers=a.workers)
        out = torch.empty((len(ds), 3, a.size, a.size), dtype=torch.uint8)
        start = time.perf_counter()
        n = 0
        for x, _ in loader:
            out[n : n + x.shape[0]] = x
            n += x.shape[0]
        rates.append(n / (time.perf_counter() - start))
    rates_sorted = sorted(rates)
    print(json.dumps({"images": len(ds), "images_per_s": rates, "median_images_per_s": rates_sorted[len(rates) // 2]}))


if __name__ == "__main__":
    main()
