// Hostile safetensors files: every truncation, lying header lengths, offsets outside the data,
// overlaps, gaps, bad dtypes and shapes, malformed JSON and random byte flips. Each must end in
// eden::Error (or a clean parse), never a crash or an out-of-bounds read; this suite is meant
// to run under AddressSanitizer and UBSan too.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <random>

#include "eden/io/safetensors.h"
#include "eden/util/check.h"

namespace {

using eden::io::parse_safetensors;

/// A file from a raw header string and data bytes.
std::string make_file(const std::string& header, const std::string& data, uint64_t length) {
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return file + header + data;
}
std::string make_file(const std::string& header, const std::string& data) {
  return make_file(header, data, header.size());
}

/// Copies the bytes into an exactly sized heap block, so ASan sees any read past the end.
void parse_exact(const std::string& bytes) {
  std::unique_ptr<uint8_t[]> buf(new uint8_t[bytes.size() + (bytes.empty() ? 1 : 0)]);
  if (!bytes.empty()) std::memcpy(buf.get(), bytes.data(), bytes.size());
  parse_safetensors(buf.get(), bytes.size(), "corrupt");
}

/// Expects eden::Error whose message contains `fragment`.
void expect_error(const std::string& bytes, const std::string& fragment) {
  try {
    parse_exact(bytes);
    ADD_FAILURE() << "accepted a corrupt file; expected an error about '" << fragment << "'";
  } catch (const eden::Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

std::string valid_file() {
  eden::io::TensorDict t;
  t.insert("weight", torch::arange(6, torch::kFloat).reshape({2, 3}));
  t.insert("flag", torch::tensor({true, false}));
  t.insert("bias", torch::ones({3}, torch::kBFloat16));
  return eden::io::serialize_safetensors(t, {{"format", "pt"}});
}

const std::string kF32x2 = std::string(8, '\0');  // two float zeros

TEST(SafetensorsCorruption, ValidFileParses) {
  EXPECT_NO_THROW(parse_exact(valid_file()));
}

TEST(SafetensorsCorruption, EveryTruncationIsAnError) {
  const std::string file = valid_file();
  for (size_t n = 0; n < file.size(); ++n) {
    EXPECT_THROW(parse_exact(file.substr(0, n)), eden::Error) << "truncated to " << n << " bytes";
  }
}

TEST(SafetensorsCorruption, HeaderLengthLies) {
  const std::string h = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  expect_error(make_file(h, kF32x2, h.size() + kF32x2.size() + 1), "exceeds");
  expect_error(make_file(h, kF32x2, ~uint64_t{0}), "exceeds");
  expect_error(make_file(h, kF32x2, uint64_t{1} << 63), "exceeds");
  expect_error(make_file(h, kF32x2, 0), "does not start with '{'");
  expect_error(make_file(h, kF32x2, 1), "does not start with '{'");
  expect_error(make_file(h, kF32x2, h.size() - 1), "not valid JSON");
  // Shorter than claimed by the offsets: part of the data became header.
  expect_error(make_file(h + "  ", kF32x2.substr(2), h.size() + 2), "reach past");
}

TEST(SafetensorsCorruption, OffsetsOutsideTheData) {
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", kF32x2),
               "reach past");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", kF32x2),
               "reach past");
  expect_error(
      make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551608,0]}})",
                kF32x2),
      "end before they begin");
  expect_error(
      make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}})",
                kF32x2),
      "reach past");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", kF32x2),
               "non-negative");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", kF32x2),
               "data_offsets");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}})", kF32x2),
               "non-negative integers");
}

TEST(SafetensorsCorruption, OverlapsGapsAndTrailingBytes) {
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         kF32x2),
               "overlaps");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                         kF32x2),
               "overlaps");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", kF32x2),
               "belong to no tensor");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", kF32x2),
               "trailing");
}

TEST(SafetensorsCorruption, BadDtypes) {
  expect_error(make_file(R"({"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}})", kF32x2),
               "unknown dtype 'F31'");
  expect_error(make_file(R"({"a":{"dtype":"U32","shape":[2],"data_offsets":[0,8]}})", kF32x2),
               "cannot represent");
  expect_error(make_file(R"({"a":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})", kF32x2), "dtype");
  expect_error(make_file(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", kF32x2), "dtype");
  // Right size for F32 x2, wrong for F64 x2 (a dtype that does not match the bytes).
  expect_error(make_file(R"({"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})", kF32x2),
               "needs 16 bytes");
}

TEST(SafetensorsCorruption, BadShapes) {
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", kF32x2),
               "needs 12 bytes");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", kF32x2),
               "non-negative");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", kF32x2),
               "non-negative integers");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", kF32x2),
               "shape");
  // Products that overflow 64 bits must not wrap around to the real byte count.
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,2],)"
                         R"("data_offsets":[0,8]}})",
                         kF32x2),
               "too large");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[4611686018427387904,0],)"
                         R"("data_offsets":[0,0]}})",
                         ""),
               "too large");
}

TEST(SafetensorsCorruption, BadJsonAndMetadata) {
  expect_error(make_file(R"({"a":)", ""), "not valid JSON");
  expect_error(make_file(R"([1,2,3])", ""), "does not start with '{'");
  expect_error(make_file(R"({"a":[1,2]})", ""), "not a JSON object");
  expect_error(make_file(R"({"__metadata__":{"k":1}})", ""), "not a string");
  expect_error(make_file(R"({"__metadata__":["k"]})", ""), "__metadata__");
  expect_error(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         kF32x2),
               "twice");
  expect_error(make_file(std::string(40, '{'), ""), "not valid JSON");
  std::string deep = R"({"a":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  expect_error(make_file(deep, ""), "deeper");
  expect_error(make_file(std::string("{\"a\0b\":1}", 9), ""), "");
  expect_error(std::string(7, '\0'), "too short");
}

TEST(SafetensorsCorruption, InvalidBoolBytes) {
  expect_error(make_file(R"({"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})",
                         std::string("\x01\x02", 2)),
               "byte value 2");
}

TEST(SafetensorsCorruption, RandomByteFlipsNeverCrash) {
  const std::string file = valid_file();
  uint64_t header = 0;
  std::memcpy(&header, file.data(), 8);
  std::mt19937 rng(1234);
  int parsed = 0, rejected = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string f = file;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) {
      // Mostly the length field and header, where the parser makes its decisions.
      const size_t limit = (rng() % 4 == 0) ? f.size() : 8 + header;
      f[rng() % limit] = static_cast<char>(rng() & 0xff);
    }
    try {
      parse_exact(f);
      ++parsed;
    } catch (const eden::Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_EQ(parsed + rejected, 4000);
}

}  // namespace
