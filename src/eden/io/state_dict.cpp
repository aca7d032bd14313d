// State dicts in PyTorch order, and loading with a report.
#include "eden/io/state_dict.h"

#include <sstream>
#include <unordered_map>

#include "eden/util/check.h"

namespace eden::io {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

void list(std::ostringstream& os, const char* label, const std::vector<std::string>& names,
          size_t max_names) {
  if (names.empty()) return;
  os << "\n  " << label << " (" << names.size() << "): ";
  for (size_t i = 0; i < names.size() && i < max_names; ++i) os << (i ? ", " : "") << names[i];
  if (names.size() > max_names) os << ", ...";
}

}  // namespace

TensorDict state_dict(const torch::nn::Module& module) {
  TensorDict out;
  for (const auto& item : module.named_modules("", /*include_self=*/true)) {
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false)) {
      out.insert(prefix + p.key(), p.value());
    }
    for (const auto& b : item.value()->named_buffers(/*recurse=*/false)) {
      out.insert(prefix + b.key(), b.value());
    }
  }
  return out;
}

std::string LoadReport::summary(size_t max_names) const {
  std::ostringstream os;
  os << loaded.size() << " tensors loaded";
  list(os, "missing", missing, max_names);
  list(os, "unexpected", unexpected, max_names);
  if (!mismatched.empty()) {
    os << "\n  shape mismatch (" << mismatched.size() << "): ";
    for (size_t i = 0; i < mismatched.size() && i < max_names; ++i) {
      const auto& m = mismatched[i];
      os << (i ? ", " : "") << m.name << " model " << shape_string(m.expected) << " vs file "
         << shape_string(m.found);
    }
    if (mismatched.size() > max_names) os << ", ...";
  }
  list(os, "head re-initialised", reinitialized, max_names);
  list(os, "adapted", adapted, max_names);
  return os.str();
}

LoadReport plan_load(const torch::nn::Module& module, const TensorDict& tensors) {
  LoadReport report;
  const TensorDict own = state_dict(module);
  for (const auto& item : own) {
    const torch::Tensor* src = tensors.find(item.key());
    if (src == nullptr) {
      if (!ends_with(item.key(), "num_batches_tracked")) report.missing.push_back(item.key());
    } else if (src->sizes() != item.value().sizes()) {
      report.mismatched.push_back({item.key(), item.value().sizes().vec(), src->sizes().vec()});
    } else {
      report.loaded.push_back(item.key());
    }
  }
  for (const auto& item : tensors) {
    if (own.find(item.key()) == nullptr) report.unexpected.push_back(item.key());
  }
  return report;
}

LoadReport load_state_dict(torch::nn::Module& module, const TensorDict& tensors, bool strict) {
  LoadReport report = plan_load(module, tensors);
  EDEN_CHECK(!strict || report.complete(),
             "[weights] state dict does not match the model: ", report.summary(),
             "\n  hint: load non-strictly to keep the matching tensors and report the rest");
  TensorDict own = state_dict(module);
  torch::NoGradGuard no_grad;
  for (const auto& name : report.loaded) {
    own[name].copy_(tensors[name]);
  }
  return report;
}

}  // namespace eden::io
