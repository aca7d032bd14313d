// Reads state dicts written by Python's torch.save (the zip format of PyTorch >= 1.6: a pickle in
// data.pkl whose tensors point at storages data/<key>). torch::pickle_load is not enough: it turns
// collections.OrderedDict, the type of every state_dict(), into None. So the zip goes through
// LibTorch's PyTorchStreamReader and the pickle through a small interpreter of the opcodes
// torch.save emits. It never runs code from the file: unknown classes become inert placeholders.
#pragma once

#include <string>

#include "eden/io/state_dict.h"

namespace eden::io {

/// The tensors of the state dict in `path`: the top-level dict when its values are tensors, or
/// else the first of "state_dict", "model_state_dict", "model", "module", "net" that holds one.
/// Throws eden::Error naming the path for legacy (pre-1.6) files, TorchScript archives, pickled
/// modules, quantized or sparse tensors and corrupt files.
TensorDict read_torch_checkpoint(const std::string& path);

/// True when the file starts like a zip archive (torch.save >= 1.6) rather than safetensors.
bool looks_like_zip(const std::string& path);

}  // namespace eden::io
