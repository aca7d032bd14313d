// Facts about the process and host that the trainer needs (usable cores, terminal).
#pragma once

namespace eden {

/// Cores this process may run on (its affinity mask), at least 1.
int usable_cpu_count();

/// True when stderr is a terminal (progress bars) and not disabled by EDEN_NO_PROGRESS.
bool stderr_is_terminal();

}  // namespace eden
