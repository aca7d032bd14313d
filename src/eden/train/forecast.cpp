// Forecaster: per-phase rates and their extrapolation (see forecast.h).
#include "eden/train/forecast.h"

#include <fmt/format.h>

#include <algorithm>

#include "eden/util/check.h"

namespace eden::train {
namespace {

Phase other(Phase p) {
  return p == Phase::kFrozen ? Phase::kFull : Phase::kFrozen;
}

/// The epochs that stand for the next one of `phase`: a frozen phase's cached ones when there are
/// (`cached` picks the train or the eval flag), else all of the phase's; with `uncached_only`
/// the epochs that ran the backbone (what the start-up probe measured).
std::vector<const EpochCost*> standing_for(const std::vector<EpochCost>& costs, Phase phase,
                                           bool EpochCost::*cached, bool uncached_only = false) {
  std::vector<const EpochCost*> ran, hits;
  for (const auto& c : costs) {
    if (c.phase != phase) continue;
    (c.*cached ? hits : ran).push_back(&c);
  }
  return hits.empty() || uncached_only ? ran : hits;
}

std::string epochs_text(size_t n, Phase phase, bool cached) {
  return fmt::format("{} {}{} epoch{}", n, cached ? "cached " : "", to_string(phase),
                     n == 1 ? "" : "s");
}

/// The mean steady cost of the measured epochs of `phase` (unknown when none ran).
PhaseRate measured_rate(const std::vector<EpochCost>& costs, Phase phase,
                        bool uncached_only = false) {
  PhaseRate r;
  const auto picked = standing_for(costs, phase, &EpochCost::train_cached, uncached_only);
  if (picked.empty()) return r;
  for (const auto* c : picked) {
    r.train_j += c->train_j - c->warmup_j;
    r.train_s += c->train_s - c->warmup_s;
  }
  const auto n = static_cast<double>(picked.size());
  r.train_j /= n;
  r.train_s /= n;
  r.known = true;
  r.method = "measured (" + epochs_text(picked.size(), phase, picked.front()->train_cached) + ")";
  return r;
}

}  // namespace

double Forecast::cumulative_j_at(int64_t epochs_done) const {
  EDEN_ASSERT(epochs_done > after_epochs && epochs_done <= epochs, "forecast after ", after_epochs,
              " asked for ", epochs_done);
  return cumulative_j[static_cast<size_t>(epochs_done - after_epochs - 1)];
}

double Forecast::cumulative_s_at(int64_t epochs_done) const {
  EDEN_ASSERT(epochs_done > after_epochs && epochs_done <= epochs, "forecast after ", after_epochs,
              " asked for ", epochs_done);
  return cumulative_s[static_cast<size_t>(epochs_done - after_epochs - 1)];
}

Forecaster::Forecaster(int64_t train_batches, int64_t eval_batches)
    : train_batches_(train_batches), eval_batches_(eval_batches) {}

void Forecaster::add_epoch(const EpochCost& cost) {
  costs_.erase(std::remove_if(costs_.begin(), costs_.end(),
                              [&](const EpochCost& c) { return c.epoch >= cost.epoch; }),
               costs_.end());
  costs_.push_back(cost);
}

PhaseRate Forecaster::rate(Phase phase) const {
  PhaseRate r = measured_rate(costs_, phase);
  if (r.known || !probe_ || !probe_->has(phase)) return r;
  const Phase o = other(phase);
  // The probe's ratio is between steps that run the backbone: scale epochs that ran it.
  const PhaseRate measured = measured_rate(costs_, o, /*uncached_only=*/true);
  if (measured.known && probe_->has(o)) {
    const double ratio_j = probe_->step_j(phase) / probe_->step_j(o);
    const double ratio_s = probe_->step_s(phase) / std::max(1e-12, probe_->step_s(o));
    r.train_j = measured.train_j * ratio_j;
    r.train_s = measured.train_s * ratio_s;
    r.known = true;
    r.method = fmt::format(
        "the measured {} epochs x the start-up probe's {}/{} step ratio ({:.3g}x energy, "
        "{:.3g}x time)",
        to_string(o), to_string(phase), to_string(o), ratio_j, ratio_s);
    return r;
  }
  r.train_j = probe_->step_j(phase) * static_cast<double>(train_batches_);
  r.train_s = probe_->step_s(phase) * static_cast<double>(train_batches_);
  r.known = true;
  r.method =
      fmt::format("the start-up probe's {} step x {} batches", to_string(phase), train_batches_);
  return r;
}

PhaseRate Forecaster::eval_rate(Phase phase) const {
  PhaseRate r;
  auto picked = standing_for(costs_, phase, &EpochCost::eval_cached);
  std::string which =
      picked.empty() ? "" : epochs_text(picked.size(), phase, picked.front()->eval_cached);
  if (picked.empty()) {  // an evaluation of the whole model costs the same after either phase
    for (const auto& c : costs_) {
      if (!c.eval_cached) picked.push_back(&c);
    }
    which = fmt::format("{} epoch{}", picked.size(), picked.size() == 1 ? "" : "s");
  }
  if (!picked.empty()) {
    for (const auto* c : picked) {
      r.train_j += c->eval_j;
      r.train_s += c->eval_s;
    }
    r.train_j /= static_cast<double>(picked.size());
    r.train_s /= static_cast<double>(picked.size());
    r.known = true;
    r.method = "measured (evaluations of " + which + ")";
    return r;
  }
  if (!probe_ || probe_->eval_batch_j <= 0.0) return r;
  r.train_j = probe_->eval_batch_j * static_cast<double>(eval_batches_);
  r.train_s = probe_->eval_batch_s * static_cast<double>(eval_batches_);
  r.known = true;
  r.method = fmt::format("the start-up probe's evaluation batch x {} batches", eval_batches_);
  return r;
}

std::optional<std::pair<double, double>> Forecaster::epoch_cost(Phase phase) const {
  const PhaseRate t = rate(phase);
  const PhaseRate e = eval_rate(phase);
  if (!t.known || !e.known) return std::nullopt;
  return std::make_pair(t.train_j + e.train_j, t.train_s + e.train_s);
}

std::optional<Forecast> Forecaster::forecast(int64_t after_epochs, const std::vector<Phase>& plan,
                                             double spent_j, double spent_s) const {
  Forecast f;
  f.after_epochs = after_epochs;
  f.epochs = after_epochs + static_cast<int64_t>(plan.size());
  f.spent_j = f.total_j = spent_j;
  f.spent_s = f.total_s = spent_s;
  bool used[2] = {false, false};
  for (const Phase p : plan) {
    const auto cost = epoch_cost(p);
    if (!cost) return std::nullopt;
    used[p == Phase::kFrozen ? 0 : 1] = true;
    f.total_j += cost->first;
    f.total_s += cost->second;
    f.cumulative_j.push_back(f.total_j);
    f.cumulative_s.push_back(f.total_s);
  }
  for (const Phase p : {Phase::kFrozen, Phase::kFull}) {
    if (used[p == Phase::kFrozen ? 0 : 1]) {
      f.method += fmt::format("{}{} epochs: {}; evaluation: {}", f.method.empty() ? "" : "; ",
                              to_string(p), rate(p).method, eval_rate(p).method);
    }
  }
  return f;
}

std::string energy_text(double j) {
  if (j >= 3.6e5) return fmt::format("{:.4g} kWh", j / 3.6e6);
  if (j >= 1e3) return fmt::format("{:.3g} kJ", j / 1e3);
  return fmt::format("{:.3g} J", j);
}

std::string duration_text(double s) {
  if (s < 90) return fmt::format("{:.0f} s", s);
  if (s < 90 * 60) return fmt::format("{:.1f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

std::string co2_text(double kg) {
  return kg >= 0.1 ? fmt::format("{:.3g} kg CO₂e", kg) : fmt::format("{:.3g} g CO₂e", kg * 1e3);
}

double warmup_excess(double warm, double total, int64_t warm_batches, int64_t batches) {
  if (warm_batches <= 0 || batches <= warm_batches) return 0.0;
  const double steady = (total - warm) / static_cast<double>(batches - warm_batches);
  return std::clamp(warm - steady * static_cast<double>(warm_batches), 0.0, std::max(0.0, warm));
}

nlohmann::json to_json(const EpochCost& c) {
  return {{"epoch", c.epoch},
          {"phase", to_string(c.phase)},
          {"train_j", c.train_j},
          {"train_s", c.train_s},
          {"eval_j", c.eval_j},
          {"eval_s", c.eval_s},
          {"warmup_j", c.warmup_j},
          {"warmup_s", c.warmup_s},
          {"train_cached", c.train_cached},
          {"eval_cached", c.eval_cached}};
}

nlohmann::json to_json(const ProbeCost& p) {
  return {{"steps", p.steps},
          {"frozen_step_j", p.frozen_step_j},
          {"frozen_step_s", p.frozen_step_s},
          {"full_step_j", p.full_step_j},
          {"full_step_s", p.full_step_s},
          {"eval_batch_j", p.eval_batch_j},
          {"eval_batch_s", p.eval_batch_s},
          {"total_j", p.total_j},
          {"total_s", p.total_s}};
}

nlohmann::json to_json(const Forecast& f) {
  return {{"after_epochs", f.after_epochs},
          {"epochs", f.epochs},
          {"spent_j", f.spent_j},
          {"spent_s", f.spent_s},
          {"total_j", f.total_j},
          {"total_s", f.total_s},
          {"cumulative_j", f.cumulative_j},
          {"cumulative_s", f.cumulative_s},
          {"method", f.method}};
}

Forecast forecast_from_json(const nlohmann::json& j) {
  Forecast f;
  f.after_epochs = j.at("after_epochs").get<int64_t>();
  f.epochs = j.at("epochs").get<int64_t>();
  f.spent_j = j.at("spent_j").get<double>();
  f.spent_s = j.at("spent_s").get<double>();
  f.total_j = j.at("total_j").get<double>();
  f.total_s = j.at("total_s").get<double>();
  f.cumulative_j = j.at("cumulative_j").get<std::vector<double>>();
  f.cumulative_s = j.at("cumulative_s").get<std::vector<double>>();
  f.method = j.value("method", std::string());
  return f;
}

nlohmann::json Forecaster::to_json() const {
  nlohmann::json costs = nlohmann::json::array();
  for (const auto& c : costs_) costs.push_back(train::to_json(c));
  nlohmann::json j = {
      {"train_batches", train_batches_}, {"eval_batches", eval_batches_}, {"epoch_costs", costs}};
  if (probe_) j["probe"] = train::to_json(*probe_);
  return j;
}

Forecaster Forecaster::from_json(const nlohmann::json& j, int64_t last_epoch) {
  Forecaster f(j.at("train_batches").get<int64_t>(), j.at("eval_batches").get<int64_t>());
  if (j.contains("probe")) {
    const auto& p = j.at("probe");
    ProbeCost probe;
    probe.steps = p.at("steps").get<int64_t>();
    probe.frozen_step_j = p.at("frozen_step_j").get<double>();
    probe.frozen_step_s = p.at("frozen_step_s").get<double>();
    probe.full_step_j = p.at("full_step_j").get<double>();
    probe.full_step_s = p.at("full_step_s").get<double>();
    probe.eval_batch_j = p.at("eval_batch_j").get<double>();
    probe.eval_batch_s = p.at("eval_batch_s").get<double>();
    probe.total_j = p.at("total_j").get<double>();
    probe.total_s = p.at("total_s").get<double>();
    f.probe_ = probe;
  }
  for (const auto& c : j.at("epoch_costs")) {
    EpochCost e;
    e.epoch = c.at("epoch").get<int64_t>();
    if (e.epoch > last_epoch) continue;
    e.phase = phase_from_string(c.at("phase").get<std::string>());
    e.train_j = c.at("train_j").get<double>();
    e.train_s = c.at("train_s").get<double>();
    e.eval_j = c.at("eval_j").get<double>();
    e.eval_s = c.at("eval_s").get<double>();
    e.warmup_j = c.value("warmup_j", 0.0);
    e.warmup_s = c.value("warmup_s", 0.0);
    e.train_cached = c.value("train_cached", false);
    e.eval_cached = c.value("eval_cached", false);
    f.costs_.push_back(e);
  }
  return f;
}

}  // namespace eden::train
