// CO2 arithmetic against the reference model card, and carbon-intensity resolution.
#include "eden/energy/carbon.h"

#include <gtest/gtest.h>

#include "eden/util/check.h"

namespace eden::energy {
namespace {

TEST(Carbon, ReferenceCardNumbers) {
  // eden-model-card.txt: 6,905,436 J = 1.9182 kWh -> 0.9111 kg; 380,392,115 J -> 50.19 kg.
  const CarbonEstimate small = estimate_carbon(6'905'436.0);
  EXPECT_NEAR(small.energy_kwh, 1.9182, 5e-5);
  EXPECT_NEAR(small.co2_kg, 0.9111, 5e-5);
  EXPECT_EQ(small.intensity.source, "world-default");
  EXPECT_DOUBLE_EQ(small.intensity.g_per_kwh, 475.0);
  EXPECT_DOUBLE_EQ(small.pue, 1.0);

  CarbonOptions explicit_475;
  explicit_475.intensity_g_per_kwh = 475.0;
  const CarbonEstimate large = estimate_carbon(380'392'115.0, explicit_475);
  EXPECT_NEAR(large.co2_kg, 50.19, 5e-3);
  EXPECT_NEAR(large.co2_kg, 50.1906, 5e-5);
  EXPECT_EQ(large.intensity.source, "explicit");
}

TEST(Carbon, PueMultiplies) {
  CarbonOptions options;
  options.pue = 1.5;
  EXPECT_NEAR(estimate_carbon(3.6e6, options).co2_kg, 1.5 * 0.475, 1e-12);
  // kWh after PUE (CodeCarbon's energy_consumed); the joules stay what the meters measured.
  EXPECT_NEAR(estimate_carbon(3.6e6, options).energy_kwh, 1.5, 1e-12);
  EXPECT_DOUBLE_EQ(estimate_carbon(3.6e6, options).energy_j, 3.6e6);
  EXPECT_NEAR(co2_kg(3.6e6, 100.0, 2.0), 0.2, 1e-12);
}

TEST(Carbon, CountryTable) {
  auto france = country_carbon_intensity("fra");
  ASSERT_TRUE(france.has_value());
  EXPECT_EQ(france->country_iso3, "FRA");
  EXPECT_EQ(france->country_name, "France");
  EXPECT_NEAR(france->g_per_kwh, 56.039, 1e-9);  // OWID via CodeCarbon v3.3.0
  EXPECT_GE(france->year, 2021);
  EXPECT_NE(france->reference.find("Our World in Data"), std::string::npos);

  CarbonOptions options;
  options.country_iso3 = "USA";
  const CarbonEstimate usa = estimate_carbon(3.6e6, options);
  EXPECT_EQ(usa.intensity.source, "country");
  EXPECT_NEAR(usa.co2_kg, 0.369473, 1e-9);
}

TEST(Carbon, BadOptionsThrowWithHint) {
  CarbonOptions unknown;
  unknown.country_iso3 = "XYZ";
  try {
    estimate_carbon(1.0, unknown);
    FAIL() << "expected eden::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown country code 'XYZ'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("hint:"), std::string::npos);
  }
  CarbonOptions both;
  both.country_iso3 = "FRA";
  both.intensity_g_per_kwh = 10.0;
  EXPECT_THROW(estimate_carbon(1.0, both), Error);
  CarbonOptions negative;
  negative.intensity_g_per_kwh = -1.0;
  EXPECT_THROW(estimate_carbon(1.0, negative), Error);
  CarbonOptions low_pue;
  low_pue.pue = 0.9;
  EXPECT_THROW(estimate_carbon(1.0, low_pue), Error);
}

}  // namespace
}  // namespace eden::energy
