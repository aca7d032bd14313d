// IDX header checks and in-memory gunzip (zlib).
#include "eden/data/idx_format.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "eden/util/check.h"

namespace eden::data {
namespace {

constexpr uint8_t kIdxTypeUByte = 0x08;
constexpr int kMaxIdxDims = 4;
constexpr size_t kMaxDecompressedBytes = size_t{8} << 30;  // refuse gzip bombs above 8 GiB

}  // namespace

bool is_gzip(const uint8_t* data, size_t size) {
  return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

std::vector<uint8_t> gunzip(const uint8_t* data, size_t size, const std::string& what) {
  z_stream zs{};
  EDEN_CHECK(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, what, ": zlib init failed");
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);
  std::vector<uint8_t> out(std::max<size_t>(size * 4, 1 << 16));
  size_t produced = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (produced == out.size()) {
      if (out.size() >= kMaxDecompressedBytes) {
        inflateEnd(&zs);
        EDEN_CHECK(false, what, ": decompresses to more than 8 GiB; not an IDX file?");
      }
      out.resize(std::min(out.size() * 2, kMaxDecompressedBytes));
    }
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // input ended before the stream did
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) break;
  }
  const std::string msg = zs.msg != nullptr ? std::string(" (") + zs.msg + ")" : std::string();
  inflateEnd(&zs);
  EDEN_CHECK(rc == Z_STREAM_END, what, ": corrupt or truncated gzip stream", msg);
  out.resize(produced);
  return out;
}

IdxLayout parse_idx_layout(const uint8_t* bytes, size_t size, const std::string& what) {
  EDEN_CHECK(size >= 4, what, ": too short for an IDX header (", size, " bytes)");
  EDEN_CHECK(bytes[0] == 0 && bytes[1] == 0, what, ": bad magic number 0x", std::hex,
             (uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 |
              uint32_t{bytes[3]}),
             std::dec, "; not an IDX file");
  EDEN_CHECK(bytes[2] == kIdxTypeUByte, what, ": IDX element type 0x", std::hex, int{bytes[2]},
             std::dec, " is not unsigned byte (0x08)");
  const int ndims = bytes[3];
  EDEN_CHECK(ndims >= 1 && ndims <= kMaxIdxDims, what, ": IDX rank ", ndims, " not in [1, 4]");
  IdxLayout layout;
  layout.header_bytes = 4 + 4 * static_cast<size_t>(ndims);
  EDEN_CHECK(size >= layout.header_bytes, what, ": truncated IDX header");
  size_t count = 1;
  for (int d = 0; d < ndims; ++d) {
    const uint8_t* p = bytes + 4 + 4 * d;
    const uint32_t dim = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
    EDEN_CHECK(dim > 0 && dim <= (1u << 30), what, ": dimension ", d, " is ", dim);
    EDEN_CHECK(count <= std::numeric_limits<size_t>::max() / dim, what, ": shape overflows");
    count *= dim;
    layout.shape.push_back(dim);
  }
  const size_t payload = size - layout.header_bytes;
  EDEN_CHECK(payload >= count, what, ": truncated: header promises ", count,
             " bytes of data, file has ", payload);
  EDEN_CHECK(payload == count, what, ": ", payload - count, " unexpected bytes after the data");
  layout.count = count;
  return layout;
}

}  // namespace eden::data
