// A pickle interpreter for torch.save checkpoints: protocol 2 opcodes (and the few protocol 3-5
// ones newer Pythons emit), persistent storage ids, and torch's tensor rebuild functions.
#include "eden/io/torch_checkpoint.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "eden/util/check.h"

namespace eden::io {
namespace {

struct PyValue;
using PyRef = std::shared_ptr<PyValue>;

/// A Python object as far as state dicts need: scalars, containers, globals, tensors, storages,
/// and inert placeholders for anything else.
struct PyValue {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kBytes,
    kTuple,
    kList,
    kDict,
    kGlobal,
    kStorage,
    kTensor,
    kObject
  };
  Kind kind = Kind::kNone;
  int64_t i = 0;  // kInt, kBool
  double f = 0;
  std::string s;                              // string/bytes, global or object class name
  std::vector<PyRef> items;                   // tuple, list
  std::vector<std::pair<PyRef, PyRef>> dict;  // dict, in insertion order
  torch::Tensor tensor;                       // kTensor; kStorage: 1-D storage of its dtype
};

const char* kind_name(PyValue::Kind k) {
  static const char* const kNames[] = {"None",    "bool",   "int",   "float", "str",
                                       "bytes",   "tuple",  "list",  "dict",  "global",
                                       "storage", "tensor", "object"};
  return kNames[static_cast<int>(k)];
}

torch::ScalarType storage_dtype(const std::string& type, const std::string& origin) {
  if (type == "torch.UntypedStorage") return torch::kByte;
  for (const auto& [name, t] : storage_types()) {
    if (type == std::string("torch.") + name) return t;
  }
  EDEN_CHECK(false, "[torch.load] ", origin, ": unsupported storage type ", type,
             " (complex, quantized and other exotic tensors are not supported)");
  return torch::kFloat;
}

class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, std::string origin,
            std::function<torch::Tensor(const std::string& key, torch::ScalarType)> load_storage)
      : data_(data),
        size_(size),
        origin_(std::move(origin)),
        load_storage_(std::move(load_storage)) {}

  // Unlinks every object first: a hostile pickle can build reference cycles (a list appended to
  // itself) or million-deep nesting, which would leak or overflow the stack in ~shared_ptr.
  ~Unpickler() {
    for (auto& v : all_) {
      v->items.clear();
      v->dict.clear();
    }
  }
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  PyRef run() {
    while (true) {
      const uint8_t op = u8();
      switch (op) {
        case 0x80:  // PROTO
          u8();
          break;
        case 0x95:  // FRAME (a length only)
          bytes(8);
          break;
        case '.':  // STOP
          EDEN_CHECK(stack_.size() == 1 && marks_.empty(), fail(), "stack not empty at STOP");
          return stack_.back();
        case '(':  // MARK
          marks_.push_back(stack_.size());
          break;
        case 'N':  // NONE
          push(make(PyValue::Kind::kNone));
          break;
        case 0x88:    // NEWTRUE
        case 0x89: {  // NEWFALSE
          auto v = make(PyValue::Kind::kBool);
          v->i = op == 0x88;
          push(v);
          break;
        }
        case 'J':  // BININT
          push_int(static_cast<int32_t>(le(4)));
          break;
        case 'K':  // BININT1
          push_int(static_cast<int64_t>(le(1)));
          break;
        case 'M':  // BININT2
          push_int(static_cast<int64_t>(le(2)));
          break;
        case 0x8a:  // LONG1
          push_long(u8());
          break;
        case 0x8b:  // LONG4
          push_long(le(4));
          break;
        case 'G': {  // BINFLOAT, big-endian
          uint64_t bits = 0;
          const uint8_t* p = bytes(8);
          for (int k = 0; k < 8; ++k) bits = (bits << 8) | p[k];
          auto v = make(PyValue::Kind::kFloat);
          std::memcpy(&v->f, &bits, 8);
          push(v);
          break;
        }
        case 'X':  // BINUNICODE
        case 'T':  // BINSTRING
          push_string(le(4), PyValue::Kind::kString);
          break;
        case 0x8c:  // SHORT_BINUNICODE
        case 'U':   // SHORT_BINSTRING
          push_string(u8(), PyValue::Kind::kString);
          break;
        case 0x8d:  // BINUNICODE8
          push_string(le(8), PyValue::Kind::kString);
          break;
        case 'B':  // BINBYTES
          push_string(le(4), PyValue::Kind::kBytes);
          break;
        case 'C':  // SHORT_BINBYTES
          push_string(u8(), PyValue::Kind::kBytes);
          break;
        case 0x8e:  // BINBYTES8
          push_string(le(8), PyValue::Kind::kBytes);
          break;
        case ')':  // EMPTY_TUPLE
          push(make(PyValue::Kind::kTuple));
          break;
        case ']':  // EMPTY_LIST
          push(make(PyValue::Kind::kList));
          break;
        case '}':  // EMPTY_DICT
          push(make(PyValue::Kind::kDict));
          break;
        case 't':    // TUPLE
        case 'l': {  // LIST
          auto v = make(op == 't' ? PyValue::Kind::kTuple : PyValue::Kind::kList);
          v->items = pop_to_mark();
          push(v);
          break;
        }
        case 0x85:    // TUPLE1
        case 0x86:    // TUPLE2
        case 0x87: {  // TUPLE3
          const size_t n = op - 0x84;
          need_stack(n);
          auto v = make(PyValue::Kind::kTuple);
          v->items.assign(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
          stack_.resize(stack_.size() - n);
          push(v);
          break;
        }
        case 'd': {  // DICT
          auto v = make(PyValue::Kind::kDict);
          set_items(v, pop_to_mark());
          push(v);
          break;
        }
        case 'a': {  // APPEND
          auto item = pop();
          append(top(), {item});
          break;
        }
        case 'e': {  // APPENDS
          auto items = pop_to_mark();
          append(top(), items);
          break;
        }
        case 's': {  // SETITEM
          auto value = pop();
          auto key = pop();
          set_items(top(), {key, value});
          break;
        }
        case 'u': {  // SETITEMS
          auto items = pop_to_mark();
          set_items(top(), items);
          break;
        }
        case 'q':  // BINPUT
          memo_[static_cast<uint32_t>(le(1))] = top();
          break;
        case 'r':  // LONG_BINPUT
          memo_[static_cast<uint32_t>(le(4))] = top();
          break;
        case 0x94:  // MEMOIZE
          memo_[static_cast<uint32_t>(memo_.size())] = top();
          break;
        case 'h':  // BINGET
          push(memo_get(le(1)));
          break;
        case 'j':  // LONG_BINGET
          push(memo_get(le(4)));
          break;
        case 'c': {  // GLOBAL "module\nname\n"
          const std::string module = line();
          const std::string name = line();
          push_global(module + "." + name);
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          auto name = pop();
          auto module = pop();
          EDEN_CHECK(name->kind == PyValue::Kind::kString && module->kind == PyValue::Kind::kString,
                     fail(), "STACK_GLOBAL needs two strings");
          push_global(module->s + "." + name->s);
          break;
        }
        case 'Q':  // BINPERSID
          push(persistent_load(pop()));
          break;
        case 'R':     // REDUCE
        case 0x81: {  // NEWOBJ
          auto args = pop();
          auto callable = pop();
          push(call(callable, args));
          break;
        }
        case 'b':  // BUILD: object state (OrderedDict._metadata, ...) is not needed
        case '0':  // POP
          pop();
          break;
        case '1':  // POP_MARK
          pop_to_mark();
          break;
        case '2':  // DUP
          push(top());
          break;
        default:
          EDEN_CHECK(false, fail(), "unsupported pickle opcode 0x", std::hex, static_cast<int>(op),
                     " at byte ", std::dec, pos_ - 1,
                     " (not a torch.save file, or a format this reader does not know)");
      }
    }
  }

 private:
  std::string fail() const { return "[torch.load] " + origin_ + ": data.pkl: "; }

  const uint8_t* bytes(uint64_t n) {
    EDEN_CHECK(n <= size_ - pos_, fail(), "truncated (needs ", n, " bytes at offset ", pos_, " of ",
               size_, ")");
    const uint8_t* p = data_ + pos_;
    pos_ += static_cast<size_t>(n);
    return p;
  }
  uint8_t u8() { return *bytes(1); }
  uint64_t le(int n) {
    const uint8_t* p = bytes(static_cast<uint64_t>(n));
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | p[k];
    return v;
  }
  std::string line() {
    const size_t start = pos_;
    while (true) {
      if (u8() == '\n') break;
      EDEN_CHECK(pos_ - start < 4096, fail(), "GLOBAL name too long");
    }
    return std::string(reinterpret_cast<const char*>(data_ + start), pos_ - start - 1);
  }

  PyRef make(PyValue::Kind kind) {
    auto v = std::make_shared<PyValue>();
    v->kind = kind;
    all_.push_back(v);
    return v;
  }
  void push(PyRef v) { stack_.push_back(std::move(v)); }
  void need_stack(size_t n) {
    const size_t floor = marks_.empty() ? 0 : marks_.back();
    EDEN_CHECK(stack_.size() >= floor + n, fail(), "stack underflow at byte ", pos_ - 1);
  }
  PyRef pop() {
    need_stack(1);
    auto v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  PyRef& top() {
    need_stack(1);
    return stack_.back();
  }
  std::vector<PyRef> pop_to_mark() {
    EDEN_CHECK(!marks_.empty(), fail(), "MARK missing at byte ", pos_ - 1);
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PyRef> out(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return out;
  }
  PyRef memo_get(uint64_t index) {
    auto it = memo_.find(static_cast<uint32_t>(index));
    EDEN_CHECK(it != memo_.end(), fail(), "memo entry ", index, " was never stored");
    return it->second;
  }

  void push_int(int64_t v) {
    auto r = make(PyValue::Kind::kInt);
    r->i = v;
    push(r);
  }
  void push_long(uint64_t n) {
    EDEN_CHECK(n <= 8, fail(), "integer of ", n, " bytes does not fit 64 bits");
    const uint8_t* p = bytes(n);
    uint64_t v = 0;
    for (int k = static_cast<int>(n) - 1; k >= 0; --k) v = (v << 8) | p[k];
    if (n > 0 && n < 8 && (p[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
    push_int(static_cast<int64_t>(v));
  }
  void push_string(uint64_t n, PyValue::Kind kind) {
    const uint8_t* p = bytes(n);
    auto v = make(kind);
    v->s.assign(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    push(v);
  }
  void push_global(std::string name) {
    auto v = make(PyValue::Kind::kGlobal);
    v->s = std::move(name);
    push(v);
  }

  void append(const PyRef& list, const std::vector<PyRef>& items) {
    if (list->kind == PyValue::Kind::kList) {
      list->items.insert(list->items.end(), items.begin(), items.end());
    } else {
      EDEN_CHECK(list->kind == PyValue::Kind::kObject, fail(), "APPEND to a ",
                 kind_name(list->kind));
    }
  }
  void set_items(const PyRef& dict, const std::vector<PyRef>& kv) {
    EDEN_CHECK(kv.size() % 2 == 0, fail(), "SETITEMS with an odd number of items");
    if (dict->kind == PyValue::Kind::kObject) return;  // e.g. a custom mapping class
    EDEN_CHECK(dict->kind == PyValue::Kind::kDict, fail(), "SETITEM on a ", kind_name(dict->kind));
    for (size_t k = 0; k < kv.size(); k += 2) dict->dict.emplace_back(kv[k], kv[k + 1]);
  }

  PyRef persistent_load(const PyRef& pid) {
    // ('storage', storage_type, key, location, numel)
    EDEN_CHECK(pid->kind == PyValue::Kind::kTuple && pid->items.size() >= 3 &&
                   pid->items[0]->s == "storage" && pid->items[1]->kind == PyValue::Kind::kGlobal &&
                   pid->items[2]->kind == PyValue::Kind::kString,
               fail(), "unrecognised persistent id");
    const std::string& key = pid->items[2]->s;
    const auto dtype = storage_dtype(pid->items[1]->s, origin_);
    auto it = storages_.find(key);
    if (it == storages_.end()) {
      auto v = make(PyValue::Kind::kStorage);
      v->tensor = load_storage_(key, dtype);
      it = storages_.emplace(key, v).first;
    }
    return it->second;
  }

  static std::vector<int64_t> int_tuple(const PyRef& v, const std::string& what,
                                        const std::string& prefix) {
    EDEN_CHECK(v->kind == PyValue::Kind::kTuple || v->kind == PyValue::Kind::kList, prefix, what,
               " is a ", kind_name(v->kind), ", not a tuple");
    std::vector<int64_t> out;
    for (const auto& e : v->items) {
      EDEN_CHECK(e->kind == PyValue::Kind::kInt && e->i >= 0, prefix, what,
                 " must hold non-negative integers");
      out.push_back(e->i);
    }
    return out;
  }

  PyRef rebuild_tensor(const std::vector<PyRef>& a) {
    // (storage, storage_offset, size, stride, ...)
    EDEN_CHECK(
        a.size() >= 4 && a[0]->kind == PyValue::Kind::kStorage && a[1]->kind == PyValue::Kind::kInt,
        fail(), "malformed _rebuild_tensor arguments");
    const auto& storage = a[0]->tensor;
    const int64_t offset = a[1]->i;
    const auto size = int_tuple(a[2], "tensor size", fail());
    const auto stride = int_tuple(a[3], "tensor stride", fail());
    EDEN_CHECK(size.size() == stride.size() && offset >= 0, fail(),
               "tensor size, stride and offset disagree");
    // The last element addressed must lie inside the storage; guard every product.
    bool empty = false;
    for (int64_t s : size) empty = empty || s == 0;
    auto out = make(PyValue::Kind::kTensor);
    if (empty) {
      out->tensor = torch::empty(size, storage.options());
      return out;
    }
    const int64_t limit = storage.numel();
    EDEN_CHECK(offset < limit, fail(), "tensor offset ", offset, " is outside its storage of ",
               limit, " elements");
    int64_t last = offset;  // index of the last element addressed; stays below limit
    for (size_t k = 0; k < size.size(); ++k) {
      const int64_t room = limit - 1 - last;
      EDEN_CHECK(stride[k] == 0 || size[k] - 1 <= room / stride[k], fail(), "tensor of size ",
                 c10::IntArrayRef(size), " and stride ", c10::IntArrayRef(stride),
                 " does not fit its storage of ", limit, " elements");
      last += (size[k] - 1) * stride[k];
    }
    out->tensor = storage.as_strided(size, stride, offset).clone(at::MemoryFormat::Contiguous);
    return out;
  }

  PyRef call(const PyRef& callable, const PyRef& args, int depth = 0) {
    EDEN_CHECK(args->kind == PyValue::Kind::kTuple, fail(), "call arguments are a ",
               kind_name(args->kind));
    EDEN_CHECK(depth < 8, fail(), "tensor rebuild calls nest too deeply");
    const auto& a = args->items;
    if (callable->kind != PyValue::Kind::kGlobal) {
      auto v = make(PyValue::Kind::kObject);  // calling a placeholder: still inert
      v->s = callable->s;
      return v;
    }
    const std::string& fn = callable->s;
    if (fn == "torch._utils._rebuild_tensor_v2" || fn == "torch._utils._rebuild_tensor") {
      return rebuild_tensor(a);
    }
    if (fn == "torch._utils._rebuild_parameter" ||
        fn == "torch._utils._rebuild_parameter_with_state") {
      EDEN_CHECK(!a.empty() && a[0]->kind == PyValue::Kind::kTensor, fail(),
                 "malformed _rebuild_parameter arguments");
      return a[0];
    }
    if (fn == "torch._tensor._rebuild_from_type_v2" || fn == "torch._tensor._rebuild_from_type") {
      // (func, type, args, state): a tensor subclass; keep the plain tensor.
      EDEN_CHECK(a.size() >= 3, fail(), "malformed _rebuild_from_type arguments");
      return call(a[0], a[2], depth + 1);
    }
    if (fn == "collections.OrderedDict" || fn == "builtins.dict") {
      return make(PyValue::Kind::kDict);
    }
    if ((fn == "torch.Size" || fn == "torch.jit._pickle.restore_type_tag") && !a.empty()) {
      return a[0];  // a shape tuple; a dict tagged by torch::pickle_save with its C++ type
    }
    EDEN_CHECK(fn.rfind("torch._utils._rebuild", 0) != 0, fail(), "unsupported tensor encoding ",
               fn, " (quantized, sparse and device-specific tensors are not supported)");
    auto v = make(PyValue::Kind::kObject);
    v->s = fn;
    return v;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string origin_;
  std::function<torch::Tensor(const std::string&, torch::ScalarType)> load_storage_;
  std::vector<PyRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, PyRef> memo_;
  std::unordered_map<std::string, PyRef> storages_;
  std::vector<PyRef> all_;  // every object made, for the teardown in the destructor
};

bool holds_tensors(const PyRef& v) {
  if (v->kind != PyValue::Kind::kDict) return false;
  for (const auto& kv : v->dict) {
    if (kv.second->kind == PyValue::Kind::kTensor) return true;
  }
  return false;
}

TensorDict to_tensor_dict(const PyRef& dict, const std::string& origin) {
  TensorDict out;
  for (const auto& [k, v] : dict->dict) {
    if (v->kind != PyValue::Kind::kTensor) continue;  // e.g. "_metadata"-like extras
    EDEN_CHECK(k->kind == PyValue::Kind::kString, "[torch.load] ", origin, ": state dict key is a ",
               kind_name(k->kind), ", not a string");
    EDEN_CHECK(out.find(k->s) == nullptr, "[torch.load] ", origin, ": key '", k->s,
               "' appears twice");
    out.insert(k->s, v->tensor);
  }
  return out;
}

TensorDict find_state_dict(const PyRef& root, const std::string& origin, bool torchscript) {
  if (holds_tensors(root)) return to_tensor_dict(root, origin);
  std::string keys;
  if (root->kind == PyValue::Kind::kDict) {
    for (const char* name : {"state_dict", "model_state_dict", "model", "module", "net"}) {
      for (const auto& [k, v] : root->dict) {
        if (k->kind == PyValue::Kind::kString && k->s == name && holds_tensors(v)) {
          return to_tensor_dict(v, origin);
        }
      }
    }
    for (const auto& kv : root->dict) {
      if (kv.first->kind == PyValue::Kind::kString)
        keys += (keys.empty() ? "" : ", ") + kv.first->s;
    }
  }
  EDEN_CHECK(false, "[torch.load] ", origin, ": no state dict found (top level is a ",
             root->kind == PyValue::Kind::kObject ? root->s : kind_name(root->kind),
             keys.empty() ? "" : " with keys: " + keys, "); hint: ",
             torchscript ? "this is a TorchScript archive (torch.jit.save); save "
                           "model.state_dict() with torch.save instead"
                         : "save model.state_dict(), not the module object");
  return TensorDict();
}

}  // namespace

bool looks_like_zip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::memcmp(magic, "PK\x03\x04", 4) == 0;
}

namespace {

/// The PyValue tree as a PickleValue (tuples become lists); other objects are errors.
PickleValue to_pickle_value(const PyRef& v, const std::string& origin, int depth) {
  EDEN_CHECK(depth < 64, "[torch.load] ", origin, ": nesting too deep");
  switch (v->kind) {
    case PyValue::Kind::kNone:
      return PickleValue::none();
    case PyValue::Kind::kBool:
      return PickleValue::of(v->i != 0);
    case PyValue::Kind::kInt:
      return PickleValue::of(v->i);
    case PyValue::Kind::kFloat:
      return PickleValue::of(v->f);
    case PyValue::Kind::kString:
      return PickleValue::of(v->s);
    case PyValue::Kind::kTensor:
      return PickleValue::of(v->tensor);
    case PyValue::Kind::kTuple:
    case PyValue::Kind::kList: {
      auto out = PickleValue::list();
      for (const auto& item : v->items)
        out.items.push_back(to_pickle_value(item, origin, depth + 1));
      return out;
    }
    case PyValue::Kind::kDict: {
      auto out = PickleValue::dict_of();
      for (const auto& [k, item] : v->dict) {
        EDEN_CHECK(k->kind == PyValue::Kind::kString, "[torch.load] ", origin, ": a dict key is a ",
                   kind_name(k->kind), ", not a string");
        out.dict.emplace_back(k->s, to_pickle_value(item, origin, depth + 1));
      }
      return out;
    }
    default:
      EDEN_CHECK(false, "[torch.load] ", origin, ": holds a ", kind_name(v->kind), " (", v->s,
                 "), which EDEN does not read");
  }
  return PickleValue::none();
}

/// Runs `use(root, is_torchscript)` on the unpickled data.pkl of the torch.save file `path`.
template <typename Use>
auto with_unpickled(const std::string& path, Use use) -> decltype(use(PyRef(), false)) {
  {
    std::ifstream in(path, std::ios::binary);
    EDEN_CHECK(in, "[torch.load] cannot read ", path);
    unsigned char magic[2] = {};
    in.read(reinterpret_cast<char*>(magic), 2);
    // Legacy files start with a pickle (0x80 PROTO); zip archives with "PK".
    EDEN_CHECK(!(in.gcount() == 2 && magic[0] == 0x80), "[torch.load] ", path,
               " uses the legacy (pre-1.6) torch.save format; hint: re-save it with "
               "torch.save(state_dict, path) on PyTorch >= 1.6, or convert it to safetensors");
  }
  EDEN_CHECK(looks_like_zip(path), "[torch.load] ", path,
             " is not a torch.save zip archive (nor a legacy one)");
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    EDEN_CHECK(reader.hasRecord("data.pkl"), "[torch.load] ", path, " has no data.pkl");
    auto [pkl, pkl_size] = reader.getRecord("data.pkl");
    const auto load_storage = [&](const std::string& key, torch::ScalarType dtype) {
      const std::string record = "data/" + key;
      EDEN_CHECK(reader.hasRecord(record), "[torch.load] ", path, ": storage ", record,
                 " is missing");
      auto [ptr, n] = reader.getRecord(record);
      const size_t item = c10::elementSize(dtype);
      EDEN_CHECK(n % item == 0, "[torch.load] ", path, ": storage ", record, " has ", n,
                 " bytes, not a multiple of ", item);
      auto t = torch::empty({static_cast<int64_t>(n / item)}, torch::TensorOptions().dtype(dtype));
      if (n > 0) std::memcpy(t.data_ptr(), ptr.get(), n);
      if (dtype == torch::kBool) t = t.view(torch::kByte).ne(0);  // normalise invalid bools
      return t;
    };
    Unpickler unpickler(static_cast<const uint8_t*>(pkl.get()), pkl_size, path, load_storage);
    return use(unpickler.run(), reader.hasRecord("constants.pkl"));
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    EDEN_CHECK(false, "[torch.load] ", path, ": ", what.substr(0, what.find('\n')));
  }
  return decltype(use(PyRef(), false))();
}

}  // namespace

bool is_torchscript_archive(const std::string& path) {
  if (!looks_like_zip(path)) return false;
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    return reader.hasRecord("constants.pkl");
  } catch (const c10::Error&) {
    return false;  // not a readable zip: the reader that follows says why
  }
}

TensorDict read_torch_checkpoint(const std::string& path) {
  return with_unpickled(path, [&](const PyRef& root, bool torchscript) {
    return find_state_dict(root, path, torchscript);
  });
}

PickleValue read_torch_save(const std::string& path) {
  return with_unpickled(path, [&](const PyRef& root, bool torchscript) {
    EDEN_CHECK(!torchscript, "[torch.load] ", path,
               " is a TorchScript archive, not a torch.save file");
    return to_pickle_value(root, path, 0);
  });
}

}  // namespace eden::io
