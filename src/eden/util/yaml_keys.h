// YAML files users write: a key given twice is an error (yaml-cpp would keep one silently).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace eden {

/// Throws eden::Error naming `what`, the key and both lines when a mapping anywhere in `node`
/// holds the same key twice.
void check_unique_keys(const YAML::Node& node, const std::string& what);

}  // namespace eden
