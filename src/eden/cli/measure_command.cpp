// `eden measure`: runs a command and reports its duration, energy per component with its
// source, total, kWh and CO2; exits with the command's status.
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "eden/cli/commands.h"
#include "eden/energy/carbon.h"
#include "eden/energy/command_runner.h"
#include "eden/energy/meter_registry.h"
#include "eden/energy/report.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"

namespace eden::cli {
namespace {

struct MeasureOptions {
  std::string json_path;
  std::string power_csv_path;
  double interval_ms = 100.0;
  std::string country;
  double carbon_intensity_g_per_kwh = 0.0;
  CLI::Option* carbon_intensity_option = nullptr;  // to tell "not given" from a value
  double pue = 1.0;
  std::vector<std::string> command;
};

std::string meters_footer() {
  std::string text = "\nMeters, tried in this order (`eden env` shows which work here):\n";
  for (const auto& kind : energy::list_meters()) {
    text += fmt::format("  {:<15} [{}] {}\n", kind.name, energy::to_string(kind.source),
                        kind.description);
  }
  return text;
}

int run(const MeasureOptions& options) {
  energy::CarbonOptions carbon;
  carbon.country_iso3 = options.country;
  if (options.carbon_intensity_option->count() > 0) {
    carbon.intensity_g_per_kwh = options.carbon_intensity_g_per_kwh;
  }
  carbon.pue = options.pue;
  energy::estimate_carbon(0.0, carbon);  // fail on bad carbon options before running anything

  energy::MonitorOptions monitor;
  monitor.sample_period_s = options.interval_ms / 1000.0;
  const energy::CommandRun run = energy::run_measured_command(options.command, monitor);
  if (!run.exec_error.empty()) {
    std::cerr << "eden: error: [measure] " << run.exec_error
              << "; hint: check the command name and that it is in PATH and executable\n";
    return run.exit_status;
  }

  const energy::CarbonEstimate estimate =
      energy::estimate_carbon(run.measurement.energy_j(), carbon);
  std::string command_line;
  for (const auto& arg : options.command) command_line += (command_line.empty() ? "" : " ") + arg;
  std::cerr << fmt::format("eden measure: {} (exit status {})\n", command_line, run.exit_status)
            << energy::format_energy_report(run.measurement, estimate);

  if (!options.json_path.empty()) {
    nlohmann::json json = energy::energy_report_json(run.measurement, estimate);
    json["command"] = options.command;
    json["exit_status"] = run.exit_status;
    json["child_cpu_time_s"] = run.child_cpu_time_s;
    json["child_max_rss_bytes"] = run.child_max_rss_bytes;
    json["sample_period_s"] = monitor.sample_period_s;
    json["warnings"] = run.warnings;
    json["monitor"] = run.monitor;
    write_file_atomic(options.json_path, json.dump(2) + "\n");
  }
  if (!options.power_csv_path.empty()) {
    write_file_atomic(options.power_csv_path, [&] {
      std::ostringstream csv;
      run.timeline.write_csv(csv);
      return csv.str();
    }());
  }
  return run.exit_status;
}

}  // namespace

void register_measure_command(CLI::App& root, int& exit_code) {
  auto options = std::make_shared<MeasureOptions>();
  auto* sub = root.add_subcommand(
      "measure",
      "Run a command and report its energy (per GPU, CPU package, DRAM; measured or estimated) "
      "and CO2");
  sub->add_option("--json", options->json_path, "Also write the report as JSON to this file");
  sub->add_option("--power-csv", options->power_csv_path,
                  "Write the power timeline (time_s,device,domain,source,power_w) to this file");
  sub->add_option("--interval", options->interval_ms, "Sampling period in ms")
      ->check(CLI::Range(1.0, 60000.0))
      ->capture_default_str();
  sub->add_option("--country", options->country,
                  "Grid carbon intensity of this country (ISO 3166-1 alpha-3, e.g. FRA)");
  options->carbon_intensity_option =
      sub->add_option("--carbon-intensity", options->carbon_intensity_g_per_kwh,
                      "Grid carbon intensity in gCO2eq/kWh (default: world average 475)")
          ->check(CLI::NonNegativeNumber);
  sub->add_option("--pue", options->pue, "Power usage effectiveness of the facility (>= 1)")
      ->check(CLI::Range(1.0, 10.0))
      ->capture_default_str();
  sub->add_option("command", options->command, "The command and its arguments, after --")
      ->required();
  sub->footer(meters_footer() +
              "\nExample: eden measure --country FRA --json run.json -- ./train.sh --epochs 3\n"
              "Exit status: the command's (128+N if killed by signal N; 127 if it cannot run).");
  sub->callback([options, &exit_code] { exit_code = run(*options); });
}

}  // namespace eden::cli
