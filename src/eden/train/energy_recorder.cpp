// EnergyRecorder: the bridge between the trainer's callbacks and eden::energy.
#include "eden/train/energy_recorder.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>

#include "eden/energy/emissions_csv.h"
#include "eden/energy/report.h"
#include "eden/train/run.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"
#include "eden/util/system.h"
#include "eden/util/torch_compat.h"

namespace eden::train {
namespace {

std::string fmt_j(double v) {
  return fmt::format("{:.6g}", v);
}

/// "measured", "estimated" or "mixed" over a set of component sources.
std::string combined_source(const std::map<std::string, std::string>& sources) {
  bool measured = false, estimated = false;
  for (const auto& [key, src] : sources) {
    measured = measured || src == "measured";
    estimated = estimated || src == "estimated";
  }
  if (measured && estimated) return "mixed";
  return measured ? "measured" : (estimated ? "estimated" : "none");
}

}  // namespace

EnergyRecorder::EnergyRecorder(std::filesystem::path run_dir, energy::CarbonOptions carbon,
                               torch::Device device, double sample_period_s, EnergyTotals previous,
                               dist::ProcessGroup* group)
    : dir_(std::move(run_dir)),
      carbon_(std::move(carbon)),
      totals_(std::move(previous)),
      group_(group) {
  energy::resolve_carbon_intensity(carbon_);  // fail on a bad --country before training
  energy::MonitorOptions options;
  options.sample_period_s = sample_period_s;
  options.sync = [device] { synchronize(device); };
  if (group_ != nullptr) {
    rank_machine_ = group_->all_gather_strings(group_->env().node_name);
    const auto first =
        std::find(rank_machine_.begin(), rank_machine_.end(), group_->env().node_name);
    options.meters.machine_meters = first - rank_machine_.begin() == group_->rank();
    options.print_warnings = group_->rank() == 0;
    rank_j_.assign(rank_machine_.size(), 0.0);
    epoch_rank_j_.assign(rank_machine_.size(), 0.0);
  }
  monitor_ = std::make_unique<energy::EnergyMonitor>(options);
  if (group_ != nullptr) {
    std::string meters;
    for (const auto& st : monitor_->meter_status()) {
      if (st.in_use) meters += (meters.empty() ? "" : ", ") + st.name;
    }
    rank_meters_ = group_->all_gather_strings(meters.empty() ? "none" : meters);
  }
  if (group_ == nullptr || group_->rank() == 0) {  // the run directory's writer keeps it
    double period_s = 5.0;
    if (const char* env = std::getenv("EDEN_ENERGY_JOURNAL_S"); env != nullptr && *env != 0) {
      period_s = std::strtod(env, nullptr);
      EDEN_CHECK(period_s > 0.0 && period_s <= 10.0, "EDEN_ENERGY_JOURNAL_S=", env,
                 ": expected seconds in (0, 10]");
    }
    // A fresh journal for this segment: its first line is what metrics.json (and a recovered
    // loss) already count, so an older segment's lines are never counted twice.
    const auto first = journal_state();
    replace_file_atomic(dir_ / kJournal,
                        [&](const fs::path& tmp) { std::ofstream(tmp) << first.dump() << "\n"; });
    journal_ = std::thread([this, period_s] { journal_loop(period_s); });
  }
}

EnergyRecorder::~EnergyRecorder() {
  if (!journal_.joinable()) return;
  {
    const std::lock_guard<std::mutex> lock(journal_mutex_);
    journal_stop_ = true;
  }
  journal_wake_.notify_all();
  journal_.join();
}

nlohmann::json EnergyRecorder::journal_state() {
  const std::lock_guard<std::mutex> lock(journal_mutex_);
  std::map<std::string, double> component_j = totals_.component_j;
  std::map<std::string, std::string> source = totals_.component_src;
  double spent_j = totals_.energy_j;
  double open_s = 0.0;
  auto add = [&](const energy::Measurement& m) {
    spent_j += m.energy_j();
    for (const auto& c : m.components) {
      component_j[c.component.key()] += c.energy_j;
      source[c.component.key()] = energy::to_string(c.component.source);
    }
  };
  if (pending_train_) add(train_);
  if (pending_eval_) add(eval_);
  for (const char* name : {"train", "eval"}) {
    if (auto m = monitor_->peek_window(name)) {
      add(*m);
      open_s += m->duration_s;
    }
  }
  nlohmann::json components = nlohmann::json::object();
  for (const auto& [key, j] : component_j)
    components[key] = {{"energy_j", j}, {"source", source[key]}};
  return {{"time", utc_timestamp("%Y-%m-%dT%H:%M:%SZ")},
          {"spent_j", spent_j},
          {"open_window_s", open_s},
          {"components", components}};
}

void EnergyRecorder::append_journal(const nlohmann::json& line) const {
  const std::string text = line.dump() + "\n";
  const int fd = ::open((dir_ / kJournal).c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;  // best effort: the journal only refines a resume's energy
  const ssize_t n = ::write(fd, text.data(), text.size());
  (void)n;
  ::fdatasync(fd);
  ::close(fd);
}

void EnergyRecorder::journal_loop(double period_s) {
  std::unique_lock<std::mutex> lock(journal_mutex_);
  while (!journal_stop_) {
    journal_wake_.wait_for(lock, std::chrono::duration<double>(period_s));
    if (journal_stop_) break;
    lock.unlock();
    try {
      append_journal(journal_state());
    } catch (const std::exception& e) {  // a meter error: the training thread reports it
      (void)e;
    }
    lock.lock();
  }
}

EnergyTotals EnergyRecorder::recover_lost(const fs::path& run_dir, EnergyTotals previous) {
  std::ifstream in(run_dir / kJournal);
  nlohmann::json last;
  for (std::string line; std::getline(in, line);) {
    try {
      last = nlohmann::json::parse(line);  // a line cut by the kill does not parse: skipped
    } catch (const nlohmann::json::exception&) {
    }
  }
  if (!last.is_object() || !last.contains("spent_j")) return previous;
  const double lost_j = last.value("spent_j", 0.0) - previous.energy_j;
  if (lost_j <= 1e-9 * std::max(1.0, previous.energy_j)) return previous;
  previous.energy_j += lost_j;
  previous.lost_j += lost_j;
  previous.lost_duration_s += last.value("open_window_s", 0.0);
  previous.duration_s += last.value("open_window_s", 0.0);
  const nlohmann::json components = last.value("components", nlohmann::json::object());
  for (const auto& [key, c] : components.items()) {
    const double j = c.value("energy_j", 0.0);
    if (j > previous.component_j[key]) previous.component_j[key] = j;
    previous.component_src[key] = c.value("source", std::string("estimated"));
  }
  return previous;
}

energy::Measurement EnergyRecorder::gather(const energy::Measurement& mine) {
  if (group_ == nullptr) return mine;
  const auto all = group_->all_gather_strings(energy::to_json(mine).dump());
  const std::set<std::string> machines(rank_machine_.begin(), rank_machine_.end());
  energy::Measurement sum;
  sum.name = mine.name;
  sum.start_s = mine.start_s;
  for (size_t r = 0; r < all.size(); ++r) {
    const auto j = nlohmann::json::parse(all[r]);
    sum.duration_s = std::max(sum.duration_s, j.at("duration_s").get<double>());
    rank_j_[r] += j.at("energy_j").get<double>();
    epoch_rank_j_[r] += j.at("energy_j").get<double>();
    for (const auto& c : j.at("components")) {
      energy::ComponentEnergy ce;
      ce.component.device = (machines.size() > 1 ? rank_machine_[r] + ":" : std::string()) +
                            c.at("device").get<std::string>();
      ce.component.domain = c.at("domain").get<std::string>();
      ce.component.source = c.at("source").get<std::string>() == "measured"
                                ? energy::Source::measured
                                : energy::Source::estimated;
      ce.component.method = c.at("method").get<std::string>();
      ce.energy_j = c.at("energy_j").get<double>();
      sum.components.push_back(ce);
    }
  }
  return sum;
}

void EnergyRecorder::on_train_begin(int64_t /*epoch*/, int64_t /*num_batches*/) {
  monitor_->begin_window("train");
}
void EnergyRecorder::on_train_end(int64_t /*epoch*/) {
  auto m = gather(monitor_->end_window("train"));
  const std::lock_guard<std::mutex> lock(journal_mutex_);
  train_ = std::move(m);
  pending_train_ = true;
}
void EnergyRecorder::on_eval_begin(int64_t /*epoch*/) {
  monitor_->begin_window("eval");
}
void EnergyRecorder::on_eval_end(int64_t /*epoch*/) {
  auto m = gather(monitor_->end_window("eval"));
  const std::lock_guard<std::mutex> lock(journal_mutex_);
  eval_ = std::move(m);
  pending_eval_ = true;
}

void EnergyRecorder::on_interrupted(int64_t /*epoch*/) {
  // Every rank stops at the same step (the stop is agreed), so the windows match for gather.
  std::vector<energy::Measurement> closed;
  for (const char* name : {"train", "eval"}) {
    if (monitor_->is_window_open(name)) closed.push_back(gather(monitor_->end_window(name)));
  }
  const std::lock_guard<std::mutex> lock(journal_mutex_);
  if (pending_train_) closed.push_back(train_);  // stopped in evaluation: its training is lost
  pending_train_ = pending_eval_ = false;
  for (const auto& m : closed) {
    lost_.duration_s += m.duration_s;
    lost_.components.insert(lost_.components.end(), m.components.begin(), m.components.end());
  }
}

energy::Measurement EnergyRecorder::measure_one_off(const std::string& name,
                                                    const std::function<void()>& work) {
  monitor_->begin_window(name);
  work();
  auto m = gather(monitor_->end_window(name));
  std::fill(epoch_rank_j_.begin(), epoch_rank_j_.end(), 0.0);  // not an epoch's energy
  const std::lock_guard<std::mutex> lock(journal_mutex_);
  add_to_totals(m, nullptr);
  totals_.probe_j += m.energy_j();
  totals_.probe_duration_s += m.duration_s;
  return m;
}

std::pair<double, double> EnergyRecorder::spent() {
  const std::lock_guard<std::mutex> lock(journal_mutex_);
  double j = totals_.energy_j, s = totals_.duration_s;
  if (pending_train_) {
    j += train_.energy_j();
    s += train_.duration_s;
  }
  if (pending_eval_) {
    j += eval_.energy_j();
    s += eval_.duration_s;
  }
  return {j, s};
}

void EnergyRecorder::add_to_totals(const energy::Measurement& m,
                                   std::map<std::string, std::string>* sources) {
  totals_.energy_j += m.energy_j();
  totals_.duration_s += m.duration_s;
  for (const auto& c : m.components) {
    const auto key = c.component.key();
    totals_.component_j[key] += c.energy_j;
    totals_.component_src[key] = energy::to_string(c.component.source);
    if (sources != nullptr) (*sources)[key] = energy::to_string(c.component.source);
  }
}

void EnergyRecorder::record_epoch(report::CsvRow& row, nlohmann::json& metrics) {
  const double epoch_j = train_.energy_j() + eval_.energy_j();
  const double epoch_s = train_.duration_s + eval_.duration_s;
  std::map<std::string, std::string> epoch_src;
  {
    const std::lock_guard<std::mutex> lock(journal_mutex_);
    add_to_totals(train_, &epoch_src);
    add_to_totals(eval_, &epoch_src);
    pending_train_ = pending_eval_ = false;
  }
  const auto run_carbon = energy::estimate_carbon(totals_.energy_j, carbon_);
  auto domain_j = [&](const std::string& domain) {
    return train_.energy_j(domain) + eval_.energy_j(domain);
  };
  row.emplace_back("energy_j", fmt_j(epoch_j));
  row.emplace_back("energy_cum_j", fmt_j(totals_.energy_j));
  row.emplace_back("avg_power_w", fmt::format("{:.4g}", epoch_s > 0 ? epoch_j / epoch_s : 0.0));
  row.emplace_back("co2_kg_cum", fmt::format("{:.6g}", run_carbon.co2_kg));
  row.emplace_back("energy_source", combined_source(epoch_src));
  row.emplace_back("train_energy_j", fmt_j(train_.energy_j()));
  row.emplace_back("eval_energy_j", fmt_j(eval_.energy_j()));
  row.emplace_back("gpu_energy_j", fmt_j(domain_j("gpu")));
  row.emplace_back("cpu_energy_j", fmt_j(domain_j("package")));
  row.emplace_back("dram_energy_j", fmt_j(domain_j("dram")));
  if (group_ != nullptr) {  // this epoch per machine ("name=J;...") and per rank ("J;J;...")
    std::map<std::string, double> machine_j;
    std::string ranks;
    for (size_t r = 0; r < epoch_rank_j_.size(); ++r) {
      machine_j[rank_machine_[r]] += epoch_rank_j_[r];
      ranks += (r ? ";" : "") + fmt_j(epoch_rank_j_[r]);
    }
    std::string machines;
    for (const auto& [name, j] : machine_j) {
      machines += (machines.empty() ? "" : ";") + name + "=" + fmt_j(j);
    }
    row.emplace_back("machine_energy_j", machines);
    row.emplace_back("rank_energy_j", ranks);
    std::fill(epoch_rank_j_.begin(), epoch_rank_j_.end(), 0.0);
  }
  write_totals(metrics);
}

void EnergyRecorder::record_lost(nlohmann::json& metrics) {
  {
    const std::lock_guard<std::mutex> lock(journal_mutex_);
    add_to_totals(lost_, nullptr);
    totals_.lost_j += lost_.energy_j();
    totals_.lost_duration_s += lost_.duration_s;
    lost_ = {};
    pending_train_ = pending_eval_ = false;
  }
  write_totals(metrics);
  append_journal(journal_state());  // the stop's own line: nothing left to recover
}

void EnergyRecorder::write_totals(nlohmann::json& metrics) {
  EnergyTotals t;  // a copy: the journal thread reads the totals meanwhile
  {
    const std::lock_guard<std::mutex> lock(journal_mutex_);
    t = totals_;
  }
  const auto run_carbon = energy::estimate_carbon(t.energy_j, carbon_);
  nlohmann::json components = nlohmann::json::array();
  for (const auto& [key, j] : t.component_j) {
    const auto slash = key.find('/');
    components.push_back({{"device", key.substr(0, slash)},
                          {"domain", key.substr(slash + 1)},
                          {"source", t.component_src[key]},
                          {"energy_j", j}});
  }
  metrics["energy_j"] = t.energy_j;
  metrics["energy_lost_j"] = t.lost_j;
  metrics["energy_lost_duration_s"] = t.lost_duration_s;
  if (t.probe_j > 0) {
    metrics["energy_probe_j"] = t.probe_j;
    metrics["energy_probe_duration_s"] = t.probe_duration_s;
  }
  metrics["energy_kwh"] = run_carbon.energy_kwh;
  metrics["co2_kg"] = run_carbon.co2_kg;
  metrics["energy_source"] = combined_source(t.component_src);
  metrics["energy_duration_s"] = t.duration_s;
  metrics["energy_components"] = components;
  metrics["carbon"] = energy::to_json(run_carbon);
  metrics["energy_meters"] = monitor_->describe();
  if (group_ != nullptr) {
    // Per rank and machine, for this segment of the run (a resumed run: since the resume).
    nlohmann::json by_rank = nlohmann::json::array();
    std::map<std::string, double> by_machine;
    for (size_t r = 0; r < rank_j_.size(); ++r) {
      by_rank.push_back({{"rank", r},
                         {"machine", rank_machine_[r]},
                         {"meters", rank_meters_[r]},
                         {"energy_j", rank_j_[r]}});
      by_machine[rank_machine_[r]] += rank_j_[r];
    }
    metrics["energy_by_rank"] = by_rank;
    metrics["energy_by_machine"] = by_machine;
    metrics["energy_scope"] =
        "sum over ranks: each rank's GPU and process estimates, each machine's RAPL counters "
        "once (read by its lowest rank); power.csv is rank 0's meters only";
  }

  // power.csv: this epoch's samples on the run's time axis (a resumed segment continues it).
  const auto timeline = monitor_->take_power_timeline();
  energy::PowerTimeline shifted(timeline.components());
  std::vector<double> power(timeline.components().size());
  for (size_t s = 0; s < timeline.size(); ++s) {
    for (size_t c = 0; c < power.size(); ++c) power[c] = timeline.power_w(s, c);
    shifted.append(timeline.time_s(s) + t.timeline_offset_s, power);
  }
  shifted.append_csv((dir_ / RunFiles::kPower).string());

  // emissions.csv: one CodeCarbon row for the run so far, replaced atomically.
  energy::Measurement run;
  run.name = "run";
  run.duration_s = t.duration_s;
  for (const auto& c : t.component_j) {
    energy::ComponentEnergy ce;
    const auto slash = c.first.find('/');
    ce.component.device = c.first.substr(0, slash);
    ce.component.domain = c.first.substr(slash + 1);
    ce.component.source = t.component_src[c.first] == "measured" ? energy::Source::measured
                                                                 : energy::Source::estimated;
    ce.energy_j = c.second;
    run.components.push_back(ce);
  }
  auto context = energy::make_emissions_context(*monitor_);
  context.project_name = "eden";
  context.run_id = dir_.filename().string();
  replace_file_atomic(dir_ / "emissions.csv", [&](const fs::path& tmp) {
    energy::append_emissions_csv(tmp.string(), run, run_carbon, context);
  });
}

EnergyTotals EnergyRecorder::totals_from_metrics(const nlohmann::json& m) {
  EnergyTotals t;
  if (!m.is_object() || !m.contains("energy_j")) return t;
  t.energy_j = m.value("energy_j", 0.0);
  t.duration_s = m.value("energy_duration_s", 0.0);
  t.lost_j = m.value("energy_lost_j", 0.0);
  t.lost_duration_s = m.value("energy_lost_duration_s", 0.0);
  t.probe_j = m.value("energy_probe_j", 0.0);
  t.probe_duration_s = m.value("energy_probe_duration_s", 0.0);
  // power.csv's time axis: the finished epochs, then any partial epochs that were lost.
  t.timeline_offset_s = m.value("duration_s", 0.0) + t.lost_duration_s + t.probe_duration_s;
  for (const auto& c : m.value("energy_components", nlohmann::json::array())) {
    const std::string key =
        c.at("device").get<std::string>() + "/" + c.at("domain").get<std::string>();
    t.component_j[key] = c.at("energy_j").get<double>();
    t.component_src[key] = c.at("source").get<std::string>();
  }
  return t;
}

}  // namespace eden::train
