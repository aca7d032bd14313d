// Quantities with units: energy, CO2 mass and durations as users type them.
#include "eden/util/units.h"

#include <gtest/gtest.h>

#include "eden/util/check.h"

namespace eden {
namespace {

TEST(Units, EnergyInEveryUnitUsersWrite) {
  EXPECT_DOUBLE_EQ(parse_energy_j("2kWh", "x"), 7.2e6);
  EXPECT_DOUBLE_EQ(parse_energy_j("0.5 kWh", "x"), 1.8e6);
  EXPECT_DOUBLE_EQ(parse_energy_j("800kJ", "x"), 8e5);
  EXPECT_DOUBLE_EQ(parse_energy_j("1.5MJ", "x"), 1.5e6);
  EXPECT_DOUBLE_EQ(parse_energy_j("60J", "x"), 60.0);
  EXPECT_DOUBLE_EQ(parse_energy_j("3Wh", "x"), 10800.0);
}

TEST(Units, MassOfCo2) {
  EXPECT_DOUBLE_EQ(parse_mass_kg("1.5kg", "x"), 1.5);
  EXPECT_DOUBLE_EQ(parse_mass_kg("300g", "x"), 0.3);
  EXPECT_DOUBLE_EQ(parse_mass_kg("2t", "x"), 2000.0);
}

TEST(Units, DurationsAlsoCompound) {
  EXPECT_DOUBLE_EQ(parse_duration_s("3h", "x"), 10800.0);
  EXPECT_DOUBLE_EQ(parse_duration_s("1h30m", "x"), 5400.0);
  EXPECT_DOUBLE_EQ(parse_duration_s("45min", "x"), 2700.0);
  EXPECT_DOUBLE_EQ(parse_duration_s("90s", "x"), 90.0);
  EXPECT_DOUBLE_EQ(parse_duration_s("1d 2h", "x"), 93600.0);
}

TEST(Units, ABareNumberOrAWrongUnitIsRefusedNamingTheFlag) {
  for (const char* bad : {"2", "", "kWh", "2 kW", "-1kWh", "0J", "2kWhx", "nanJ"}) {
    try {
      parse_energy_j(bad, "--energy-budget");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--energy-budget: '"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("kWh"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(parse_mass_kg("5 lb", "--co2-budget"), Error);
  EXPECT_THROW(parse_duration_s("3 weeks", "--time-budget"), Error);
  EXPECT_THROW(parse_duration_s("3", "--time-budget"), Error);
}

}  // namespace
}  // namespace eden
