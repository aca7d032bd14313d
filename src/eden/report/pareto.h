// The Pareto front of runs in the (energy, accuracy) plane: the runs no other run beats on both
// counts (less or equal energy and higher or equal accuracy, one of them strictly).
#pragma once

#include <vector>

namespace eden::report {

struct EnergyAccuracy {
  double energy_j = 0.0;
  double accuracy = 0.0;  // fraction
};

/// on_front[i] is true when no other point dominates points[i]. Identical points are all kept.
std::vector<bool> pareto_front(const std::vector<EnergyAccuracy>& points);

}  // namespace eden::report
