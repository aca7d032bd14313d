// Frozen-backbone feature cache (E2AM Phase 2): while the backbone is frozen and computes the same
// features for the same image in every epoch, the first frozen epoch stores them and the later
// frozen epochs train the head from the store: their cost is the head's alone.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "eden/dist/process_group.h"
#include "eden/models/classifier.h"
#include "eden/train/config.h"

namespace eden::train {

/// What the run caches, decided before training from the config, the model and the loader
/// (the memory check follows at the first frozen batch, when the features' size is known).
struct FeatureCachePlan {
  std::string mode = "off";       // the config's auto | on | off
  bool train = false;             // training features: frozen epochs after the first
  bool eval = false;              // evaluation features: evaluations after the first frozen one
  bool augmentation_off = false;  // on: random augmentation off for the frozen epochs
  bool dropout_off = false;       // on: the backbone's dropout off for the frozen epochs
  std::string reason;             // why training features are not cached, or what `on` changed

  bool any() const { return train || eval; }
  /// The one start-up line, e.g. "frozen cache: on (training and evaluation features)".
  std::string summary() const;
  nlohmann::json to_json() const;
};

/// The plan for `cfg` with `model`: `augmentation` names the training loader's random
/// augmentation ("" = none). auto caches only where the results are unchanged (frozen epochs,
/// --frozen-bn eval, no random augmentation, no dropout active in the backbone); on also caches
/// over augmentation and backbone dropout by turning them off for the frozen epochs; evaluation
/// features need only frozen epochs and --frozen-bn eval.
FeatureCachePlan plan_feature_cache(const TrainConfig& cfg, models::ClassifierImpl& model,
                                    const std::string& augmentation);

/// The features of one data set by row: (N, F) in the dtype the backbone produced them (autocast's
/// under AMP), on the device the data lives on.
class FeatureCache {
 public:
  /// `what` names the set in messages ("training", "evaluation"); `samples` = N.
  FeatureCache(std::string what, int64_t samples, torch::Device store_device);

  /// Starts the filling pass (the first frozen epoch).
  void begin_fill();
  bool filling() const { return filling_; }
  /// Stores `features` (B, F) of rows `index` (B). The first call checks N x F x the dtype's size
  /// against `budget_bytes` and allocates; over the budget, or when the allocation fails, the
  /// cache turns off for good (reason()) and nothing is stored.
  void put(const torch::Tensor& index, const torch::Tensor& features, int64_t budget_bytes);
  /// Ends the filling pass. In a group (`exchange`), the ranks' rows are summed into every
  /// rank's store: each rank computed its shard, and later epochs deal the rows out anew.
  void end_fill(dist::ProcessGroup* group, bool exchange);
  /// Filled and usable.
  bool ready() const { return ready_; }
  /// Turned off (over the budget); why, in one sentence.
  bool off() const { return !reason_.empty(); }
  const std::string& reason() const { return reason_; }

  /// (B, F) features of rows `index`, on `device`.
  torch::Tensor get(const torch::Tensor& index, torch::Device device) const;
  int64_t bytes() const { return store_.defined() ? store_.nbytes() : 0; }
  torch::ScalarType dtype() const { return store_.scalar_type(); }
  /// Frees the store (the backbone unfroze); filling can start again later.
  void release();

 private:
  std::string what_;
  int64_t samples_;
  torch::Device device_;
  torch::Tensor store_;
  bool filling_ = false;
  bool ready_ = false;
  std::string reason_;
};

}  // namespace eden::train
