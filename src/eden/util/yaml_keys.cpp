// check_unique_keys: a walk over mappings and sequences, keys compared as text.
#include "eden/util/yaml_keys.h"

#include <map>

#include "eden/util/check.h"

namespace eden {

void check_unique_keys(const YAML::Node& node, const std::string& what) {
  if (node.IsMap()) {
    std::map<std::string, int> line_of;
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      const int line = kv.first.Mark().line + 1;
      const auto [at, inserted] = line_of.emplace(key, line);
      EDEN_CHECK(inserted, what, ": key '", key, "' is given twice (lines ", at->second, " and ",
                 line, "); hint: keep one of them");
      check_unique_keys(kv.second, what);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_unique_keys(item, what);
  }
}

}  // namespace eden
