// One load per distinct data set of an experiment (see data_pool.h).
#include "eden/pipeline/data_pool.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "eden/energy/monitor.h"
#include "eden/train/run.h"

namespace eden::pipeline {

data::DataSplits DataPool::get(const train::TrainConfig& cfg, const std::string& stage,
                               bool measure) {
  const std::string key = train::data_source_key(cfg);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    Entry e;
    e.order = static_cast<int64_t>(entries_.size());
    e.key = key;
    e.data = cfg.data;
    const auto t0 = std::chrono::steady_clock::now();
    if (measure) {
      energy::MonitorOptions options;
      options.print_warnings = false;  // the stage's own monitor prints them
      options.keep_timeline = false;
      energy::EnergyMonitor monitor(options);
      monitor.begin_window("data");
      e.splits = train::load_source_data(cfg);
      const energy::Measurement m = monitor.end_window("data");
      e.energy_j = m.energy_j();
      e.energy_source = energy::to_string(m.source());
    } else {
      e.splits = train::load_source_data(cfg);
    }
    e.load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    it = entries_.emplace(key, std::move(e)).first;
  } else if (measure) {
    std::fprintf(stderr,
                 "data: %s: the load of the %s stage, reused (loaded once per experiment)\n",
                 cfg.data.c_str(), it->second.stages.front().c_str());
  }
  Entry& e = it->second;
  data::DataSplits out = train::select_data(e.splits, cfg);
  if (!e.stages.empty()) out.report.shared_from = e.stages.front();
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
    out.push_back({{"data", e->data},
                   {"key", e->key},
                   {"format", e->splits.report.format},
                   {"images", e->splits.train.size() + e->splits.test.size()},
                   {"load_s", e->load_s},
                   {"energy_j", e->energy_j},
                   {"energy_source", e->energy_source},
                   {"stages", e->stages}});
  }
  return out;
}

}  // namespace eden::pipeline
