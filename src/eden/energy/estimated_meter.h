// Meters for components without a hardware counter: CPU from TDP x utilisation, DRAM from
// W per GiB of resident memory. Their components are labelled Source::estimated.
#pragma once

#include <memory>

#include "eden/energy/cpu_power_model.h"
#include "eden/energy/meter.h"
#include "eden/energy/process_usage.h"

namespace eden::energy {

/// CPU energy of the measured processes: CpuPowerModel applied to their CPU time.
/// One component: device "cpu" (all packages), domain "package", method "tdp-model".
class EstimatedCpuMeter : public Meter {
 public:
  EstimatedCpuMeter(CpuPowerModel model, std::shared_ptr<ProcessScope> process);

  std::string name() const override { return "estimated-cpu"; }
  const std::vector<Component>& components() const override { return components_; }
  std::vector<double> read_energy_j(double now_s) override;
  nlohmann::json describe() const override;

  const CpuPowerModel& model() const { return model_; }

 private:
  CpuPowerModel model_;
  std::shared_ptr<ProcessScope> process_;
  std::vector<Component> components_;
  bool started_ = false;
  double start_cpu_s_ = 0.0;
  double last_cpu_s_ = 0.0;  // readings are kept monotonic
};

/// DRAM energy of the measured processes: kDramWattsPerGib x resident GiB, integrated over time
/// with the trapezoid rule. One component: device "memory", domain "dram", method "rss-model".
class EstimatedDramMeter : public Meter {
 public:
  explicit EstimatedDramMeter(std::shared_ptr<ProcessScope> process);

  std::string name() const override { return "estimated-dram"; }
  const std::vector<Component>& components() const override { return components_; }
  std::vector<double> read_energy_j(double now_s) override;
  nlohmann::json describe() const override;

 private:
  std::shared_ptr<ProcessScope> process_;
  std::vector<Component> components_;
  bool started_ = false;
  double last_time_s_ = 0.0;
  double last_power_w_ = 0.0;
  double energy_j_ = 0.0;
};

}  // namespace eden::energy
