// Data-parallel gradient averaging for the trainer, as DDP does it: trainable parameters in
// buckets (~25 MiB, in reverse registration order, roughly the order backward finishes them),
// summed over the ranks once per optimizer step, never on micro-batches that do not step. With
// overlap, a bucket's allreduce starts from gradient hooks during the window's last backward as
// soon as all its gradients are final, buckets in index order on every rank (Gloo matches
// collectives by order).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "eden/dist/process_group.h"

namespace eden::dist {

struct GradSyncOptions {
  int64_t bucket_bytes = int64_t{25} << 20;
  /// Start buckets from the backward pass (false: all of them after it).
  bool overlap = true;
};

class GradSync {
 public:
  GradSync(ProcessGroup& group, GradSyncOptions options);
  ~GradSync();
  GradSync(const GradSync&) = delete;
  GradSync& operator=(const GradSync&) = delete;

  /// Buckets over the parameters of `params` that require grad, hooks on them; called again
  /// when the trainable set changes (progressive unfreezing). Same order on every rank.
  void set_params(const std::vector<torch::Tensor>& params);
  /// Before the backward of an accumulation window's last micro-batch: arms the hooks.
  void arm();
  /// After that backward: starts the buckets the hooks did not, waits for all, and replaces
  /// every trainable parameter's .grad by the sum over ranks times `scale` (a rank without a
  /// gradient for a parameter contributes zeros).
  void finish(double scale);

  int64_t syncs() const { return syncs_; }  // windows synchronised
  int64_t bucket_count() const { return static_cast<int64_t>(buckets_.size()); }
  double wait_s() const { return wait_s_; }           // time blocked in finish()
  int64_t overlapped() const { return overlapped_; }  // buckets started from a hook

 private:
  struct Slot {
    torch::Tensor param;
    int64_t bucket = 0;
    int64_t offset = 0;  // in the bucket's flat buffer, elements
    bool ready = false;
  };
  struct Bucket {
    torch::Tensor flat;  // fp32 (or the parameters' dtype), contiguous
    int64_t count = 0;   // slots in this bucket
    int64_t ready = 0;
    bool started = false;
    PendingReduce pending;
  };

  void remove_hooks();
  void on_grad(size_t slot, const torch::Tensor& grad);
  void write_slot(Slot& slot, const torch::Tensor& grad);
  void start_ready_buckets();
  void start(Bucket& bucket);

  ProcessGroup& group_;
  GradSyncOptions options_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::vector<unsigned> hooks_;  // hook handles, parallel to slots_
  size_t next_bucket_ = 0;       // buckets start in index order
  bool armed_ = false;
  int64_t syncs_ = 0;
  int64_t overlapped_ = 0;
  double wait_s_ = 0.0;
};

}  // namespace eden::dist
