// Files in torch.save's format (the zip of PyTorch >= 1.6) that Python reads with
// torch.load(path, weights_only=True) on PyTorch 1.13 and 2.x: a protocol-2 pickle of plain
// dicts, lists, strings, numbers and CPU tensors (torch._utils._rebuild_tensor_v2 over the
// storages archive/data/<n>), and no other global, so no code runs when it is loaded.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace eden::io {

/// A value of such a pickle: None, bool, int, float, str, list, dict with string keys (in
/// order) or tensor. Reading turns tuples into lists. Floats are written as 0-dim float64
/// tensors: PyTorch 1.13's weights_only loader has no opcode for a Python float.
struct PickleValue {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kList, kDict, kTensor };
  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0.0;
  std::string s;
  torch::Tensor tensor;
  std::vector<PickleValue> items;                         // kList
  std::vector<std::pair<std::string, PickleValue>> dict;  // kDict

  static PickleValue none() { return {}; }
  static PickleValue of(bool v);
  static PickleValue of(int64_t v);
  static PickleValue of(double v);
  static PickleValue of(std::string v);
  static PickleValue of(const char* v) { return of(std::string(v)); }
  static PickleValue of(torch::Tensor v);
  static PickleValue list(std::vector<PickleValue> items = {});
  static PickleValue dict_of(std::vector<std::pair<std::string, PickleValue>> items = {});

  /// dict: adds or replaces `key`.
  PickleValue& set(const std::string& key, PickleValue value);
  /// dict: the value of `key`, or nullptr.
  const PickleValue* find(const std::string& key) const;
  /// dict: the value of `key`; throws eden::Error naming `what` and the key when absent or of
  /// another kind.
  const PickleValue& at(const std::string& key, Kind kind, const std::string& what) const;
  /// dict: the number under `key` (a float, an int, or a 0-dim tensor as floats are written).
  double number(const std::string& key, const std::string& what) const;
};

const char* to_string(PickleValue::Kind kind);

/// torch.save's typed storage classes (in module torch) and their dtypes: "FloatStorage" ->
/// float, ..., "BoolStorage" -> bool. What the writer emits and the reader accepts.
const std::vector<std::pair<const char*, torch::ScalarType>>& storage_types();

/// Writes `root` to `path` in torch.save's zip format. Tensors are written from CPU copies,
/// contiguous; their dtype must have a storage type (float, double, half, bfloat16, integers,
/// bool). Not atomic: use replace_file_atomic.
void write_torch_save(const std::string& path, const PickleValue& root);

}  // namespace eden::io
