// Classification metrics from logits: top-1, top-5, macro-F1, per-class accuracy, confusion
// matrix. Accuracies are fractions in [0, 1].
#pragma once

#include <torch/torch.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace eden::eval {

struct EvalResult {
  int64_t samples = 0;
  double loss = 0.0;  // mean cross-entropy
  double top1 = 0.0;
  double top5 = 0.0;  // top-min(5, classes)
  double macro_f1 = 0.0;
  std::vector<double> per_class_accuracy;  // recall of each class (0 if it has no samples)
  torch::Tensor confusion;                 // (K, K) int64: rows = true class, cols = predicted
};

/// Accumulates predictions batch by batch; all counting stays on the device until finish().
class MetricAccumulator {
 public:
  explicit MetricAccumulator(int64_t num_classes);
  /// logits (B, K), targets (B) int64, loss_sum = sum of per-sample losses over the batch.
  void add(const torch::Tensor& logits, const torch::Tensor& targets,
           const torch::Tensor& loss_sum);
  EvalResult finish() const;
  /// Replaces the counts by their sums over data-parallel ranks: `sum_in_place` sums one CPU
  /// tensor over the ranks (exact: counts, and the loss sum in double).
  void reduce(const std::function<void(torch::Tensor&)>& sum_in_place);

 private:
  int64_t num_classes_;
  int64_t samples_ = 0;
  torch::Tensor confusion_;  // (K*K) int64, on the logits' device
  torch::Tensor top5_hits_;
  torch::Tensor loss_sum_;
};

/// Fills top1, macro_f1 and per_class_accuracy from a confusion matrix.
void metrics_from_confusion(const torch::Tensor& confusion, EvalResult& out);

/// {"eval_top1": ..., "eval_top5": ..., "eval_f1": ..., "eval_loss": ..., per-class, matrix}.
nlohmann::json to_json(const EvalResult& r, const std::vector<std::string>& classes);

}  // namespace eden::eval
