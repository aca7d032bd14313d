// SIGINT and SIGTERM as a request to stop cleanly: the first signal sets a flag that long loops
// poll at safe points (the trainer: step boundaries); a second signal ends the process at once.
#pragma once

#include <string>

#include "eden/util/check.h"

namespace eden {

/// Installs the handlers for SIGINT and SIGTERM (idempotent). Commands that train call it.
void install_interrupt_handlers();

/// The signal that asked this process to stop (SIGINT or SIGTERM), 0 when none.
int interrupt_requested();

/// Forgets a request (tests, and a process that handled one and goes on).
void clear_interrupt();

/// "SIGINT" / "SIGTERM" / "signal N".
std::string signal_name(int signal);

/// Thrown at a safe point after a stop request; main() prints it (when `report`) and exits
/// with 128 + signal, as a shell reports a process the signal ended. what() is the detail,
/// then "; " and the advice on how to continue when there is one; callers that know better
/// (the experiment for its stages) rethrow with the same detail and their own advice.
class Interrupted : public Error {
 public:
  Interrupted(int signal, const std::string& detail, const std::string& advice = "",
              bool report = true)
      : Error(advice.empty() ? detail : detail + "; " + advice),
        signal_(signal),
        detail_(detail),
        report_(report) {}
  int signal() const { return signal_; }
  /// What happened and what was kept, without the advice.
  const std::string& detail() const { return detail_; }
  /// False on the ranks of a data-parallel run other than rank 0 (rank 0 says it once).
  bool report() const { return report_; }

 private:
  int signal_;
  std::string detail_;
  bool report_;
};

}  // namespace eden
