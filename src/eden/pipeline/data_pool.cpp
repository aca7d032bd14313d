// One load per distinct data set of an experiment (see data_pool.h).
#include "eden/pipeline/data_pool.h"

#include <fmt/format.h>

#include <algorithm>

#include "eden/train/run.h"

namespace eden::pipeline {

data::DataSplits DataPool::get(const train::TrainConfig& cfg, const std::string& stage,
                               bool writer) {
  const std::string key = train::data_source_key(cfg);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    Entry e;
    e.order = static_cast<int64_t>(entries_.size());
    e.key = key;
    e.data = cfg.data;
    e.splits = train::load_source_data(cfg);  // timed and metered there (one process only)
    it = entries_.emplace(key, std::move(e)).first;
  } else if (writer) {
    std::fprintf(stderr,
                 "data: %s: the load of the %s stage, reused (loaded once per experiment)\n",
                 cfg.data.c_str(), it->second.stages.front().c_str());
  }
  Entry& e = it->second;
  data::DataSplits out = train::select_data(e.splits, cfg);
  if (!e.stages.empty()) {
    out.report.shared_from = e.stages.front();
    out.report.energy_source.clear();  // paid by the first stage: not this run's energy
  }
  e.stages.push_back(stage);
  return out;
}

nlohmann::json DataPool::report() const {
  std::vector<const Entry*> order;
  for (const auto& [key, e] : entries_) order.push_back(&e);
  std::sort(order.begin(), order.end(),
            [](const Entry* a, const Entry* b) { return a->order < b->order; });
  nlohmann::json out = nlohmann::json::array();
  for (const Entry* e : order) {
    out.push_back(
        {{"data", e->data},
         {"key", e->key},
         {"format", e->splits.report.format},
         {"images", e->splits.train.size() + e->splits.test.size()},
         {"load_s", e->splits.report.load_s},
         {"energy_j", e->splits.report.energy_j},
         {"energy_source", e->splits.report.energy_source.empty() ? std::string("none")
                                                                  : e->splits.report.energy_source},
         {"stages", e->stages}});
  }
  return out;
}

}  // namespace eden::pipeline
