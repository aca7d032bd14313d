// safetensors reader (bounds-checked) and writer.
#include "eden/io/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>
#include <vector>

#include <torch/version.h>

#include "eden/util/check.h"
#include "eden/util/fs.h"

namespace eden::io {
namespace {

// The reference implementation refuses headers above 100 MB; so do we (a hostile length field
// must not make us allocate gigabytes).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  size_t bytes;
};

constexpr DtypeInfo kDtypes[] = {
    {"BOOL", torch::kBool, 1},  {"U8", torch::kByte, 1},       {"I8", torch::kChar, 1},
    {"I16", torch::kShort, 2},  {"I32", torch::kInt, 4},       {"I64", torch::kLong, 8},
    {"F16", torch::kHalf, 2},   {"BF16", torch::kBFloat16, 2}, {"F32", torch::kFloat, 4},
    {"F64", torch::kDouble, 8},
};

// Valid in the format, but LibTorch 1.13 has no such tensor type.
constexpr const char* kUnsupportedDtypes[] = {"U16",     "U32",     "U64",     "F8_E4M3", "F8_E5M2",
                                              "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4",      "C64"};

bool little_endian_host() {
  const uint16_t one = 1;
  uint8_t first = 0;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

const DtypeInfo& dtype_info(const std::string& name, const std::string& origin,
                            const std::string& tensor) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return d;
  }
  for (const char* u : kUnsupportedDtypes) {
    EDEN_CHECK(name != u, "[safetensors] ", origin, ": tensor '", tensor, "' has dtype ", name,
               ", which LibTorch ", TORCH_VERSION, " cannot represent");
  }
  EDEN_CHECK(false, "[safetensors] ", origin, ": tensor '", tensor, "' has unknown dtype '", name,
             "'");
  return kDtypes[0];
}

struct Entry {
  std::string name;
  const DtypeInfo* dtype = nullptr;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// A valid header nests three levels deep ({name: {shape: [...]}}); anything far deeper is hostile.
constexpr int kMaxHeaderDepth = 16;
struct TooDeep {};

/// Parses the JSON header, rejecting duplicate keys (nlohmann would keep one silently).
nlohmann::json parse_header(const char* begin, size_t size, const std::string& origin) {
  std::vector<std::unordered_set<std::string>> seen;  // keys per open object
  std::string duplicate;
  const nlohmann::json::parser_callback_t cb = [&](int depth, nlohmann::json::parse_event_t ev,
                                                   nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (depth > kMaxHeaderDepth) throw TooDeep{};
    if (ev == E::object_start) {
      seen.emplace_back();
    } else if (ev == E::object_end) {
      if (!seen.empty()) seen.pop_back();
    } else if (ev == E::key && !seen.empty()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!seen.back().insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(begin, begin + size, cb);
  } catch (const nlohmann::json::exception& e) {
    EDEN_CHECK(false, "[safetensors] ", origin, ": header is not valid JSON (", e.what(), ")");
  } catch (const TooDeep&) {
    EDEN_CHECK(false, "[safetensors] ", origin, ": header nests deeper than ", kMaxHeaderDepth,
               " levels");
  }
  EDEN_CHECK(duplicate.empty(), "[safetensors] ", origin, ": header names '", duplicate, "' twice");
  return header;
}

Entry parse_entry(const std::string& name, const nlohmann::json& v, uint64_t data_size,
                  const std::string& origin) {
  const auto fail_prefix = "[safetensors] " + origin + ": tensor '" + name + "': ";
  EDEN_CHECK(v.is_object(), fail_prefix, "entry is not a JSON object");
  EDEN_CHECK(v.contains("dtype") && v["dtype"].is_string(), fail_prefix,
             "missing or non-string \"dtype\"");
  EDEN_CHECK(v.contains("shape") && v["shape"].is_array(), fail_prefix,
             "missing or non-array \"shape\"");
  EDEN_CHECK(
      v.contains("data_offsets") && v["data_offsets"].is_array() && v["data_offsets"].size() == 2,
      fail_prefix, "\"data_offsets\" must be [begin, end]");
  Entry e;
  e.name = name;
  e.dtype = &dtype_info(v["dtype"].get<std::string>(), origin, name);
  // numel * itemsize must fit comfortably in 64 bits before comparing with the file.
  constexpr uint64_t kLimit = uint64_t{1} << 62;
  uint64_t numel = 1;
  for (const auto& d : v["shape"]) {
    EDEN_CHECK(d.is_number_unsigned() || (d.is_number_integer() && d.get<int64_t>() >= 0),
               fail_prefix, "shape entries must be non-negative integers, got ", d.dump());
    const uint64_t dim = d.get<uint64_t>();
    EDEN_CHECK(dim < kLimit && (dim == 0 || numel <= kLimit / dim), fail_prefix, "shape ",
               v["shape"].dump(), " is too large");
    numel *= dim;
    e.shape.push_back(static_cast<int64_t>(dim));
  }
  EDEN_CHECK(numel <= kLimit / 8, fail_prefix, "shape ", v["shape"].dump(), " is too large");
  for (const auto& o : v["data_offsets"]) {
    EDEN_CHECK(o.is_number_unsigned() || (o.is_number_integer() && o.get<int64_t>() >= 0),
               fail_prefix, "data_offsets must be non-negative integers, got ",
               v["data_offsets"].dump());
  }
  e.begin = v["data_offsets"][0].get<uint64_t>();
  e.end = v["data_offsets"][1].get<uint64_t>();
  EDEN_CHECK(e.begin <= e.end, fail_prefix, "data_offsets ", v["data_offsets"].dump(),
             " end before they begin");
  EDEN_CHECK(e.end <= data_size, fail_prefix, "data_offsets ", v["data_offsets"].dump(),
             " reach past the ", data_size, " data bytes of the file (truncated?)");
  const uint64_t expected = numel * e.dtype->bytes;
  EDEN_CHECK(e.end - e.begin == expected, fail_prefix, "shape ", v["shape"].dump(), " of ",
             e.dtype->name, " needs ", expected, " bytes but data_offsets span ", e.end - e.begin);
  return e;
}

}  // namespace

std::string safetensors_dtype_name(torch::ScalarType type) {
  for (const auto& d : kDtypes) {
    if (d.type == type) return d.name;
  }
  EDEN_CHECK(false, "[safetensors] dtype ", c10::toString(type), " has no safetensors name");
  return "";
}

Safetensors parse_safetensors(const uint8_t* data, size_t size, const std::string& origin) {
  EDEN_CHECK(little_endian_host(), "[safetensors] big-endian hosts are not supported");
  EDEN_CHECK(data != nullptr || size == 0, "[safetensors] ", origin, ": no data");
  EDEN_CHECK(size >= 8, "[safetensors] ", origin, ": ", size,
             " bytes is too short for the 8-byte header length");
  const uint64_t header_len = read_u64_le(data);
  EDEN_CHECK(header_len <= size - 8, "[safetensors] ", origin, ": header length ", header_len,
             " exceeds the ", size - 8,
             " bytes after the length field (truncated or not a "
             "safetensors file)");
  EDEN_CHECK(header_len <= kMaxHeaderBytes, "[safetensors] ", origin, ": header length ",
             header_len, " is above the ", kMaxHeaderBytes, "-byte limit");
  EDEN_CHECK(header_len >= 2 && data[8] == '{', "[safetensors] ", origin,
             ": header does not start with '{' (not a safetensors file?)");
  const auto header = parse_header(reinterpret_cast<const char*>(data + 8), header_len, origin);
  EDEN_CHECK(header.is_object(), "[safetensors] ", origin, ": header is not a JSON object");

  const uint64_t data_size = size - 8 - header_len;
  const uint8_t* payload = data + 8 + header_len;
  Safetensors out;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      EDEN_CHECK(value.is_object(), "[safetensors] ", origin,
                 ": __metadata__ must be an object of strings");
      for (const auto& [k, v] : value.items()) {
        EDEN_CHECK(v.is_string(), "[safetensors] ", origin, ": __metadata__ value of '", k,
                   "' is not a string");
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(name, value, data_size, origin));
  }
  // The data block must be covered exactly once: no overlaps, no gaps, nothing after.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    EDEN_CHECK(e.begin >= cursor, "[safetensors] ", origin, ": tensor '", e.name,
               "' overlaps tensor '", entries[i - 1].name, "' (bytes ", e.begin, "..", e.end,
               " vs ..", cursor, ")");
    EDEN_CHECK(e.begin == cursor, "[safetensors] ", origin, ": ", e.begin - cursor,
               " data bytes before tensor '", e.name, "' belong to no tensor");
    cursor = e.end;
  }
  EDEN_CHECK(cursor == data_size, "[safetensors] ", origin, ": ", data_size - cursor,
             " trailing data bytes belong to no tensor");

  for (const auto& e : entries) {
    auto t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype->type));
    const size_t n = static_cast<size_t>(e.end - e.begin);
    if (e.dtype->type == torch::kBool) {
      // Any byte but 0 or 1 would be an invalid bool in memory.
      for (size_t i = 0; i < n; ++i) {
        EDEN_CHECK(payload[e.begin + i] <= 1, "[safetensors] ", origin, ": BOOL tensor '", e.name,
                   "' holds byte value ", static_cast<int>(payload[e.begin + i]));
      }
    }
    if (n > 0) std::memcpy(t.data_ptr(), payload + e.begin, n);
    out.tensors.insert(e.name, std::move(t));
  }
  return out;
}

Safetensors read_safetensors(const std::string& path) {
  const std::string bytes = read_file(path);
  return parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
}

std::string serialize_safetensors(const TensorDict& tensors, const Metadata& metadata) {
  EDEN_CHECK(little_endian_host(), "[safetensors] big-endian hosts are not supported");
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> blobs;
  uint64_t offset = 0;
  for (const auto& item : tensors) {
    EDEN_CHECK(item.key() != "__metadata__", "[safetensors] a tensor cannot be named __metadata__");
    EDEN_CHECK(item.value().defined(), "[safetensors] tensor '", item.key(), "' is undefined");
    auto t = item.value().detach().to(torch::kCPU).contiguous();
    const uint64_t n = static_cast<uint64_t>(t.numel()) * t.element_size();
    header[item.key()] = {{"dtype", safetensors_dtype_name(t.scalar_type())},
                          {"shape", t.sizes().vec()},
                          {"data_offsets", {offset, offset + n}}};
    offset += n;
    blobs.push_back(std::move(t));
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  std::string out;
  out.reserve(8 + json.size() + offset);
  const uint64_t len = json.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  out += json;
  for (const auto& t : blobs) {
    if (t.numel() > 0) {
      out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
    }
  }
  return out;
}

void write_safetensors(const std::string& path, const TensorDict& tensors,
                       const Metadata& metadata) {
  write_file_atomic(path, serialize_safetensors(tensors, metadata));
}

}  // namespace eden::io
