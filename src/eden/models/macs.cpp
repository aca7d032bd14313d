// MAC counting by tracing ATen ops (RecordFunction callbacks) during one forward pass.
#include "eden/models/macs.h"

#include <ATen/record_function.h>

#include <string_view>
#include <unordered_map>

#include "eden/util/check.h"

namespace eden::models {
namespace {

struct LinearShape {
  int64_t in = 0, out = 0;
  bool bias = false;
};

/// State of the count running on this thread.
struct MacCount {
  int64_t total = 0;
  std::unordered_map<const void*, LinearShape> linear_weights;  // by weight data pointer
  bool inside_linear = false;  // matmul calls mm: count the outer op only
};

thread_local MacCount* tl_count = nullptr;

/// Marks the op that set MacCount::inside_linear, so its end callback clears it.
struct LinearOpContext : at::ObserverContext {};

int64_t conv_macs(c10::ArrayRef<const c10::IValue> in) {
  // aten::convolution(input, weight, bias?, stride, padding, dilation, transposed,
  //                   output_padding, groups)
  if (in.size() < 9 || !in[0].isTensor() || !in[1].isTensor()) return 0;
  const auto& x = in[0].toTensor();
  const auto& w = in[1].toTensor();
  const bool has_bias = in[2].isTensor() && in[2].toTensor().defined();
  const auto stride = in[3].toIntVector(), padding = in[4].toIntVector(),
             dilation = in[5].toIntVector();
  const bool transposed = in[6].toBool();
  const int64_t spatial = w.dim() - 2;
  if (transposed || x.dim() != w.dim() || spatial < 1) return 0;
  int64_t out_positions = x.size(0);
  int64_t kernel = 1;
  for (int64_t i = 0; i < spatial; ++i) {
    const auto at = [&](const std::vector<int64_t>& v) {
      return v.size() == 1 ? v[0] : v.at(static_cast<size_t>(i));
    };
    const int64_t k = w.size(2 + i);
    const int64_t o =
        (x.size(2 + i) + 2 * at(padding) - at(dilation) * (k - 1) - 1) / at(stride) + 1;
    out_positions *= std::max<int64_t>(o, 0);
    kernel *= k;
  }
  // The weight is (C_out, C_in / groups, k...), so groups are already accounted for.
  const int64_t cout = w.size(0), cin_per_group = w.size(1);
  return out_positions * cout * (cin_per_group * kernel + (has_bias ? 1 : 0));
}

std::unique_ptr<at::ObserverContext> on_op_start(const at::RecordFunction& fn) {
  MacCount* count = tl_count;
  if (count == nullptr) return nullptr;
  const std::string_view name = fn.name();
  if (name == "aten::convolution") {
    count->total += conv_macs(fn.inputs());
    return nullptr;
  }
  if (count->inside_linear) return nullptr;
  if (name != "aten::linear" && name != "aten::addmm" && name != "aten::matmul" &&
      name != "aten::mm" && name != "aten::bmm") {
    return nullptr;
  }
  // A product with the weight of a registered nn::Linear (possibly as its transpose).
  const LinearShape* shape = nullptr;
  const at::Tensor* weight = nullptr;
  for (const auto& v : fn.inputs()) {
    if (!v.isTensor()) continue;
    const auto& t = v.toTensor();
    if (!t.defined() || t.dim() != 2) continue;
    auto it = count->linear_weights.find(t.data_ptr());
    if (it != count->linear_weights.end()) {
      shape = &it->second;
      weight = &t;
      break;
    }
  }
  if (shape == nullptr) return nullptr;
  int64_t tokens = 0;
  for (const auto& v : fn.inputs()) {
    if (!v.isTensor()) continue;
    const auto& t = v.toTensor();
    if (!t.defined() || t.dim() < 2 || t.data_ptr() == weight->data_ptr()) continue;
    tokens = t.numel() / shape->in;
    break;
  }
  count->total += tokens * (shape->in * shape->out + (shape->bias ? shape->out : 0));
  count->inside_linear = true;
  return std::make_unique<LinearOpContext>();
}

void on_op_end(const at::RecordFunction& /*fn*/, at::ObserverContext* ctx) {
  if (ctx != nullptr && tl_count != nullptr) tl_count->inside_linear = false;
}

/// Installs the callbacks for the lifetime of the object; restores everything on exit.
class CountScope {
 public:
  explicit CountScope(MacCount* count) : previous_(tl_count) {
    tl_count = count;
    handle_ = at::addThreadLocalCallback(
        at::RecordFunctionCallback(on_op_start, on_op_end).needsInputs(true));
  }
  ~CountScope() {
    at::removeCallback(handle_);
    tl_count = previous_;
  }
  CountScope(const CountScope&) = delete;
  CountScope& operator=(const CountScope&) = delete;

 private:
  MacCount* previous_;
  at::CallbackHandle handle_;
};

}  // namespace

void record_macs(int64_t macs) {
  if (tl_count != nullptr) tl_count->total += macs;
}

bool counting_macs() {
  return tl_count != nullptr;
}

int64_t count_macs(ClassifierImpl& model, const ModelOptions& options) {
  EDEN_CHECK(options.image_size() >= 1 && options.in_channels() >= 1,
             "count_macs: image_size and in_channels must be >= 1, got ", options.image_size(),
             " and ", options.in_channels());
  MacCount count;
  for (const auto& m : model.modules(/*include_self=*/false)) {
    if (const auto* linear = m->as<torch::nn::Linear>()) {
      count.linear_weights[linear->weight.data_ptr()] = {
          linear->options.in_features(), linear->options.out_features(), linear->options.bias()};
    }
  }
  auto params = model.parameters();
  const auto device = params.empty() ? torch::Device(torch::kCPU) : params.front().device();
  const auto x =
      torch::zeros({1, options.in_channels(), options.image_size(), options.image_size()},
                   torch::TensorOptions().device(device));
  const bool was_training = model.is_training();
  model.eval();
  try {
    torch::NoGradGuard no_grad;
    CountScope scope(&count);
    model.forward(x);
  } catch (...) {
    model.train(was_training);
    throw;
  }
  model.train(was_training);
  return count.total;
}

}  // namespace eden::models
