// Reads state dicts written by Python's torch.save (the zip format of PyTorch >= 1.6: a pickle in
// data.pkl whose tensors point at storages data/<key>). torch::pickle_load is not enough: it turns
// collections.OrderedDict, the type of every state_dict(), into None. So the zip goes through
// LibTorch's PyTorchStreamReader and the pickle through a small interpreter of the opcodes
// torch.save emits. It never runs code from the file: unknown classes become inert placeholders.
#pragma once

#include <string>

#include "eden/io/state_dict.h"
#include "eden/io/torch_save.h"

namespace eden::io {

/// The tensors of the state dict in `path`: the top-level dict when its values are tensors, or
/// else the first of "state_dict", "model_state_dict", "model", "module", "net" that holds one.
/// Throws eden::Error naming the path for legacy (pre-1.6) files, TorchScript archives, pickled
/// modules, quantized or sparse tensors and corrupt files.
TensorDict read_torch_checkpoint(const std::string& path);

/// The whole pickle of a torch.save file as a value tree (EDEN's own checkpoints, for one):
/// tuples read as lists; objects other than tensors and OrderedDicts are errors.
PickleValue read_torch_save(const std::string& path);

/// True when `path` is a TorchScript archive (torch.jit.save, torch::serialize::OutputArchive):
/// a zip with constants.pkl.
bool is_torchscript_archive(const std::string& path);

/// True when the file starts like a zip archive (torch.save >= 1.6) rather than safetensors.
bool looks_like_zip(const std::string& path);

}  // namespace eden::io
