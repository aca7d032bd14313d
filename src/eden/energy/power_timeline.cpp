// Storage and CSV output of the power timeline.
#include "eden/energy/power_timeline.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "eden/util/check.h"

namespace eden::energy {

void PowerTimeline::append(double time_s, const std::vector<double>& power_w) {
  EDEN_ASSERT(power_w.size() == components_.size(), "got ", power_w.size(), " powers for ",
              components_.size(), " components");
  time_s_.push_back(time_s);
  for (double p : power_w) power_w_.push_back(static_cast<float>(p));
}

void PowerTimeline::clear() {
  time_s_.clear();
  power_w_.clear();
}

void PowerTimeline::write_csv(std::ostream& out, bool header) const {
  if (header) out << "time_s,device,domain,source,power_w\n";
  for (std::size_t s = 0; s < size(); ++s) {
    for (std::size_t c = 0; c < components_.size(); ++c) {
      const Component& component = components_[c];
      out << fmt::format("{:.3f},{},{},{},{:.3f}\n", time_s_[s], component.device, component.domain,
                         to_string(component.source), power_w(s, c));
    }
  }
}

void PowerTimeline::append_csv(const std::string& path) const {
  std::error_code ec;
  const bool needs_header =
      !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
  std::ofstream out(path, std::ios::app);
  EDEN_CHECK(out, "[power] cannot open ", path, " for appending: ", std::strerror(errno),
             "; hint: check that the directory exists and is writable");
  write_csv(out, needs_header);
  out.flush();
  EDEN_CHECK(out, "[power] cannot write ", path, ": ", std::strerror(errno),
             "; hint: is the disk full?");
}

}  // namespace eden::energy
