// RunControl: the energy-aware rules (see run_control.h and docs/energy-aware.md).
#include "eden/train/run_control.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "eden/energy/carbon.h"
#include "eden/util/check.h"
#include "eden/util/units.h"

namespace eden::train {
namespace {

/// Human epoch number (1-based), as the epoch lines print it.
int64_t human(int64_t epoch) {
  return epoch + 1;
}

}  // namespace

ControlSettings ControlSettings::from(const TrainConfig& cfg, int64_t num_classes,
                                      double g_per_kwh) {
  ControlSettings s;
  s.epochs = cfg.epochs;
  s.unfreeze_epoch = cfg.unfreeze_epoch;
  s.max_frozen_epochs =
      cfg.max_frozen_epochs > 0 ? cfg.max_frozen_epochs : std::max<int64_t>(1, cfg.epochs / 2);
  s.full_epoch_gain = cfg.full_epoch_gain;
  if (!cfg.energy_budget.empty())
    s.energy_budget_j = parse_energy_j(cfg.energy_budget, "--energy-budget");
  if (!cfg.co2_budget.empty()) s.co2_budget_kg = parse_mass_kg(cfg.co2_budget, "--co2-budget");
  if (!cfg.time_budget.empty())
    s.time_budget_s = parse_duration_s(cfg.time_budget, "--time-budget");
  s.target_accuracy = cfg.target_accuracy;
  s.plateau = cfg.early_stop == "plateau";
  s.patience = cfg.patience;
  s.min_gain_per_kj = cfg.min_gain_per_kj;
  s.num_classes = std::max<int64_t>(1, num_classes);
  s.pue = cfg.pue;
  s.g_per_kwh = g_per_kwh;
  return s;
}

RunControl::RunControl(ControlSettings settings, Forecaster forecaster)
    : settings_(settings),
      forecaster_(std::move(forecaster)),
      unfreeze_epoch_(settings.auto_unfreeze() ? kUnfreezeUndecided : settings.unfreeze_epoch) {}

double RunControl::co2_kg(double energy_j) const {
  return energy::co2_kg(energy_j, settings_.g_per_kwh, settings_.pue);
}

std::string RunControl::phase_reason(int64_t epoch) const {
  const Phase p = phase_of(epoch);
  if (!settings_.auto_unfreeze()) {
    if (settings_.unfreeze_epoch == 0) return "fixed: no frozen epochs (unfreeze_epoch 0)";
    return p == Phase::kFrozen
               ? fmt::format("fixed: frozen for the first {} epoch{} (unfreeze_epoch {})",
                             settings_.unfreeze_epoch, settings_.unfreeze_epoch == 1 ? "" : "s",
                             settings_.unfreeze_epoch)
               : fmt::format("fixed: unfrozen from epoch {} (unfreeze_epoch {})",
                             human(settings_.unfreeze_epoch), settings_.unfreeze_epoch);
  }
  if (epoch == 0) return "auto: the first epoch trains the head only";
  if (p == Phase::kFull && epoch > unfreeze_epoch_) {
    return fmt::format("auto: unfrozen from epoch {}", human(unfreeze_epoch_));
  }
  // The decision at the end of the epoch before says why.
  for (const auto& d : decisions_) {
    if (d.epoch == epoch - 1) {
      return fmt::format("auto: {}: {}", p == Phase::kFrozen ? "still frozen" : "unfrozen",
                         d.numbers.value("why", std::string("?")));
    }
  }
  return p == Phase::kFrozen ? "auto: frozen" : "auto: unfrozen";
}

std::vector<Phase> RunControl::probe_phases(int64_t start_epoch) const {
  std::vector<Phase> out;
  if (start_epoch >= settings_.epochs) return out;
  const bool frozen_ahead = phase_of(start_epoch) == Phase::kFrozen;
  if (frozen_ahead) out.push_back(Phase::kFrozen);
  // A frozen epoch ahead may be followed by full ones (auto: at any epoch).
  if (!frozen_ahead || settings_.auto_unfreeze() || unfreeze_epoch_ < settings_.epochs) {
    out.push_back(Phase::kFull);
  }
  return out;
}

bool RunControl::needs_probe(int64_t start_epoch) const {
  if (start_epoch >= settings_.epochs || forecaster_.probe()) return false;
  if (settings_.has_budget() && forecaster_.epochs().empty()) return true;
  const auto phases = probe_phases(start_epoch);
  if (phases.size() < 2) return false;  // one phase ahead: its first epoch measures it
  return !forecaster_.rate(Phase::kFull).known;
}

int64_t RunControl::projected_unfreeze(int64_t from) const {
  const int64_t cap = settings_.max_frozen_epochs;
  const int64_t n = static_cast<int64_t>(outcomes_.size());
  const auto full = forecaster_.epoch_cost(Phase::kFull);
  if (n < 2 || !full) return from;  // fewer than two frozen gains: no trend to extrapolate
  const auto& last = outcomes_[static_cast<size_t>(n - 1)];
  const auto& prev = outcomes_[static_cast<size_t>(n - 2)];
  const double before = n >= 3 ? outcomes_[static_cast<size_t>(n - 3)].top1
                               : 1.0 / static_cast<double>(settings_.num_classes);
  const double g_last = last.top1 - prev.top1, g_prev = prev.top1 - before;
  if (g_last <= 0.0 || g_prev <= 0.0) return from;
  const double ratio = std::min(g_last / g_prev, 0.99);
  const double frozen_j = last.cost.train_j - last.cost.warmup_j + last.cost.eval_j;
  double acc = last.top1, gain = g_last;
  for (int64_t e = n; e < std::min(cap, settings_.epochs); ++e) {
    // The rule at the end of epoch e - 1 compares that epoch's gain per J with a full epoch's.
    if (e >= from && gain / frozen_j < settings_.full_epoch_gain * (1.0 - acc) / full->first) {
      return e;
    }
    gain *= ratio;
    acc += gain;
  }
  return std::max(from, std::min(cap, settings_.epochs));
}

std::vector<Phase> RunControl::plan(int64_t from, Phase next) const {
  std::vector<Phase> out;
  // An undecided auto run: unfreezing where the frozen gains' geometric trend meets the rule.
  const bool undecided = settings_.auto_unfreeze() && unfreeze_epoch_ == kUnfreezeUndecided;
  const int64_t unfreeze = undecided ? projected_unfreeze(from + 1) : unfreeze_epoch_;
  for (int64_t e = from; e < settings_.epochs; ++e) {
    if (e == from) {
      out.push_back(next);
    } else {
      out.push_back(e < unfreeze ? Phase::kFrozen : Phase::kFull);
    }
  }
  return out;
}

std::optional<Forecast> RunControl::begin(int64_t start_epoch, double spent_j, double spent_s) {
  if (start_epoch >= settings_.epochs) return std::nullopt;
  // A resume keeps the forecast the last epoch made.
  for (const auto& x : forecasts_) {
    if (x.after_epochs == start_epoch) return x;
  }
  auto f =
      forecaster_.forecast(start_epoch, plan(start_epoch, phase_of(start_epoch)), spent_j, spent_s);
  if (!f) return f;
  forecasts_.push_back(*f);
  if (settings_.has_budget() && start_epoch == 0) {
    Decision d;
    const std::string crossed = crossed_budget(spent_j, spent_s, f->cumulative_j.front() - spent_j,
                                               f->cumulative_s.front() - spent_s, d);
    EDEN_CHECK(crossed.empty(), "--",
               crossed == stop_reason::kEnergyBudget ? "energy"
               : crossed == stop_reason::kCo2Budget  ? "co2"
                                                     : "time",
               "-budget: ", d.detail, " (", f->method,
               "); nothing was trained; hint: raise the budget or train a smaller model or "
               "fewer images");
  }
  return f;
}

bool RunControl::decide_unfreeze(int64_t epoch, const EpochOutcome& o, Decision& d) const {
  const int64_t frozen_done = epoch + 1;
  const bool capped = frozen_done >= settings_.max_frozen_epochs;
  const bool first = epoch == 0;
  const double before = first ? 1.0 / static_cast<double>(settings_.num_classes)
                              : outcomes_[static_cast<size_t>(epoch - 1)].top1;
  const double frozen_j = o.cost.train_j - o.cost.warmup_j + o.cost.eval_j;
  const double gain = o.top1 - before;
  const double frozen_per_kj = gain / std::max(1e-9, frozen_j / 1000.0);
  const auto full = forecaster_.epoch_cost(Phase::kFull);
  const PhaseRate full_rate = forecaster_.rate(Phase::kFull);
  d.numbers["accuracy_before"] = before;
  d.numbers["accuracy_before_source"] = first ? "chance level (1 / classes)" : "previous epoch";
  d.numbers["accuracy"] = o.top1;
  d.numbers["frozen_epoch_j"] = frozen_j;
  d.numbers["frozen_gain_per_kj"] = frozen_per_kj;
  d.numbers["max_frozen_epochs"] = settings_.max_frozen_epochs;
  const std::string cap_text =
      fmt::format("cap reached: {} frozen epoch{} (max_frozen_epochs {})", frozen_done,
                  frozen_done == 1 ? "" : "s", settings_.max_frozen_epochs);
  if (!full) {  // no probe and no full epoch: nothing to compare with; the cap decides
    d.numbers["why"] = capped ? cap_text : "no full-epoch cost known: frozen until the cap";
    d.numbers["rule"] = capped ? "max_frozen_epochs" : "no-estimate";
    return capped;
  }
  const double expected_gain = settings_.full_epoch_gain * (1.0 - o.top1);
  const double expected_per_kj = expected_gain / std::max(1e-9, full->first / 1000.0);
  d.numbers["full_epoch_j"] = full->first;
  d.numbers["full_epoch_j_method"] = full_rate.method;
  d.numbers["full_epoch_gain"] = settings_.full_epoch_gain;
  d.numbers["expected_full_gain"] = expected_gain;
  d.numbers["expected_full_gain_per_kj"] = expected_per_kj;
  const bool rule = frozen_per_kj < expected_per_kj;
  const std::string comparison = fmt::format(
      "frozen epoch {} gained {:.4g} top-1 per kJ ({:+.4f} over {}) {} {:.4g} per kJ expected "
      "of a full epoch ({:.2g} x the remaining error {:.4f} over {})",
      human(epoch), frozen_per_kj, gain, energy_text(frozen_j), rule ? "<" : ">=", expected_per_kj,
      settings_.full_epoch_gain, 1.0 - o.top1, energy_text(full->first));
  d.numbers["rule"] = !rule && capped ? "max_frozen_epochs" : "gain_per_kj";
  d.numbers["why"] = rule || !capped ? comparison : cap_text + "; " + comparison;
  return rule || capped;
}

bool RunControl::plateaued(int64_t epoch, Decision& d) const {
  const int64_t p = settings_.patience;
  if (epoch - p < 0) return false;  // needs a reference epoch before the window
  double window_j = 0.0, window_best = 0.0, before_best = 0.0;
  for (int64_t e = epoch - p + 1; e <= epoch; ++e) {
    const auto& o = outcomes_[static_cast<size_t>(e)];
    if (o.cost.phase != Phase::kFull) return false;  // a frozen plateau precedes the unfreeze
    window_j += o.cost.train_j + o.cost.eval_j;
    window_best = std::max(window_best, o.top1);
  }
  for (int64_t e = 0; e <= epoch - p; ++e) {
    before_best = std::max(before_best, outcomes_[static_cast<size_t>(e)].top1);
  }
  const double gain = window_best - before_best;
  const double per_kj = gain / std::max(1e-9, window_j / 1000.0);
  const bool stop = gain <= 0.0 || per_kj < settings_.min_gain_per_kj;
  d.numbers["plateau"] = {{"patience", p},
                          {"best_before", before_best},
                          {"best_in_window", window_best},
                          {"window_j", window_j},
                          {"gain_per_kj", per_kj},
                          {"min_gain_per_kj", settings_.min_gain_per_kj}};
  if (stop) {
    d.detail = fmt::format(
        "plateau: the last {} epochs raised the best top-1 from {:.4f} to {:.4f} for {} "
        "({:.4g} per kJ, {} {:.4g})",
        p, before_best, std::max(window_best, before_best), energy_text(window_j), per_kj,
        gain <= 0.0 ? "no gain; threshold" : "below", settings_.min_gain_per_kj);
  }
  return stop;
}

std::string RunControl::crossed_budget(double spent_j, double spent_s, double cost_j, double cost_s,
                                       Decision& d) const {
  const double after_j = spent_j + cost_j;
  if (settings_.energy_budget_j > 0) {
    const double used = facility_j(spent_j), next = facility_j(after_j);
    d.numbers["energy_budget"] = {
        {"budget_j", settings_.energy_budget_j}, {"spent_j", used}, {"after_next_epoch_j", next}};
    if (next > settings_.energy_budget_j) {
      d.detail = fmt::format(
          "energy budget {}: {} spent, the next epoch is forecast at {} and would reach {}",
          energy_text(settings_.energy_budget_j), energy_text(used), energy_text(next - used),
          energy_text(next));
      return stop_reason::kEnergyBudget;
    }
  }
  if (settings_.co2_budget_kg > 0) {
    const double used = co2_kg(spent_j), next = co2_kg(after_j);
    d.numbers["co2_budget"] = {
        {"budget_kg", settings_.co2_budget_kg}, {"spent_kg", used}, {"after_next_epoch_kg", next}};
    if (next > settings_.co2_budget_kg) {
      d.detail = fmt::format(
          "CO2 budget {}: {} spent, the next epoch would reach {} ({:.4g} gCO2e/kWh, PUE {:.3g})",
          co2_text(settings_.co2_budget_kg), co2_text(used), co2_text(next), settings_.g_per_kwh,
          settings_.pue);
      return stop_reason::kCo2Budget;
    }
  }
  if (settings_.time_budget_s > 0) {
    const double next = spent_s + cost_s;
    d.numbers["time_budget"] = {
        {"budget_s", settings_.time_budget_s}, {"spent_s", spent_s}, {"after_next_epoch_s", next}};
    if (next > settings_.time_budget_s) {
      d.detail = fmt::format(
          "time budget {}: {} spent, the next epoch is forecast at {} and would reach {}",
          duration_text(settings_.time_budget_s), duration_text(spent_s), duration_text(cost_s),
          duration_text(next));
      return stop_reason::kTimeBudget;
    }
  }
  return "";
}

Decision RunControl::end_epoch(int64_t epoch, const EpochOutcome& o) {
  EDEN_ASSERT(epoch == static_cast<int64_t>(outcomes_.size()), "epoch ", epoch, " after ",
              outcomes_.size(), " outcomes");
  outcomes_.push_back(o);
  EpochCost cost = o.cost;
  cost.epoch = epoch;
  forecaster_.add_epoch(cost);
  Decision d;
  d.epoch = epoch;
  const int64_t done = epoch + 1;

  if (settings_.target_accuracy > 0 && !target_epoch_ && o.top1 >= settings_.target_accuracy) {
    target_epoch_ = epoch;
    target_j_ = o.spent_j;
    target_s_ = o.spent_s;
    d.stop_reason = stop_reason::kTargetAccuracy;
    d.detail = fmt::format(
        "target accuracy {:.4g} reached at epoch {} (eval top-1 {:.4f}) after {} and {}",
        settings_.target_accuracy, human(epoch), o.top1, energy_text(o.spent_j),
        duration_text(o.spent_s));
  }

  // The phase of the next epoch.
  d.next_phase = phase_of(epoch + 1);
  if (done < settings_.epochs && settings_.auto_unfreeze() &&
      unfreeze_epoch_ == kUnfreezeUndecided) {
    if (decide_unfreeze(epoch, o, d)) {
      unfreeze_epoch_ = epoch + 1;
      unfreeze_reason_ =
          fmt::format("unfrozen from epoch {}: {}", human(epoch + 1), d.numbers.value("why", ""));
      d.next_phase = Phase::kFull;
    } else {
      d.next_phase = Phase::kFrozen;
    }
  }

  // The forecast of the whole run, as planned now.
  if (auto f = forecaster_.forecast(done, plan(done, d.next_phase), o.spent_j, o.spent_s)) {
    forecasts_.erase(std::remove_if(forecasts_.begin(), forecasts_.end(),
                                    [&](const Forecast& x) { return x.after_epochs >= done; }),
                     forecasts_.end());
    forecasts_.push_back(*f);
    if (d.stop_reason.empty() && done < settings_.epochs) {
      if (settings_.plateau && plateaued(epoch, d)) {
        d.stop_reason = stop_reason::kPlateau;
      } else if (settings_.has_budget()) {
        d.stop_reason = crossed_budget(o.spent_j, o.spent_s, f->cumulative_j.front() - o.spent_j,
                                       f->cumulative_s.front() - o.spent_s, d);
      }
    }
  } else if (d.stop_reason.empty() && done < settings_.epochs && settings_.plateau &&
             plateaued(epoch, d)) {
    d.stop_reason = stop_reason::kPlateau;
  }
  if (d.stop_reason.empty() && done >= settings_.epochs) {
    d.stop_reason = stop_reason::kEpochs;
    d.detail = fmt::format("all {} epochs trained", settings_.epochs);
  }
  decisions_.erase(std::remove_if(decisions_.begin(), decisions_.end(),
                                  [&](const Decision& x) { return x.epoch >= epoch; }),
                   decisions_.end());
  decisions_.push_back(d);
  if (!d.stop_reason.empty()) finish(done, o.spent_j, o.spent_s);
  return d;
}

void RunControl::finish(int64_t epochs_done, double actual_j, double actual_s) {
  errors_ = nlohmann::json::array();
  for (const auto& f : forecasts_) {
    if (f.after_epochs >= epochs_done) continue;  // made at the end: nothing left to predict
    const double pred_j = f.cumulative_j_at(epochs_done);
    const double pred_s = f.cumulative_s_at(epochs_done);
    errors_.push_back({{"after_epochs", f.after_epochs},
                       {"forecast_total_j", f.total_j},
                       {"forecast_epochs", f.epochs},
                       {"predicted_j", pred_j},
                       {"predicted_s", pred_s},
                       {"actual_j", actual_j},
                       {"actual_s", actual_s},
                       {"error_j", actual_j > 0 ? pred_j / actual_j - 1.0 : 0.0},
                       {"error_s", actual_s > 0 ? pred_s / actual_s - 1.0 : 0.0}});
  }
}

void RunControl::skip_epochs(int64_t n) {
  while (static_cast<int64_t>(outcomes_.size()) < n) outcomes_.emplace_back();
}

const Decision* RunControl::final_decision() const {
  if (decisions_.empty() || decisions_.back().stop_reason.empty()) return nullptr;
  return &decisions_.back();
}

namespace {

nlohmann::json decision_json(const Decision& d) {
  return {{"epoch", d.epoch},
          {"next_phase", to_string(d.next_phase)},
          {"stop_reason", d.stop_reason},
          {"detail", d.detail},
          {"numbers", d.numbers}};
}

}  // namespace

nlohmann::json RunControl::to_json() const {
  nlohmann::json outcomes = nlohmann::json::array();
  for (const auto& o : outcomes_) {
    outcomes.push_back({{"top1", o.top1}, {"spent_j", o.spent_j}, {"spent_s", o.spent_s}});
  }
  nlohmann::json forecasts = nlohmann::json::array();
  for (const auto& f : forecasts_) forecasts.push_back(train::to_json(f));
  nlohmann::json decisions = nlohmann::json::array();
  for (const auto& d : decisions_) decisions.push_back(decision_json(d));
  nlohmann::json j = {
      {"settings",
       {{"unfreeze", settings_.auto_unfreeze() ? "auto" : std::to_string(settings_.unfreeze_epoch)},
        {"max_frozen_epochs", settings_.max_frozen_epochs},
        {"full_epoch_gain", settings_.full_epoch_gain},
        {"energy_budget_j", settings_.energy_budget_j},
        {"co2_budget_kg", settings_.co2_budget_kg},
        {"time_budget_s", settings_.time_budget_s},
        {"target_accuracy", settings_.target_accuracy},
        {"early_stop", settings_.plateau ? "plateau" : "off"},
        {"patience", settings_.patience},
        {"min_gain_per_kj", settings_.min_gain_per_kj},
        {"pue", settings_.pue},
        {"carbon_intensity_g_per_kwh", settings_.g_per_kwh}}},
      {"unfreeze_epoch", unfreeze_epoch_ == kUnfreezeUndecided ? nlohmann::json(nullptr)
                                                               : nlohmann::json(unfreeze_epoch_)},
      {"unfreeze_reason", unfreeze_reason_},
      {"forecaster", forecaster_.to_json()},
      {"outcomes", outcomes},
      {"forecasts", forecasts},
      {"decisions", decisions}};
  if (!errors_.is_null()) j["forecast_errors"] = errors_;
  return j;
}

RunControl RunControl::from_json(ControlSettings settings, const nlohmann::json& j,
                                 int64_t last_epoch) {
  RunControl c(settings, Forecaster::from_json(j.at("forecaster"), last_epoch));
  const auto& outcomes = j.at("outcomes");
  for (int64_t e = 0; e <= last_epoch && e < static_cast<int64_t>(outcomes.size()); ++e) {
    const auto& o = outcomes.at(static_cast<size_t>(e));
    EpochOutcome out;
    out.top1 = o.at("top1").get<double>();
    out.spent_j = o.at("spent_j").get<double>();
    out.spent_s = o.at("spent_s").get<double>();
    for (const auto& cost : c.forecaster_.epochs()) {
      if (cost.epoch == e) out.cost = cost;
    }
    c.outcomes_.push_back(out);
    if (settings.target_accuracy > 0 && !c.target_epoch_ && out.top1 >= settings.target_accuracy) {
      c.target_epoch_ = e;
      c.target_j_ = out.spent_j;
      c.target_s_ = out.spent_s;
    }
  }
  EDEN_CHECK(static_cast<int64_t>(c.outcomes_.size()) == last_epoch + 1,
             "run.json: the control state covers ", c.outcomes_.size(), " epochs, the checkpoint ",
             last_epoch + 1, "; hint: the run directory was edited");
  for (const auto& f : j.at("forecasts")) {
    Forecast fc = forecast_from_json(f);
    if (fc.after_epochs <= last_epoch + 1) c.forecasts_.push_back(fc);
  }
  for (const auto& dj : j.at("decisions")) {
    Decision d;
    d.epoch = dj.at("epoch").get<int64_t>();
    if (d.epoch > last_epoch) continue;
    d.next_phase = phase_from_string(dj.at("next_phase").get<std::string>());
    d.stop_reason = dj.value("stop_reason", std::string());
    d.detail = dj.value("detail", std::string());
    d.numbers = dj.value("numbers", nlohmann::json::object());
    c.decisions_.push_back(d);
  }
  if (settings.auto_unfreeze() && j.contains("unfreeze_epoch") && j["unfreeze_epoch"].is_number() &&
      j["unfreeze_epoch"].get<int64_t>() <= last_epoch + 1) {
    c.unfreeze_epoch_ = j["unfreeze_epoch"].get<int64_t>();
    c.unfreeze_reason_ = j.value("unfreeze_reason", std::string());
  }
  if (j.contains("forecast_errors") && c.final_decision() != nullptr) {
    c.errors_ = j["forecast_errors"];
  }
  return c;
}

nlohmann::json RunControl::metrics() const {
  nlohmann::json m;
  if (const Decision* d = final_decision()) {
    m["stop_reason"] = d->stop_reason;
    m["stop_detail"] = d->detail;
  }
  nlohmann::json unfreeze = {{"mode", settings_.auto_unfreeze() ? "auto" : "fixed"}};
  unfreeze["epoch"] = unfreeze_epoch_ == kUnfreezeUndecided ? nlohmann::json(nullptr)
                                                            : nlohmann::json(unfreeze_epoch_);
  if (settings_.auto_unfreeze()) {
    unfreeze["reason"] = unfreeze_reason_;
    unfreeze["max_frozen_epochs"] = settings_.max_frozen_epochs;
    unfreeze["full_epoch_gain"] = settings_.full_epoch_gain;
  }
  m["unfreeze"] = unfreeze;
  if (settings_.target_accuracy > 0) {
    m["target_accuracy"] = settings_.target_accuracy;
    m["energy_to_accuracy_j"] = target_epoch_ ? nlohmann::json(target_j_) : nlohmann::json(nullptr);
    m["time_to_accuracy_s"] = target_epoch_ ? nlohmann::json(target_s_) : nlohmann::json(nullptr);
    m["target_reached_epoch"] =
        target_epoch_ ? nlohmann::json(*target_epoch_ + 1) : nlohmann::json(nullptr);
  }
  if (settings_.has_budget()) {
    nlohmann::json b = nlohmann::json::object();
    if (settings_.energy_budget_j > 0) b["energy_j"] = settings_.energy_budget_j;
    if (settings_.co2_budget_kg > 0) b["co2_kg"] = settings_.co2_budget_kg;
    if (settings_.time_budget_s > 0) b["time_s"] = settings_.time_budget_s;
    m["budgets"] = b;
  }
  // The forecast after the first epoch: the one users see first, and its error.
  for (const auto& f : forecasts_) {
    if (f.after_epochs != 1) continue;
    nlohmann::json fj = {{"after_epochs", 1},
                         {"epochs", f.epochs},
                         {"total_j", f.total_j},
                         {"total_s", f.total_s},
                         {"total_kwh", facility_j(f.total_j) / energy::kJoulesPerKwh},
                         {"total_co2_kg", co2_kg(f.total_j)},
                         {"method", f.method}};
    if (errors_.is_array()) {
      for (const auto& e : errors_) {
        if (e.value("after_epochs", int64_t{-1}) != 1) continue;
        fj["predicted_j"] = e["predicted_j"];
        fj["actual_j"] = e["actual_j"];
        fj["error_j"] = e["error_j"];
        fj["error_s"] = e["error_s"];
      }
    }
    m["forecast_after_epoch_1"] = fj;
  }
  return m;
}

}  // namespace eden::train
