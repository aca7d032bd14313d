// Bucketed gradient allreduce with hooks on the trainable parameters.
#include "eden/dist/grad_sync.h"

#include <chrono>

#include "eden/util/check.h"

namespace eden::dist {

GradSync::GradSync(ProcessGroup& group, GradSyncOptions options)
    : group_(group), options_(options) {
  EDEN_CHECK(options_.bucket_bytes > 0, "gradient bucket size must be > 0, got ",
             options_.bucket_bytes);
}

GradSync::~GradSync() {
  remove_hooks();
}

void GradSync::remove_hooks() {
  for (size_t i = 0; i < hooks_.size(); ++i) slots_[i].param.remove_hook(hooks_[i]);
  hooks_.clear();
}

void GradSync::set_params(const std::vector<torch::Tensor>& params) {
  EDEN_CHECK(!armed_, "gradient sync: parameters changed inside an accumulation window");
  remove_hooks();
  slots_.clear();
  buckets_.clear();
  // Reverse registration order: the head's gradients are final first.
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (!it->requires_grad()) continue;
    EDEN_CHECK(it->is_cpu() || it->is_cuda(), "gradient sync: parameter on ", it->device());
    Slot s;
    s.param = *it;
    slots_.push_back(std::move(s));
  }
  int64_t bytes = 0;
  int64_t elements = 0;
  auto close_bucket = [&](torch::ScalarType dtype, torch::Device device) {
    if (elements == 0) return;
    Bucket b;
    b.flat = torch::zeros({elements}, torch::TensorOptions().dtype(dtype).device(device));
    buckets_.push_back(std::move(b));
    bytes = elements = 0;
  };
  for (size_t i = 0; i < slots_.size(); ++i) {
    const auto& p = slots_[i].param;
    const bool other_kind = i > 0 && (p.scalar_type() != slots_[i - 1].param.scalar_type() ||
                                      p.device() != slots_[i - 1].param.device());
    if (other_kind || bytes >= options_.bucket_bytes) {
      close_bucket(slots_[i - 1].param.scalar_type(), slots_[i - 1].param.device());
    }
    slots_[i].bucket = static_cast<int64_t>(buckets_.size());
    slots_[i].offset = elements;
    elements += p.numel();
    bytes += p.numel() * static_cast<int64_t>(p.element_size());
  }
  if (!slots_.empty())
    close_bucket(slots_.back().param.scalar_type(), slots_.back().param.device());
  for (const auto& s : slots_) ++buckets_[static_cast<size_t>(s.bucket)].count;
  if (options_.overlap) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      hooks_.push_back(
          slots_[i].param.register_hook([this, i](torch::Tensor grad) { on_grad(i, grad); }));
    }
  }
}

void GradSync::arm() {
  armed_ = true;
  next_bucket_ = 0;
  for (auto& s : slots_) s.ready = false;
  for (auto& b : buckets_) {
    b.ready = 0;
    b.started = false;
  }
}

void GradSync::write_slot(Slot& slot, const torch::Tensor& grad) {
  auto& b = buckets_[static_cast<size_t>(slot.bucket)];
  auto dst = b.flat.narrow(0, slot.offset, slot.param.numel()).view(slot.param.sizes());
  if (grad.defined()) {
    dst.copy_(grad);
  } else {
    dst.zero_();
  }
  slot.ready = true;
  ++b.ready;
}

void GradSync::on_grad(size_t i, const torch::Tensor& grad) {
  if (!armed_) return;  // a micro-batch that does not step: no communication
  auto& slot = slots_[i];
  if (slot.ready) return;
  torch::NoGradGuard no_grad;
  // The hook sees this backward's gradient before it is added to .grad: the window's total is
  // what earlier micro-batches accumulated plus it.
  const auto& acc = slot.param.grad();
  write_slot(slot, acc.defined() ? acc + grad : grad);
  start_ready_buckets();
}

void GradSync::start(Bucket& b) {
  b.pending = group_.allreduce_sum_async(b.flat, "gradients");
  b.started = true;
}

void GradSync::start_ready_buckets() {
  while (next_bucket_ < buckets_.size() &&
         buckets_[next_bucket_].ready == buckets_[next_bucket_].count) {
    start(buckets_[next_bucket_++]);
    ++overlapped_;
  }
}

void GradSync::finish(double scale) {
  EDEN_ASSERT(armed_, "GradSync::finish without arm()");
  torch::NoGradGuard no_grad;
  for (auto& s : slots_) {
    if (!s.ready) write_slot(s, s.param.grad());
  }
  while (next_bucket_ < buckets_.size()) start(buckets_[next_bucket_++]);
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& b : buckets_) b.pending.wait();
  wait_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto& s : slots_) {
    auto& b = buckets_[static_cast<size_t>(s.bucket)];
    auto sum = b.flat.narrow(0, s.offset, s.param.numel()).view(s.param.sizes());
    auto& g = s.param.mutable_grad();
    if (g.defined()) {
      g.copy_(sum).mul_(scale);
    } else {
      g = (sum * scale).contiguous(s.param.suggest_memory_format());
    }
  }
  armed_ = false;
  ++syncs_;
}

}  // namespace eden::dist
