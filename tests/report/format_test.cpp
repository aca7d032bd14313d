// Number formatting of reports: separators, signs, rounding to zero, notation switches.
#include <gtest/gtest.h>

#include <cmath>

#include "eden/report/format.h"

namespace {

using namespace eden::report;

TEST(Format, Numbers) {
  EXPECT_EQ(format_thousands(380392115.2), "380,392,115");
  EXPECT_EQ(format_thousands(999.5), "1,000");
  EXPECT_EQ(format_thousands(-1234.567, 2), "-1,234.57");
  EXPECT_EQ(format_thousands(-0.2), "0") << "no negative zero";
  EXPECT_EQ(format_thousands(NAN), "n/a");
  EXPECT_EQ(format_fixed(0.885, 4), "0.8850");
  EXPECT_EQ(format_fixed(-0.00001, 2), "0.00");
  EXPECT_EQ(format_scientific(1.9358120132579088e-10, 5), "1.9358e-10");
  EXPECT_EQ(format_quantity(50.19062628), "50.1906");
  EXPECT_EQ(format_quantity(3.1173638e-06), "3.1174e-06");
  EXPECT_EQ(format_quantity(0.0), "0");
  EXPECT_EQ(format_energy_j(21.77), "21.8");
  EXPECT_EQ(format_energy_j(6905436.4), "6,905,436");
  EXPECT_EQ(format_signed(-7.23, 2), "-7.23");
  EXPECT_EQ(format_signed(14.4, 2), "+14.40");
  EXPECT_EQ(format_signed(0.001, 2), "0.00");
  EXPECT_EQ(format_accuracy(0.885), "0.8850 (88.50%)");
  EXPECT_EQ(format_duration(5.61), "5.6 s");
  EXPECT_EQ(format_duration(10333.0), "10,333 s (2.87 h)");
}

}  // namespace
