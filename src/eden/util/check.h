// Two tiers of checks: EDEN_CHECK for bad input, files and environment (throws eden::Error with
// a message naming the thing and the value), EDEN_ASSERT for internal invariants ("bug").
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace eden {

/// A user-facing error: bad input, a bad file, a missing device. main() prints what().
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
[[noreturn]] void assert_fail(const char* cond, const char* file, int line, const std::string& msg);
}  // namespace detail

}  // namespace eden

/// Throws eden::Error(message) when `cond` is false. Message parts are streamed together.
#define EDEN_CHECK(cond, ...)                                              \
  do {                                                                     \
    if (!(cond)) throw ::eden::Error(::eden::detail::concat(__VA_ARGS__)); \
  } while (0)

/// Internal invariant; stays on in release builds. A failure is a bug in EDEN.
#define EDEN_ASSERT(cond, ...)                                                            \
  do {                                                                                    \
    if (!(cond))                                                                          \
      ::eden::detail::assert_fail(#cond, __FILE__, __LINE__,                              \
                                  ::eden::detail::concat("" __VA_OPT__(, ) __VA_ARGS__)); \
  } while (0)
