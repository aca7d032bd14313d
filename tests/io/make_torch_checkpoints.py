"""Writes torch.save checkpoints of every kind the C++ reader must handle, plus the expected
tensors as safetensors (tests/io/safetensors_io.py).

usage: make_torch_checkpoints.py OUT_DIR
"""
import collections
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


def main():
    out = sys.argv[1]
    torch.manual_seed(0)
    sd = collections.OrderedDict()
    sd["conv.weight"] = torch.randn(4, 3, 3, 3)
    sd["bn.running_mean"] = torch.randn(4, dtype=torch.float64)
    sd["bn.num_batches_tracked"] = torch.tensor(17)
    sd["half"] = torch.randn(5).half()
    sd["bf16"] = torch.randn(6).bfloat16()
    sd["i32"] = torch.arange(-4, 4, dtype=torch.int32)
    sd["i16"] = torch.arange(3, dtype=torch.int16)
    sd["i8"] = torch.tensor([-128, 0, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 200, 255], dtype=torch.uint8)
    sd["mask"] = torch.tensor([True, False, True])
    sd["empty"] = torch.zeros(0, 3)
    base = torch.arange(24, dtype=torch.float32)
    sd["view_offset"] = base[5:11]                # storage offset 5
    sd["view_strided"] = base.reshape(4, 6)[:, ::2]  # non-contiguous, shares base's storage
    sd["transposed"] = torch.randn(3, 5).t()
    sd["channels_last"] = torch.randn(2, 3, 4, 4).to(memory_format=torch.channels_last)
    sd["scalar"] = torch.tensor(2.5)
    sd._metadata = {"": {"version": 1}}  # as Module.state_dict() sets it
    torch.save(sd, os.path.join(out, "plain.pt"))
    torch.save(sd, os.path.join(out, "protocol4.pt"), pickle_protocol=4)
    torch.save({"state_dict": sd, "epoch": 3, "args": {"lr": 0.1, "name": "x"}},
               os.path.join(out, "nested.pt"))
    torch.save({"model_state_dict": sd, "optim_state_dict": {"state": {}, "param_groups": []},
                "best_acc": 71.5}, os.path.join(out, "cvnets_style.pt"))
    torch.save({"w": torch.nn.Parameter(torch.ones(2, 2))}, os.path.join(out, "parameter.pt"))
    torch.save(torch.nn.Linear(3, 2), os.path.join(out, "module.pt"))
    torch.save({"epoch": 3}, os.path.join(out, "no_tensors.pt"))
    torch.save(sd, os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)
    torch.jit.save(torch.jit.script(torch.nn.Linear(3, 2)), os.path.join(out, "script.pt"))
    torch.save({"q": torch.quantize_per_tensor(torch.randn(3), 0.1, 0, torch.quint8)},
               os.path.join(out, "quantized.pt"))
    safetensors_io.save(sd, os.path.join(out, "expected.safetensors"))


if __name__ == "__main__":
    main()
