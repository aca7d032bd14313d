// Metric accumulation via a bincount confusion matrix.
#include "eden/eval/metrics.h"

#include "eden/util/check.h"

namespace eden::eval {

MetricAccumulator::MetricAccumulator(int64_t num_classes) : num_classes_(num_classes) {
  EDEN_CHECK(num_classes >= 1, "metrics: need at least one class");
}

void MetricAccumulator::add(const torch::Tensor& logits, const torch::Tensor& targets,
                            const torch::Tensor& loss_sum) {
  EDEN_ASSERT(logits.dim() == 2 && logits.size(1) == num_classes_, "logits ", logits.sizes());
  const auto pred = logits.argmax(1);
  const auto cells = targets * num_classes_ + pred;
  auto counts = torch::bincount(cells, {}, num_classes_ * num_classes_);
  const int64_t k = std::min<int64_t>(5, num_classes_);
  const auto topk = std::get<1>(logits.topk(k, 1));
  auto hits = topk.eq(targets.unsqueeze(1)).any(1).sum();
  auto loss = loss_sum.detach().to(torch::kDouble);
  if (!confusion_.defined()) {
    confusion_ = counts;
    top5_hits_ = hits;
    loss_sum_ = loss;
  } else {
    confusion_ += counts;
    top5_hits_ += hits;
    loss_sum_ += loss;
  }
  samples_ += targets.size(0);
}

void MetricAccumulator::reduce(const std::function<void(torch::Tensor&)>& sum_in_place) {
  EDEN_ASSERT(confusion_.defined(), "reduce before any batch");
  const auto device = confusion_.device();
  // One int64 tensor: the confusion cells, the top-5 hits, the sample count.
  auto counts = torch::cat({confusion_.to(torch::kCPU).to(torch::kLong),
                            top5_hits_.to(torch::kCPU).to(torch::kLong).view({1}),
                            torch::tensor({samples_}, torch::kLong)});
  sum_in_place(counts);
  auto loss = loss_sum_.to(torch::kCPU).to(torch::kDouble).view({1}).clone();
  sum_in_place(loss);
  const int64_t cells = num_classes_ * num_classes_;
  confusion_ = counts.narrow(0, 0, cells).to(device);
  top5_hits_ = counts[cells].to(device);
  samples_ = counts[cells + 1].item<int64_t>();
  loss_sum_ = loss[0].to(device);
}

void metrics_from_confusion(const torch::Tensor& confusion, EvalResult& out) {
  const auto c = confusion.to(torch::kCPU).to(torch::kDouble);
  const int64_t k = c.size(0);
  const auto tp = c.diagonal();
  const auto row = c.sum(1);  // true counts
  const auto col = c.sum(0);  // predicted counts
  const double n = c.sum().item<double>();
  out.top1 = n > 0 ? tp.sum().item<double>() / n : 0.0;
  out.per_class_accuracy.assign(k, 0.0);
  double f1_sum = 0.0;
  const auto tp_a = tp.contiguous(), row_a = row.contiguous(), col_a = col.contiguous();
  for (int64_t i = 0; i < k; ++i) {
    const double t = tp_a.data_ptr<double>()[i], r = row_a.data_ptr<double>()[i],
                 p = col_a.data_ptr<double>()[i];
    out.per_class_accuracy[i] = r > 0 ? t / r : 0.0;
    const double denom = r + p;  // 2tp + fp + fn
    f1_sum += denom > 0 ? 2.0 * t / denom : 0.0;
  }
  out.macro_f1 = f1_sum / static_cast<double>(k);
}

EvalResult MetricAccumulator::finish() const {
  EvalResult r;
  r.samples = samples_;
  if (samples_ == 0) {
    r.confusion = torch::zeros({num_classes_, num_classes_}, torch::kLong);
    r.per_class_accuracy.assign(num_classes_, 0.0);
    return r;
  }
  r.confusion = confusion_.to(torch::kCPU).view({num_classes_, num_classes_});
  metrics_from_confusion(r.confusion, r);
  r.top5 = top5_hits_.item<double>() / static_cast<double>(samples_);
  r.loss = loss_sum_.item<double>() / static_cast<double>(samples_);
  return r;
}

nlohmann::json to_json(const EvalResult& r, const std::vector<std::string>& classes) {
  nlohmann::json j;
  j["eval_samples"] = r.samples;
  j["eval_loss"] = r.loss;
  j["eval_top1"] = r.top1;
  j["eval_top5"] = r.top5;
  j["eval_f1"] = r.macro_f1;
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t i = 0; i < r.per_class_accuracy.size(); ++i) {
    per_class[i < classes.size() ? classes[i] : std::to_string(i)] = r.per_class_accuracy[i];
  }
  j["per_class_accuracy"] = per_class;
  nlohmann::json matrix = nlohmann::json::array();
  const auto c = r.confusion.to(torch::kLong).contiguous();
  const auto a = c.accessor<int64_t, 2>();
  for (int64_t i = 0; i < c.size(0); ++i) {
    std::vector<int64_t> row(c.size(1));
    for (int64_t k = 0; k < c.size(1); ++k) row[k] = a[i][k];
    matrix.push_back(row);
  }
  j["confusion_matrix"] = matrix;
  j["confusion_matrix_axes"] = "rows: true class, columns: predicted class";
  return j;
}

}  // namespace eden::eval
