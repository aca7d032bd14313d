// Facts about the process and host that the trainer needs (usable cores, terminal).
#pragma once

#include <cstdint>
#include <string>

namespace eden {

/// Cores this process may run on (its affinity mask), at least 1.
int usable_cpu_count();

/// The current UTC time in strftime `format` (e.g. "%Y-%m-%dT%H:%M:%SZ").
std::string utc_timestamp(const char* format);

/// True when stderr is a terminal (progress bars) and not disabled by EDEN_NO_PROGRESS.
bool stderr_is_terminal();

/// Path of the first shared library mapped into this process whose file name contains
/// `fragment` (e.g. "blas" -> the BLAS that LibTorch really uses); "" if none.
std::string loaded_library_matching(const std::string& fragment);

}  // namespace eden

namespace eden {

/// MemAvailable of /proc/meminfo in bytes (what can be allocated without swapping); 0 if unknown.
int64_t available_memory_bytes();

}  // namespace eden
