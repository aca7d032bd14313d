// The data sets of one experiment: every stage that reads the same files with the same load
// settings trains on one in-memory load, whose time and energy are the experiment's
// data-preparation cost, reported once.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eden/data/dataset.h"
#include "eden/train/config.h"

namespace eden::pipeline {

class DataPool {
 public:
  /// The data stage `stage` trains on: cfg's classes and limits applied to the pool's load of
  /// train::data_source_key(cfg), loaded (and measured) on first use. `measure` reads the
  /// energy meters around a load (the writing rank; other ranks only load).
  data::DataSplits get(const train::TrainConfig& cfg, const std::string& stage, bool measure);

  /// Loads done so far (one per distinct key).
  int64_t loads() const { return static_cast<int64_t>(entries_.size()); }

  /// [{data, key, format, images, load_s, energy_j, energy_source, stages}, ...] in load order.
  nlohmann::json report() const;

 private:
  struct Entry {
    int64_t order = 0;
    std::string key;
    std::string data;
    data::DataSplits splits;
    double load_s = 0.0;
    double energy_j = 0.0;
    std::string energy_source = "none";  // measured | estimated | mixed | none (not measured)
    std::vector<std::string> stages;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace eden::pipeline
