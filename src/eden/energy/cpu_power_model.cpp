// TDP lookup in CodeCarbon's CPU table and the CPU power model built from it.
#include "eden/energy/cpu_power_model.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "eden/energy/codecarbon_tables.h"
#include "eden/util/check.h"

namespace eden::energy {
namespace {

std::vector<std::string> words(const std::string& normalized) {
  std::istringstream in(normalized);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool has_digit(const std::string& word) {
  return std::any_of(word.begin(), word.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "16-core", "8-core": a core count, not part of the model name.
bool is_core_count(const std::string& word) {
  const auto dash = word.find("-core");
  return dash != std::string::npos && dash > 0 &&
         std::all_of(word.begin(), word.begin() + static_cast<long>(dash),
                     [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::string normalize_cpu_name(const std::string& name) {
  std::string s;
  for (unsigned char c : name) s += static_cast<char>(std::tolower(c));
  for (const char* mark : {"(r)", "(tm)"}) {
    for (auto pos = s.find(mark); pos != std::string::npos; pos = s.find(mark)) {
      s.replace(pos, std::string(mark).size(), " ");
    }
  }
  if (auto at = s.find('@'); at != std::string::npos) s.erase(at);
  if (auto with = s.find(" with "); with != std::string::npos) s.erase(with);
  for (auto& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-' && c != '+' && c != '.') c = ' ';
  }
  std::string out;
  for (const auto& w : words(s)) {
    if (w == "cpu" || w == "processor" || is_core_count(w)) continue;
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::optional<TdpMatch> find_cpu_tdp(const std::string& model) {
  const std::string wanted = normalize_cpu_name(model);
  if (wanted.empty()) return std::nullopt;
  const auto wanted_words = words(wanted);
  const std::set<std::string> wanted_set(wanted_words.begin(), wanted_words.end());
  const CpuTdpEntry* best = nullptr;
  std::size_t best_words = 0;
  for (const auto& entry : cpu_tdp_table()) {
    const std::string candidate = normalize_cpu_name(entry.name);
    if (candidate == wanted) return TdpMatch{entry.name, entry.tdp_w};
    const auto candidate_words = words(candidate);
    const bool all_found =
        std::all_of(candidate_words.begin(), candidate_words.end(),
                    [&](const std::string& w) { return wanted_set.count(w) > 0; });
    const bool has_model_number =
        std::any_of(candidate_words.begin(), candidate_words.end(), has_digit);
    if (all_found && has_model_number && candidate_words.size() > best_words) {
      best = &entry;
      best_words = candidate_words.size();
    }
  }
  if (best == nullptr) return std::nullopt;
  return TdpMatch{best->name, best->tdp_w};
}

CpuPowerModel make_cpu_power_model(const CpuInfo& cpu, std::optional<double> tdp_override_w) {
  CpuPowerModel model;
  model.threads = std::max(1, cpu.threads);
  if (!tdp_override_w) {
    if (const char* env = std::getenv(kCpuTdpEnv); env != nullptr && *env != '\0') {
      char* end = nullptr;
      const double value = std::strtod(env, &end);
      EDEN_CHECK(end != env && *end == '\0', "[estimate] ", kCpuTdpEnv, "='", env,
                 "' is not a number; hint: give the TDP of all CPU packages in W, e.g. ",
                 kCpuTdpEnv, "=150");
      tdp_override_w = value;
    }
  }
  if (tdp_override_w) {
    EDEN_CHECK(*tdp_override_w > 0.0, "[estimate] CPU TDP override ", *tdp_override_w,
               " W is not positive; hint: give the TDP of all CPU packages in W");
    model.machine_tdp_w = *tdp_override_w;
    model.basis = fmt::format("override: {:g} W (all packages)", *tdp_override_w);
    return model;
  }
  if (auto match = find_cpu_tdp(cpu.model)) {
    const int sockets = std::max(1, cpu.sockets);
    model.machine_tdp_w = match->tdp_w * sockets;
    model.basis = fmt::format("table: '{}' {:g} W x {} socket(s) (CodeCarbon cpu_power.csv)",
                              match->table_name, match->tdp_w, sockets);
    return model;
  }
  model.is_default = true;
  model.machine_tdp_w = kDefaultWattsPerThread * model.threads;
  model.basis = fmt::format(
      "default: {:g} W per thread x {} threads (CPU '{}' is not in the TDP table; set {} to "
      "override)",
      kDefaultWattsPerThread, model.threads, cpu.model.empty() ? "unknown" : cpu.model, kCpuTdpEnv);
  return model;
}

}  // namespace eden::energy
