// CodeCarbon-compatible emissions.csv: column names, units, header once, quoting.
#include "eden/energy/emissions_csv.h"

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "eden/energy/host_info.h"
#include "eden/energy/monitor.h"
#include "fake_powercap.h"

namespace eden::energy {
namespace {

Measurement epoch() {
  Measurement m;
  m.name = "epoch1";
  m.duration_s = 100.0;
  m.components = {{{"gpu0", "gpu", Source::measured, "nvml-energy-counter"}, 7.2e6},
                  {{"cpu", "package", Source::estimated, "tdp-model"}, 3.6e6},
                  {{"memory", "dram", Source::estimated, "rss-model"}, 3.6e5}};
  return m;
}

std::map<std::string, std::string> as_map(const std::vector<std::string>& row) {
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < row.size(); ++i) out[codecarbon_columns()[i]] = row[i];
  return out;
}

TEST(EmissionsCsv, CodeCarbonColumnsAndUnits) {
  ASSERT_EQ(codecarbon_columns().size(), 38u);
  EXPECT_EQ(codecarbon_columns().front(), "timestamp");
  EXPECT_EQ(codecarbon_columns()[13], "energy_consumed");
  EXPECT_EQ(codecarbon_columns().back(), "wue");

  CarbonOptions options;
  options.country_iso3 = "FRA";
  options.pue = 1.5;
  const Measurement m = epoch();
  const CarbonEstimate carbon = estimate_carbon(m.energy_j(), options);
  EmissionsContext context;
  context.run_id = "run-1";
  context.gpu_count = 1;
  context.gpu_model = "1 x Fake GPU";
  auto row = as_map(codecarbon_row(m, carbon, context, 0));
  EXPECT_EQ(row["run_id"], "run-1");
  EXPECT_DOUBLE_EQ(std::stod(row["duration"]), 100.0);
  // CodeCarbon 3.3 (emissions_tracker.py, _do_measurements): each component's kWh is
  // multiplied by the PUE and energy_consumed is their sum; the powers are not.
  EXPECT_DOUBLE_EQ(std::stod(row["gpu_energy"]), 2.0 * 1.5);  // kWh
  EXPECT_DOUBLE_EQ(std::stod(row["cpu_energy"]), 1.0 * 1.5);  // kWh
  EXPECT_DOUBLE_EQ(std::stod(row["ram_energy"]), 0.1 * 1.5);  // kWh
  EXPECT_DOUBLE_EQ(std::stod(row["gpu_power"]), 7.2e4);       // W
  EXPECT_DOUBLE_EQ(
      std::stod(row["energy_consumed"]),
      std::stod(row["gpu_energy"]) + std::stod(row["cpu_energy"]) + std::stod(row["ram_energy"]));
  EXPECT_DOUBLE_EQ(std::stod(row["energy_consumed"]), carbon.energy_kwh);       // = metrics.json
  EXPECT_NEAR(std::stod(row["emissions"]), 3.1 * 1.5 * 56.039 / 1000.0, 1e-9);  // kg
  EXPECT_NEAR(std::stod(row["emissions_rate"]), std::stod(row["emissions"]) / 100.0, 1e-12);
  EXPECT_EQ(row["country_iso_code"], "FRA");
  EXPECT_EQ(row["tracking_mode"], "process");
  EXPECT_EQ(row["on_cloud"], "N");
  EXPECT_DOUBLE_EQ(std::stod(row["pue"]), 1.5);
  EXPECT_EQ(row["timestamp"].size(), 19u);  // %Y-%m-%dT%H:%M:%S
}

TEST(EmissionsCsv, AppendsWithOneHeaderAndQuotes) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/emissions.csv";
  EmissionsContext context;
  context.os = "Debian GNU/Linux 12, Linux 6.1";  // has a comma: must be quoted
  const CarbonEstimate carbon = estimate_carbon(epoch().energy_j());
  append_emissions_csv(path, epoch(), carbon, context);
  append_emissions_csv(path, epoch(), carbon, context);
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("timestamp,project_name,run_id,experiment_id,duration,emissions,", 0),
            0u);
  EXPECT_NE(lines[1].find(",\"Debian GNU/Linux 12, Linux 6.1\","), std::string::npos) << lines[1];
}

TEST(EmissionsCsv, ContextFromMonitor) {
  MonitorOptions options;
  options.sample_period_s = 0;
  options.print_warnings = false;
  options.meters.use_nvml = false;
  options.meters.use_rapl = false;
  EnergyMonitor monitor(options);
  const EmissionsContext context = make_emissions_context(monitor);
  EXPECT_GT(context.cpu_count, 0);
  EXPECT_EQ(context.gpu_count, 0);
  // CodeCarbon's ram_total_size is psutil's total / 1024**3, in GiB though its docs say GB.
  EXPECT_DOUBLE_EQ(context.ram_total_gib, total_ram_bytes() / 1073741824.0);
  EXPECT_FALSE(context.os.empty());
}

}  // namespace
}  // namespace eden::energy
