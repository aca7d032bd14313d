// The torch.save writer: a protocol-2 pickle emitted opcode by opcode, the storages and the
// pickle in one zip through LibTorch's PyTorchStreamWriter (aligned records, as Python writes).
#include "eden/io/torch_save.h"

#include <caffe2/serialize/inline_container.h>

#include <fstream>

#include "eden/util/check.h"

namespace eden::io {
namespace {

const char* storage_type(torch::ScalarType t) {
  for (const auto& [name, dtype] : storage_types()) {
    if (dtype == t) return name;
  }
  EDEN_CHECK(false, "[torch.save] tensors of dtype ", c10::toString(t),
             " have no storage type in torch.save's format");
  return "";
}

class Pickler {
 public:
  /// The pickle of `root`; `storages` receives the tensors (contiguous CPU), key = index.
  std::string run(const PickleValue& root, std::vector<torch::Tensor>& storages) {
    storages_ = &storages;
    out_ = "\x80\x02";  // PROTO 2, what torch.save writes
    value(root, 0);
    out_ += '.';  // STOP
    return out_;
  }

 private:
  void u32(uint32_t v) {
    for (int k = 0; k < 4; ++k) out_ += static_cast<char>((v >> (8 * k)) & 0xff);
  }
  void global(const char* module, const char* name) {
    out_ += 'c';
    out_ += module;
    out_ += '\n';
    out_ += name;
    out_ += '\n';
  }
  void str(const std::string& s) {
    out_ += 'X';  // BINUNICODE: 4-byte length, UTF-8
    u32(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      out_ += 'K';
      out_ += static_cast<char>(v);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out_ += 'J';
      u32(static_cast<uint32_t>(static_cast<int32_t>(v)));
    } else {
      out_ += '\x8a';  // LONG1: 8 bytes, little-endian two's complement
      out_ += '\x08';
      const auto u = static_cast<uint64_t>(v);
      for (int k = 0; k < 8; ++k) out_ += static_cast<char>((u >> (8 * k)) & 0xff);
    }
  }
  void int_tuple(c10::IntArrayRef values) {
    out_ += '(';
    for (int64_t v : values) integer(v);
    out_ += 't';
  }
  void tensor(const torch::Tensor& t) {
    const auto cpu = t.detach().to(torch::kCPU).contiguous();
    const auto key = std::to_string(storages_->size());
    storages_->push_back(cpu);
    global("torch._utils", "_rebuild_tensor_v2");
    out_ += '(';
    // The storage, by persistent id: ('storage', torch.<T>Storage, key, location, numel).
    out_ += '(';
    str("storage");
    global("torch", storage_type(cpu.scalar_type()));
    str(key);
    str("cpu");
    integer(cpu.numel());
    out_ += 't';
    out_ += 'Q';  // BINPERSID
    integer(0);   // storage offset
    int_tuple(cpu.sizes());
    int_tuple(cpu.strides());
    out_ += '\x89';  // requires_grad False
    global("collections", "OrderedDict");
    out_ += ')';  // backward hooks: OrderedDict()
    out_ += 'R';
    out_ += 't';
    out_ += 'R';
  }
  void value(const PickleValue& v, int depth) {
    EDEN_ASSERT(depth < 64, "pickle nesting too deep");
    switch (v.kind) {
      case PickleValue::Kind::kNone:
        out_ += 'N';
        break;
      case PickleValue::Kind::kBool:
        out_ += v.b ? '\x88' : '\x89';
        break;
      case PickleValue::Kind::kInt:
        integer(v.i);
        break;
      case PickleValue::Kind::kFloat:
        // PyTorch 1.13's weights_only unpickler has no BINFLOAT: a 0-dim float64 tensor instead.
        tensor(torch::tensor(v.f, torch::kDouble));
        break;
      case PickleValue::Kind::kString:
        str(v.s);
        break;
      case PickleValue::Kind::kTensor:
        tensor(v.tensor);
        break;
      case PickleValue::Kind::kList:
        out_ += ']';
        if (!v.items.empty()) {
          out_ += '(';
          for (const auto& item : v.items) value(item, depth + 1);
          out_ += 'e';  // APPENDS
        }
        break;
      case PickleValue::Kind::kDict:
        out_ += '}';
        if (!v.dict.empty()) {
          out_ += '(';
          for (const auto& [k, item] : v.dict) {
            str(k);
            value(item, depth + 1);
          }
          out_ += 'u';  // SETITEMS
        }
        break;
    }
  }

  std::string out_;
  std::vector<torch::Tensor>* storages_ = nullptr;
};

}  // namespace

PickleValue PickleValue::of(bool v) {
  PickleValue p;
  p.kind = Kind::kBool;
  p.b = v;
  return p;
}
PickleValue PickleValue::of(int64_t v) {
  PickleValue p;
  p.kind = Kind::kInt;
  p.i = v;
  return p;
}
PickleValue PickleValue::of(double v) {
  PickleValue p;
  p.kind = Kind::kFloat;
  p.f = v;
  return p;
}
PickleValue PickleValue::of(std::string v) {
  PickleValue p;
  p.kind = Kind::kString;
  p.s = std::move(v);
  return p;
}
PickleValue PickleValue::of(torch::Tensor v) {
  PickleValue p;
  p.kind = Kind::kTensor;
  p.tensor = std::move(v);
  return p;
}
PickleValue PickleValue::list(std::vector<PickleValue> items) {
  PickleValue p;
  p.kind = Kind::kList;
  p.items = std::move(items);
  return p;
}
PickleValue PickleValue::dict_of(std::vector<std::pair<std::string, PickleValue>> items) {
  PickleValue p;
  p.kind = Kind::kDict;
  p.dict = std::move(items);
  return p;
}

PickleValue& PickleValue::set(const std::string& key, PickleValue value) {
  EDEN_ASSERT(kind == Kind::kDict, "set() on a ", to_string(kind));
  for (auto& [k, v] : dict) {
    if (k == key) return v = std::move(value);
  }
  dict.emplace_back(key, std::move(value));
  return dict.back().second;
}

const PickleValue* PickleValue::find(const std::string& key) const {
  if (kind != Kind::kDict) return nullptr;
  for (const auto& [k, v] : dict) {
    if (k == key) return &v;
  }
  return nullptr;
}

const PickleValue& PickleValue::at(const std::string& key, Kind k, const std::string& what) const {
  const PickleValue* v = find(key);
  EDEN_CHECK(v != nullptr, what, ": no '", key, "'");
  EDEN_CHECK(v->kind == k, what, ": '", key, "' is a ", to_string(v->kind), ", expected a ",
             to_string(k));
  return *v;
}

double PickleValue::number(const std::string& key, const std::string& what) const {
  const PickleValue* v = find(key);
  EDEN_CHECK(v != nullptr, what, ": no '", key, "'");
  if (v->kind == Kind::kFloat) return v->f;
  if (v->kind == Kind::kInt) return static_cast<double>(v->i);
  EDEN_CHECK(v->kind == Kind::kTensor && v->tensor.dim() == 0, what, ": '", key, "' is a ",
             to_string(v->kind), ", expected a number");
  return v->tensor.item<double>();
}

const std::vector<std::pair<const char*, torch::ScalarType>>& storage_types() {
  static const std::vector<std::pair<const char*, torch::ScalarType>> kTypes = {
      {"FloatStorage", torch::kFloat}, {"DoubleStorage", torch::kDouble},
      {"HalfStorage", torch::kHalf},   {"BFloat16Storage", torch::kBFloat16},
      {"LongStorage", torch::kLong},   {"IntStorage", torch::kInt},
      {"ShortStorage", torch::kShort}, {"CharStorage", torch::kChar},
      {"ByteStorage", torch::kByte},   {"BoolStorage", torch::kBool},
  };
  return kTypes;
}

const char* to_string(PickleValue::Kind kind) {
  static const char* const kNames[] = {"None", "bool", "int",  "float",
                                       "str",  "list", "dict", "tensor"};
  return kNames[static_cast<int>(kind)];
}

void write_torch_save(const std::string& path, const PickleValue& root) {
  std::vector<torch::Tensor> storages;
  const std::string pickle = Pickler().run(root, storages);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  EDEN_CHECK(out, "[torch.save] cannot write ", path);
  // The function-based writer names the archive folder "archive", as Python's torch.save does
  // (the path-based one would name it after the file, e.g. "checkpoint.pt.tmp").
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t n) -> size_t {
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
    return out ? n : 0;
  });
  writer.writeRecord("data.pkl", pickle.data(), pickle.size());
  writer.writeRecord("byteorder", "little", 6);
  for (size_t k = 0; k < storages.size(); ++k) {
    const auto& t = storages[k];
    writer.writeRecord("data/" + std::to_string(k), t.data_ptr(),
                       static_cast<size_t>(t.numel()) * t.element_size());
  }
  writer.writeEndOfFile();
  out.flush();
  EDEN_CHECK(out, "[torch.save] writing ", path, " failed (disk full?)");
}

}  // namespace eden::io
