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
  /// train::data_source_key(cfg), loaded on first use (train::load_source_data times and, in
  /// one process, meters it). `writer`: the rank that prints.
  data::DataSplits get(const train::TrainConfig& cfg, const std::string& stage, bool writer);

  /// Loads done so far (one per distinct key).
  int64_t loads() const { return static_cast<int64_t>(entries_.size()); }

  /// [{data, key, format, images, load_s, energy_j, energy_source, stages}, ...] in load order.
  nlohmann::json report() const;

 private:
  struct Entry {
    int64_t order = 0;
    std::string key;
    std::string data;
    data::DataSplits splits;  // report: its load_s and energy
    std::vector<std::string> stages;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace eden::pipeline
