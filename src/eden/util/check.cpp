// Out-of-line part of the internal-assert macro.
#include "eden/util/check.h"

namespace eden::detail {

void assert_fail(const char* cond, const char* file, int line, const std::string& msg) {
  throw std::logic_error(concat("internal error (this is a bug in EDEN, please report it): ", cond,
                                " failed at ", file, ":", line, msg.empty() ? "" : ": ", msg));
}

}  // namespace eden::detail
