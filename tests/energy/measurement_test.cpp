// Measurement totals, provenance labels and JSON.
#include "eden/energy/measurement.h"

#include <gtest/gtest.h>

namespace eden::energy {
namespace {

Measurement make(std::vector<std::pair<Source, double>> parts) {
  Measurement m;
  m.name = "w";
  m.duration_s = 2.0;
  int i = 0;
  for (auto [source, energy_j] : parts) {
    m.components.push_back(
        {{"dev" + std::to_string(i++), i % 2 ? "gpu" : "package", source, "test"}, energy_j});
  }
  return m;
}

TEST(Measurement, TotalsAndSource) {
  EXPECT_EQ(make({}).source(), TotalSource::none);
  EXPECT_EQ(make({{Source::measured, 1.0}}).source(), TotalSource::measured);
  EXPECT_EQ(make({{Source::estimated, 1.0}}).source(), TotalSource::estimated);
  const Measurement m = make({{Source::measured, 3.0}, {Source::estimated, 1.0}});
  EXPECT_EQ(m.source(), TotalSource::mixed);
  EXPECT_DOUBLE_EQ(m.energy_j(), 4.0);
  EXPECT_DOUBLE_EQ(m.energy_j("gpu"), 3.0);
  EXPECT_DOUBLE_EQ(m.energy_j("package"), 1.0);
  EXPECT_DOUBLE_EQ(m.avg_power_w(), 2.0);
  EXPECT_EQ(m.covers(), "dev0/gpu (measured), dev1/package (estimated)");
}

TEST(Measurement, Json) {
  const auto json = to_json(make({{Source::measured, 3.0}, {Source::estimated, 1.0}}));
  EXPECT_EQ(json["energy_source"], "mixed");
  EXPECT_DOUBLE_EQ(json["energy_j"].get<double>(), 4.0);
  ASSERT_EQ(json["components"].size(), 2u);
  EXPECT_EQ(json["components"][1]["source"], "estimated");
  EXPECT_EQ(json["components"][0]["device"], "dev0");
  EXPECT_EQ(json["components"][0]["domain"], "gpu");
  EXPECT_DOUBLE_EQ(json["components"][0]["energy_j"].get<double>(), 3.0);
}

}  // namespace
}  // namespace eden::energy
