// Estimation meters: CPU time x W per busy thread, resident memory x W per GiB.
#include "eden/energy/estimated_meter.h"

#include <algorithm>
#include <utility>

#include "eden/util/check.h"

namespace eden::energy {

EstimatedCpuMeter::EstimatedCpuMeter(CpuPowerModel model, std::shared_ptr<ProcessScope> process)
    : model_(std::move(model)),
      process_(std::move(process)),
      components_{{"cpu", "package", Source::estimated, "tdp-model"}} {
  EDEN_ASSERT(process_ != nullptr);
}

std::vector<double> EstimatedCpuMeter::read_energy_j(double /*now_s*/) {
  const double cpu_s = std::max(last_cpu_s_, process_->cpu_time_s());
  if (!started_) {
    started_ = true;
    start_cpu_s_ = cpu_s;
  }
  last_cpu_s_ = cpu_s;
  return {model_.energy_j(cpu_s - start_cpu_s_)};
}

nlohmann::json EstimatedCpuMeter::describe() const {
  return {{"meter", name()},
          {"model", "power = machine TDP x CPU time / (wall time x logical CPUs)"},
          {"machine_tdp_w", model_.machine_tdp_w},
          {"threads", model_.threads},
          {"tdp_is_default", model_.is_default},
          {"tdp_basis", model_.basis},
          {"attributed_to", process_->describe()}};
}

EstimatedDramMeter::EstimatedDramMeter(std::shared_ptr<ProcessScope> process)
    : process_(std::move(process)),
      components_{{"memory", "dram", Source::estimated, "rss-model"}} {
  EDEN_ASSERT(process_ != nullptr);
}

std::vector<double> EstimatedDramMeter::read_energy_j(double now_s) {
  const double power_w = dram_power_w(process_->resident_bytes());
  if (started_ && now_s > last_time_s_) {
    energy_j_ += 0.5 * (last_power_w_ + power_w) * (now_s - last_time_s_);
  }
  started_ = true;
  last_time_s_ = std::max(last_time_s_, now_s);
  last_power_w_ = power_w;
  return {energy_j_};
}

nlohmann::json EstimatedDramMeter::describe() const {
  return {{"meter", name()},
          {"model", "power = 0.375 W per GiB of resident memory (CodeCarbon v2 / eco2AI)"},
          {"watts_per_gib", kDramWattsPerGib},
          {"attributed_to", process_->describe()}};
}

}  // namespace eden::energy
