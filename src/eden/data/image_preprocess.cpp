// Decode at reduced DCT scale where possible, then the exact torchvision storage transform.
#include "eden/data/image_preprocess.h"

#include "eden/data/image_resize.h"

namespace eden::data {

ImageFormat decode_to_square(const uint8_t* data, size_t bytes, int size, uint8_t* out,
                             bool dct_scaling) {
  DecodeOptions o;
  o.min_short_side = dct_scaling ? size : 0;
  const DecodedImage img = decode_image(data, bytes, o);
  resize_center_crop(img.rgb.data(), img.height, img.width, size, out);
  return img.format;
}

}  // namespace eden::data
