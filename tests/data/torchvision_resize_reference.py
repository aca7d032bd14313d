"""Reference for EDEN's image-folder storage transform: torchvision's ImageFolder loader
(PIL open + convert("RGB")) then Resize(S) + CenterCrop(S), written as (3, S, S) uint8 bytes.

usage: torchvision_resize_reference.py SIZE IN_FILE OUT_FILE [IN_FILE OUT_FILE ...]
"""
import sys

import torchvision.transforms as T
from PIL import Image


def main() -> None:
    size = int(sys.argv[1])
    transform = T.Compose([T.Resize(size), T.CenterCrop(size), T.PILToTensor()])
    pairs = sys.argv[2:]
    for src, dst in zip(pairs[0::2], pairs[1::2]):
        with Image.open(src) as img:
            tensor = transform(img.convert("RGB"))  # (3, S, S) uint8
        with open(dst, "wb") as f:
            f.write(tensor.contiguous().numpy().tobytes())


if __name__ == "__main__":
    main()
