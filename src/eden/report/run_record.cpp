// Reading a run directory back (see run_record.h).
#include "eden/report/run_record.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "eden/report/csv_log.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"

namespace eden::report {
namespace {

constexpr const char* kMetricsFile = "metrics.json";
constexpr const char* kConfigFile = "config.yaml";
constexpr const char* kLogFile = "log.csv";
constexpr const char* kRunInfoFile = "run.json";
constexpr const char* kEnvFile = "env.json";
constexpr const char* kClassesFile = "classes.txt";

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

nlohmann::json parse_json_file(const fs::path& path) {
  const std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    EDEN_CHECK(false, path.string(), ": not valid JSON (", e.what(),
               "); hint: the run may have been interrupted while writing it, re-run or "
               "resume the training");
  }
  return nullptr;
}

/// metrics.json number `key`; throws when it is absent (required) or not a number.
double json_number(const nlohmann::json& j, const std::string& key, const fs::path& file,
                   bool required, double fallback = 0.0) {
  if (!j.contains(key) || j.at(key).is_null()) {
    EDEN_CHECK(!required, file.string(), ": no '", key,
               "'; hint: the run was written by an EDEN without this field, train it again");
    return fallback;
  }
  EDEN_CHECK(j.at(key).is_number(), file.string(), ": '", key, "' is ", j.at(key).dump(),
             ", expected a number");
  return j.at(key).get<double>();
}

std::string json_text(const nlohmann::json& j, const std::string& key, const fs::path& file,
                      bool required) {
  if (!j.contains(key) || j.at(key).is_null()) {
    EDEN_CHECK(!required, file.string(), ": no '", key, "'");
    return "";
  }
  EDEN_CHECK(j.at(key).is_string(), file.string(), ": '", key, "' is ", j.at(key).dump(),
             ", expected a string");
  return j.at(key).get<std::string>();
}

std::map<std::string, std::string> load_config_map(const fs::path& path) {
  YAML::Node root;
  try {
    root = YAML::Load(read_file(path));
  } catch (const YAML::Exception& e) {
    EDEN_CHECK(false, path.string(), ": not valid YAML (", e.what(), ")");
  }
  std::map<std::string, std::string> out;
  if (root.IsNull()) return out;
  EDEN_CHECK(root.IsMap(), path.string(), ": expected a mapping of settings (key: value)");
  for (const auto& kv : root) {
    if (kv.second.IsScalar()) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return out;
}

double parse_cell(const std::string& text, const fs::path& file, std::size_t line,
                  const std::string& column) {
  if (text.empty()) return kMissing;
  std::size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  EDEN_CHECK(used == text.size(), file.string(), ":", line, ": column '", column, "' holds '", text,
             "', expected a number");
  return value;
}

std::vector<EpochRecord> load_log(const fs::path& path) {
  const auto [header, rows] = read_csv(path);
  auto column = [&](const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return static_cast<int>(i);
    }
    return -1;
  };
  for (const char* required : {"epoch", "eval_top1"}) {
    EDEN_CHECK(column(required) >= 0, path.string(), ": no column '", required,
               "' (is it an EDEN log.csv?)");
  }
  std::vector<EpochRecord> out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    const std::size_t line = r + 2;  // 1-based, after the header
    EDEN_CHECK(row.size() == header.size(), path.string(), ":", line, ": ", row.size(),
               " fields, the header has ", header.size(),
               "; hint: the file is truncated or "
               "was edited by hand");
    auto number = [&](const char* name) {
      const int c = column(name);
      return c < 0 ? kMissing : parse_cell(row[c], path, line, name);
    };
    auto text = [&](const char* name) {
      const int c = column(name);
      return c < 0 ? std::string() : row[c];
    };
    EpochRecord e;
    e.epoch = static_cast<int64_t>(number("epoch"));
    e.phase = text("phase");
    e.lr = number("lr");
    e.train_loss = number("train_loss");
    e.eval_top1 = number("eval_top1");
    e.eval_f1 = number("eval_f1");
    e.epoch_time_s = number("epoch_time_s");
    e.energy_j = number("energy_j");
    e.energy_cum_j = number("energy_cum_j");
    e.co2_kg_cum = number("co2_kg_cum");
    e.energy_source = text("energy_source");
    e.train_features = text("train_features");
    e.eval_features = text("eval_features");
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> load_lines(const fs::path& path) {
  std::istringstream in(read_file(path));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace

std::string RunRecord::config_text(const std::string& key, const std::string& fallback) const {
  const auto it = config.find(key);
  return it == config.end() ? fallback : it->second;
}

int64_t RunRecord::frozen_epochs() const {
  if (metrics.is_object() && metrics.contains("unfreeze") && metrics.at("unfreeze").is_object()) {
    const auto& u = metrics.at("unfreeze");
    if (u.value("mode", std::string()) == "auto") {
      return u.contains("epoch") && u.at("epoch").is_number()
                 ? std::min(u.at("epoch").get<int64_t>(), epochs_completed)
                 : epochs_completed;
    }
  }
  if (config_text("unfreeze_epoch") == "auto") return 0;  // no decision recorded
  return static_cast<int64_t>(config_number("unfreeze_epoch", 0.0));
}

double RunRecord::config_number(const std::string& key, double fallback) const {
  const auto it = config.find(key);
  if (it == config.end()) return fallback;
  std::size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  EDEN_CHECK(used == it->second.size() && !it->second.empty(), (dir / kConfigFile).string(), ": '",
             key, "' is '", it->second, "', expected a number");
  return value;
}

bool RunRecord::config_flag(const std::string& key) const {
  const std::string v = config_text(key, "false");
  return v == "true" || v == "1" || v == "yes" || v == "on";
}

std::string RunRecord::info_text(const std::string& key) const {
  if (!run_info.is_object() || !run_info.contains(key)) return "";
  const auto& v = run_info.at(key);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

bool is_run_directory(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / kMetricsFile, ec);
}

RunRecord load_run(const fs::path& dir) {
  std::error_code ec;
  EDEN_CHECK(fs::is_directory(dir, ec), "run directory '", dir.string(),
             "' does not exist or is not a directory; hint: pass the --out folder of an "
             "'eden train' run");
  EDEN_CHECK(is_run_directory(dir), "'", dir.string(), "' is not a run directory: no ",
             kMetricsFile,
             "; hint: pass the --out folder of an 'eden train' run that finished "
             "at least one epoch");
  RunRecord run;
  run.dir = dir;
  run.name = fs::absolute(dir).lexically_normal().filename().string();
  if (run.name.empty()) {
    run.name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  }

  const fs::path metrics_path = dir / kMetricsFile;
  run.metrics = parse_json_file(metrics_path);
  const auto& m = run.metrics;
  EDEN_CHECK(m.is_object(), metrics_path.string(), ": expected a JSON object");
  run.model = json_text(m, "model", metrics_path, true);
  run.data = json_text(m, "data", metrics_path, false);
  run.parameters = static_cast<int64_t>(json_number(m, "parameters", metrics_path, false));
  run.epochs = static_cast<int64_t>(json_number(m, "epochs", metrics_path, false));
  run.epochs_completed =
      static_cast<int64_t>(json_number(m, "epochs_completed", metrics_path, false));
  run.accuracy = json_number(m, "eval_top1", metrics_path, true);
  run.top5 = json_number(m, "eval_top5", metrics_path, false, kMissing);
  run.macro_f1 = json_number(m, "eval_f1", metrics_path, false, kMissing);
  run.eval_loss = json_number(m, "eval_loss", metrics_path, false, kMissing);
  run.sparsity = json_number(m, "sparsity", metrics_path, false, -1.0);
  run.duration_s = json_number(m, "duration_s", metrics_path, false);
  run.energy_j = json_number(m, "energy_j", metrics_path, true);
  run.energy_kwh = json_number(m, "energy_kwh", metrics_path, false, run.energy_j / 3.6e6);
  run.co2_kg = json_number(m, "co2_kg", metrics_path, true);
  run.energy_source = json_text(m, "energy_source", metrics_path, false);
  run.stop_reason = json_text(m, "stop_reason", metrics_path, false);
  run.stop_detail = json_text(m, "stop_detail", metrics_path, false);
  if (run.energy_source.empty()) run.energy_source = "none";
  EDEN_CHECK(run.accuracy >= 0.0 && run.accuracy <= 1.0, metrics_path.string(), ": eval_top1 is ",
             run.accuracy, ", expected a fraction in [0, 1]");
  EDEN_CHECK(run.energy_j >= 0.0 && std::isfinite(run.energy_j), metrics_path.string(),
             ": energy_j is ", run.energy_j, ", expected a non-negative number of joules");

  if (m.contains("carbon") && m.at("carbon").is_object()) {
    const auto& c = m.at("carbon");
    run.carbon.intensity_g_per_kwh =
        json_number(c, "carbon_intensity_g_per_kwh", metrics_path, false);
    run.carbon.pue = json_number(c, "pue", metrics_path, false, 1.0);
    run.carbon.intensity_source = json_text(c, "carbon_intensity_source", metrics_path, false);
    run.carbon.country_iso3 = json_text(c, "country_iso3", metrics_path, false);
    run.carbon.country_name = json_text(c, "country_name", metrics_path, false);
    run.carbon.intensity_year =
        static_cast<int64_t>(json_number(c, "carbon_intensity_year", metrics_path, false));
    run.carbon.reference = json_text(c, "carbon_intensity_reference", metrics_path, false);
  }
  if (m.contains("energy_components") && m.at("energy_components").is_array()) {
    for (const auto& c : m.at("energy_components")) {
      EDEN_CHECK(c.is_object(), metrics_path.string(), ": energy_components holds ", c.dump(),
                 ", expected objects");
      run.energy_components.push_back({json_text(c, "device", metrics_path, false),
                                       json_text(c, "domain", metrics_path, false),
                                       json_text(c, "source", metrics_path, false),
                                       json_number(c, "energy_j", metrics_path, false)});
    }
  }

  for (const char* file : {kConfigFile, kLogFile}) {
    EDEN_CHECK(fs::is_regular_file(dir / file, ec), (dir / file).string(),
               ": missing; hint: a run directory written by 'eden train' has config.yaml, "
               "log.csv and metrics.json");
  }
  run.config = load_config_map(dir / kConfigFile);
  run.log = load_log(dir / kLogFile);
  if (fs::exists(dir / kRunInfoFile)) run.run_info = parse_json_file(dir / kRunInfoFile);
  if (fs::exists(dir / kEnvFile)) {
    run.env = parse_json_file(dir / kEnvFile);
    EDEN_CHECK(run.env.is_object(), (dir / kEnvFile).string(), ": expected a JSON object");
  }
  if (fs::exists(dir / kClassesFile)) run.classes = load_lines(dir / kClassesFile);

  // Per-class accuracy in the class order of classes.txt (metrics.json keeps keys sorted).
  if (m.contains("per_class_accuracy") && m.at("per_class_accuracy").is_object()) {
    const auto& pc = m.at("per_class_accuracy");
    for (const auto& cls : run.classes) {
      if (pc.contains(cls) && pc.at(cls).is_number()) {
        run.per_class_accuracy.emplace_back(cls, pc.at(cls).get<double>());
      }
    }
    if (run.per_class_accuracy.size() != pc.size()) {
      run.per_class_accuracy.clear();
      for (const auto& [cls, acc] : pc.items()) {
        if (acc.is_number()) run.per_class_accuracy.emplace_back(cls, acc.get<double>());
      }
    }
  }
  return run;
}

}  // namespace eden::report
