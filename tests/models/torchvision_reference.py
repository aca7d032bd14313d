"""Reference logits from torchvision for the parity test.

usage: torchvision_reference.py MODEL OUT_DIR
Builds torchvision's MODEL with seed 0, randomises the BatchNorm affine parameters and running
statistics (so eval-mode BN is not an identity), and writes to OUT_DIR:
  weights.pt           the state_dict via torch.save (what users download)
  weights.safetensors  the same tensors, written by tests/io/safetensors_io.py
  io.safetensors       "input" (2, 3, 64, 64) and "logits" (2, 1000) in float32, eval mode
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "io"))
import safetensors_io  # noqa: E402


def main():
    name, out = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        logits = model(x)
    sd = model.state_dict()
    torch.save(sd, os.path.join(out, "weights.pt"))
    safetensors_io.save(sd, os.path.join(out, "weights.safetensors"))
    safetensors_io.save({"input": x, "logits": logits}, os.path.join(out, "io.safetensors"))


if __name__ == "__main__":
    main()
