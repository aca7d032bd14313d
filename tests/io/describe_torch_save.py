"""Loads a torch.save file as a user would, torch.load(path, weights_only=True), and prints
it as JSON: tensors become {"dtype", "shape", "sum"}; also the Python types met, so a test
can check that the top level is a plain dict (not a TorchScript module)."""
import json
import sys
import warnings

import torch

types = set()


def describe(v):
    types.add(type(v).__name__)
    if isinstance(v, torch.Tensor):
        return {"dtype": str(v.dtype), "shape": list(v.shape), "sum": float(v.double().sum())}
    if isinstance(v, dict):
        return {str(k): describe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [describe(x) for x in v]
    return v


with warnings.catch_warnings():
    warnings.simplefilter("error")  # a warning (e.g. about TorchScript) fails the test
    root = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
print(json.dumps({"torch": torch.__version__, "top": type(root).__name__, "value": describe(root),
                  "types": sorted(types)}))
