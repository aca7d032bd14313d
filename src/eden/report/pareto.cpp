// Pareto front in the (energy, accuracy) plane (see pareto.h). O(n^2): projects have tens of runs.
#include "eden/report/pareto.h"

namespace eden::report {

std::vector<bool> pareto_front(const std::vector<EnergyAccuracy>& points) {
  std::vector<bool> on_front(points.size(), true);
  for (std::size_t i = 0; i < points.size(); ++i) {
    for (std::size_t k = 0; k < points.size() && on_front[i]; ++k) {
      const auto& a = points[k];
      const auto& b = points[i];
      const bool no_worse = a.energy_j <= b.energy_j && a.accuracy >= b.accuracy;
      const bool better = a.energy_j < b.energy_j || a.accuracy > b.accuracy;
      if (k != i && no_worse && better) on_front[i] = false;
    }
  }
  return on_front;
}

}  // namespace eden::report
