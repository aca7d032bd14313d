// EnergyController: measurement plumbing and decisions on every rank (see energy_controller.h).
#include "eden/train/energy_controller.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "eden/util/check.h"

namespace eden::train {
namespace {

/// Each phase's probe times at least this many steps, and more until the window is long enough
/// to measure (sub-second windows scatter by 20% on a shared VM, and estimated meters integrate
/// utilisation ticks), within 4% of an epoch's batches.
constexpr int64_t kProbeMinSteps = 3;
constexpr double kProbeMinWindowS = 1.0;
constexpr int64_t kProbeEpochShare = 25;  // 1/25 = 4%

/// Batches at the start of a phase's first epoch whose excess cost counts as warm-up.
int64_t warm_batches(int64_t batches) {
  return batches >= 10 ? std::min<int64_t>(5, batches / 10) : 0;
}

}  // namespace

EnergyController::EnergyController(std::optional<RunControl> control, Trainer& trainer,
                                   EnergyRecorder& energy, dist::ProcessGroup* group,
                                   std::FILE* out)
    : control_(std::move(control)), trainer_(trainer), energy_(energy), group_(group), out_(out) {
  EDEN_ASSERT(control_.has_value() == (group_ == nullptr || group_->rank() == 0),
              "the run control belongs to rank 0");
}

std::string EnergyController::shared(const std::string& text) {
  return group_ == nullptr ? text : group_->all_gather_strings(text).front();
}

std::string EnergyController::describe(const Forecast& f, bool with_remaining) const {
  const double total = control_->facility_j(f.total_j);
  std::string out =
      fmt::format("{}, {}, {} for {} epoch{}", energy_text(total), duration_text(f.total_s),
                  co2_text(control_->co2_kg(f.total_j)), f.epochs, f.epochs == 1 ? "" : "s");
  if (with_remaining && f.after_epochs > 0 && f.epochs > f.after_epochs) {
    out += fmt::format(" ({}, {}, {} left)", energy_text(control_->facility_j(f.remaining_j())),
                       duration_text(f.remaining_s()), co2_text(control_->co2_kg(f.remaining_j())));
  }
  return out;
}

void EnergyController::begin(int64_t start_epoch, data::BatchLoader& train,
                             data::BatchLoader& eval) {
  // Rank 0 decides what to probe; every rank probes (the windows are gathered).
  nlohmann::json plan;
  if (control_) {
    nlohmann::json phases = nlohmann::json::array();
    if (control_->needs_probe(start_epoch)) {
      for (const Phase p : control_->probe_phases(start_epoch)) phases.push_back(to_string(p));
    }
    const int64_t u = control_->unfreeze_epoch();
    plan = {{"unfreeze", u}, {"probe", phases}};
  }
  plan = nlohmann::json::parse(shared(control_ ? plan.dump() : std::string()));
  trainer_.set_unfreeze_epoch(plan.at("unfreeze").get<int64_t>());

  if (!plan.at("probe").empty()) {
    ProbeCost probe;
    const int64_t max_steps =
        std::max<int64_t>(kProbeMinSteps, train.num_batches() / kProbeEpochShare);
    const auto batch = train.batch(0);
    const auto eval_batch = eval.batch(0);
    std::vector<Phase> phases;
    for (const auto& name : plan.at("probe")) {
      phases.push_back(phase_from_string(name.get<std::string>()));
    }
    // Every kernel path warm first (the first steps of a process pay allocator growth, thread
    // start-up and kernel selection), then each phase timed on its own.
    const auto warm = energy_.measure_one_off("probe", [&] {
      for (const Phase phase : phases) trainer_.probe_train_steps(batch, phase, 1);
      trainer_.probe_eval_batch(eval_batch);
    });
    probe.total_j += warm.energy_j();
    probe.total_s += warm.duration_s;
    for (const Phase phase : phases) {
      int64_t steps = 0;
      const auto m = energy_.measure_one_off("probe", [&] {
        // Enough steps for the meters' resolution, at most 4% of an epoch.
        steps =
            trainer_.probe_train_steps(batch, phase, kProbeMinSteps, kProbeMinWindowS, max_steps);
      });
      const double n = static_cast<double>(steps);
      probe.set_step(phase, m.energy_j() / n, m.duration_s / n);
      probe.steps = std::max(probe.steps, steps);
      probe.total_j += m.energy_j();
      probe.total_s += m.duration_s;
    }
    const auto m = energy_.measure_one_off("probe", [&] { trainer_.probe_eval_batch(eval_batch); });
    probe.eval_batch_j = m.energy_j();
    probe.eval_batch_s = m.duration_s;
    probe.total_j += m.energy_j();
    probe.total_s += m.duration_s;
    if (control_) control_->forecaster().set_probe(probe);
  }

  std::string error;
  if (control_) {
    const auto [spent_j, spent_s] = energy_.spent();
    try {
      const auto f = control_->begin(start_epoch, spent_j, spent_s);
      if (f && out_ != nullptr && f->after_epochs == 0) {
        fmt::print(out_, "forecast at start: {} ({})\n", describe(*f, false), f->method);
        std::fflush(out_);
      }
    } catch (const Error& e) {
      error = e.what();
    }
  }
  error = shared(error);
  EDEN_CHECK(error.empty(), error);
}

void EnergyController::on_train_begin(int64_t /*epoch*/, int64_t num_batches) {
  const int idx = trainer_.phase() == Phase::kFrozen ? 0 : 1;
  warm_batches_ = seen_phase_[idx] ? 0 : warm_batches(num_batches);
  seen_phase_[idx] = true;
  num_batches_ = num_batches;
  warm_.reset();
  whole_.reset();
}

void EnergyController::on_batch_end(int64_t batch, int64_t num_batches, int64_t /*images*/) {
  if (warm_batches_ == 0) return;
  if (batch == warm_batches_ - 1) warm_ = energy_.peek_train();
  if (batch == num_batches - 1) whole_ = energy_.peek_train();
}

void EnergyController::on_epoch_end(const EpochStats& stats) {
  EpochCost cost;
  cost.epoch = stats.epoch;
  cost.phase = stats.phase;
  cost.train_j = energy_.last_train().energy_j();
  cost.train_s = energy_.last_train().duration_s;
  cost.eval_j = energy_.last_eval().energy_j();
  cost.eval_s = energy_.last_eval().duration_s;
  cost.train_cached = stats.train_features == "cached";
  cost.eval_cached = stats.eval_features == "cached";
  if (warm_ && whole_ && whole_->energy_j() > 0 && whole_->duration_s > 0) {
    // This rank's share of warm-up, applied to the window summed over the ranks.
    cost.warmup_j =
        cost.train_j *
        warmup_excess(warm_->energy_j(), whole_->energy_j(), warm_batches_, num_batches_) /
        whole_->energy_j();
    cost.warmup_s =
        cost.train_s *
        warmup_excess(warm_->duration_s, whole_->duration_s, warm_batches_, num_batches_) /
        whole_->duration_s;
  }

  nlohmann::json decided;
  if (control_) {
    const auto [spent_j, spent_s] = energy_.spent();
    phase_reason_ = control_->phase_reason(stats.epoch);
    const Decision d =
        control_->end_epoch(stats.epoch, EpochOutcome{stats.eval.top1, cost, spent_j, spent_s});
    decided = {{"unfreeze", control_->unfreeze_epoch()}, {"stop", d.stop_reason}};

    suffix_.clear();
    lines_.clear();
    last_forecast_.reset();
    const int64_t done = stats.epoch + 1;
    for (const auto& f : control_->forecasts()) {
      if (f.after_epochs == done) last_forecast_ = f;
    }
    if (last_forecast_ && done < last_forecast_->epochs) {
      suffix_ = fmt::format(" | forecast {}", describe(*last_forecast_, true));
      if (done == 1) {
        lines_ += fmt::format("forecast: {} ({})\n", describe(*last_forecast_, false),
                              last_forecast_->method);
      }
    }
    if (control_->settings().auto_unfreeze() && d.numbers.contains("why")) {
      lines_ += fmt::format("unfreeze auto: {} for epoch {}: {}\n",
                            d.next_phase == Phase::kFull ? "backbone unfrozen" : "still frozen",
                            done + 1, d.numbers.value("why", std::string()));
    }
    decision_ =
        d.stop_reason.empty()
            ? (d.numbers.contains("why") && d.next_phase == Phase::kFull ? "unfreeze" : "continue")
            : "stop: " + d.stop_reason;
    if (!d.stop_reason.empty() && d.stop_reason != stop_reason::kEpochs) {
      lines_ += fmt::format("stop after epoch {} ({}): {}\n", done, d.stop_reason, d.detail);
    }
  }
  decided = nlohmann::json::parse(shared(control_ ? decided.dump() : std::string()));
  trainer_.set_unfreeze_epoch(decided.at("unfreeze").get<int64_t>());
  if (!decided.at("stop").get<std::string>().empty()) trainer_.request_stop();
}

void EnergyController::add_columns(report::CsvRow& row) const {
  row.emplace_back("phase_reason", phase_reason_);
  row.emplace_back("forecast_j",
                   last_forecast_ ? fmt::format("{:.6g}", last_forecast_->total_j) : "");
  row.emplace_back("forecast_s",
                   last_forecast_ ? fmt::format("{:.6g}", last_forecast_->total_s) : "");
  row.emplace_back("decision", decision_);
}

void EnergyController::add_metrics(nlohmann::json& metrics) const {
  if (!control_) return;
  metrics.update(control_->metrics());
}

nlohmann::json EnergyController::state() const {
  return control_ ? control_->to_json() : nlohmann::json();
}

}  // namespace eden::train
