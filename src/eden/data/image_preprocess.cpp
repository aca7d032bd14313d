// Decode at reduced DCT scale where possible, then the exact torchvision storage transform.
#include "eden/data/image_preprocess.h"

#include "eden/data/image_resize.h"

namespace eden::data {

ImageFormat decode_to_square(const uint8_t* data, size_t bytes, int size, uint8_t* out,
                             bool dct_scaling) {
  DecodeOptions o;
  o.min_short_side = dct_scaling ? size : 0;
  thread_local DecodedImage img;  // reused: no allocation or page faults per image
  decode_image(data, bytes, o, img);
  resize_center_crop(img.rgb.data(), img.height, img.width, size, out);
  if (img.rgb.capacity() > (size_t{64} << 20)) std::vector<uint8_t>().swap(img.rgb);  // a giant
  return img.format;
}

}  // namespace eden::data
