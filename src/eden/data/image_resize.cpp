// Separable resampling with PIL's bilinear (triangle) filter widened by the downscale factor,
// 22-bit fixed-point coefficients and a uint8 intermediate, restricted to the rows and columns
// the centre crop keeps (each output pixel depends only on its own taps, so this is exact).
#include "eden/data/image_resize.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "eden/util/check.h"

namespace eden::data {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // PIL's PRECISION_BITS for 8-bit images

struct Taps {
  std::vector<int> first;     // (n) first input index of each output
  std::vector<int> count;     // (n) number of taps
  std::vector<int32_t> coef;  // (n, stride) fixed-point weights
  int stride = 0;
};

double triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Taps of outputs [begin, begin + n) of resizing in_size -> out_size.
Taps precompute(int in_size, int out_size, int begin, int n) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 1.0 * filter_scale;
  Taps t;
  t.stride = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(n);
  t.count.resize(n);
  t.coef.assign(static_cast<size_t>(n) * t.stride, 0);
  std::vector<double> w(t.stride);
  for (int i = 0; i < n; ++i) {
    const double center = (begin + i + 0.5) * scale;
    int lo = static_cast<int>(center - support + 0.5);
    lo = std::max(lo, 0);
    int hi = static_cast<int>(center + support + 0.5);
    hi = std::min(hi, in_size);
    const int cnt = std::min(hi - lo, t.stride);
    double sum = 0.0;
    for (int k = 0; k < cnt; ++k) {
      w[k] = triangle((k + lo - center + 0.5) / filter_scale);
      sum += w[k];
    }
    for (int k = 0; k < cnt; ++k) {
      const double v = sum != 0.0 ? w[k] / sum : 0.0;
      const double fixed = v * (1 << kPrecisionBits);
      t.coef[static_cast<size_t>(i) * t.stride + k] =
          static_cast<int32_t>(v < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    t.first[i] = lo;
    t.count[i] = cnt;
  }
  return t;
}

inline uint8_t clip8(int32_t acc) {
  const int32_t v = acc >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Python's round(): half to even (CenterCrop uses int(round((h - size) / 2.0))).
int round_half_even(double v) {
  return static_cast<int>(std::nearbyint(v));
}

}  // namespace

Extent resized_extent(int height, int width, int size) {
  EDEN_CHECK(height > 0 && width > 0 && size > 0, "resize: bad extent ", height, "x", width, " -> ",
             size);
  if (height <= width) {
    return {size, static_cast<int>(static_cast<int64_t>(size) * width / height)};
  }
  return {static_cast<int>(static_cast<int64_t>(size) * height / width), size};
}

void resize_center_crop(const uint8_t* rgb, int height, int width, int size, uint8_t* out) {
  const Extent r = resized_extent(height, width, size);
  // torchvision's CenterCrop pads when the image is smaller than the crop; Resize(size) never
  // makes it so, but a truncated long side can equal size - 0. Guard anyway.
  EDEN_ASSERT(r.height >= size && r.width >= size, "resized ", r.height, "x", r.width);
  const int top = round_half_even((r.height - size) / 2.0);
  const int left = round_half_even((r.width - size) / 2.0);

  const Taps h = precompute(width, r.width, left, size);   // columns kept by the crop
  const Taps v = precompute(height, r.height, top, size);  // rows kept by the crop
  const int row0 = v.first.front();
  int row1 = row0;
  for (int i = 0; i < size; ++i) row1 = std::max(row1, v.first[i] + v.count[i]);
  const int rows = row1 - row0;

  // Horizontal pass over the input rows the vertical taps touch: (rows, size, 3) uint8.
  thread_local std::vector<uint8_t> tmp;  // reused across images of a thread
  tmp.resize(static_cast<size_t>(rows) * size * 3);
  const int32_t half = 1 << (kPrecisionBits - 1);
  for (int y = 0; y < rows; ++y) {
    const uint8_t* src = rgb + static_cast<size_t>(row0 + y) * width * 3;
    uint8_t* dst = &tmp[static_cast<size_t>(y) * size * 3];
    for (int x = 0; x < size; ++x) {
      const int32_t* k = &h.coef[static_cast<size_t>(x) * h.stride];
      const uint8_t* s = src + static_cast<size_t>(h.first[x]) * 3;
      int32_t a0 = half, a1 = half, a2 = half;
      for (int t = 0; t < h.count[x]; ++t) {
        a0 += s[3 * t] * k[t];
        a1 += s[3 * t + 1] * k[t];
        a2 += s[3 * t + 2] * k[t];
      }
      dst[3 * x] = clip8(a0);
      dst[3 * x + 1] = clip8(a1);
      dst[3 * x + 2] = clip8(a2);
    }
  }
  // Vertical pass, a whole output row at a time (contiguous multiply-adds the compiler
  // vectorises), then scattered into planar output.
  const size_t plane = static_cast<size_t>(size) * size;
  const size_t row_len = static_cast<size_t>(size) * 3;
  thread_local std::vector<int32_t> acc;
  acc.resize(row_len);
  for (int y = 0; y < size; ++y) {
    const int32_t* k = &v.coef[static_cast<size_t>(y) * v.stride];
    std::fill(acc.begin(), acc.end(), half);
    for (int t = 0; t < v.count[y]; ++t) {
      const uint8_t* s = &tmp[static_cast<size_t>(v.first[y] - row0 + t) * row_len];
      const int32_t kt = k[t];
      int32_t* a = acc.data();
      for (size_t j = 0; j < row_len; ++j) a[j] += s[j] * kt;
    }
    uint8_t* o0 = out + static_cast<size_t>(y) * size;
    for (int x = 0; x < size; ++x) {
      o0[x] = clip8(acc[3 * x]);
      o0[plane + x] = clip8(acc[3 * x + 1]);
      o0[2 * plane + x] = clip8(acc[3 * x + 2]);
    }
  }
  if (tmp.capacity() > (size_t{64} << 20)) std::vector<uint8_t>().swap(tmp);  // after a giant
}

}  // namespace eden::data
