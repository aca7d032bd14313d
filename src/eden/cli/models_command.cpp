// `eden models`: the model registry as a table.
#include <fmt/format.h>

#include <memory>

#include "eden/cli/commands.h"
#include "eden/models/macs.h"
#include "eden/models/registry.h"

namespace eden::cli {

void register_models_command(CLI::App& root, int& exit_code) {
  auto* sub = root.add_subcommand("models", "list the available models with parameter counts");
  auto num_classes = std::make_shared<int64_t>(1000);
  auto in_channels = std::make_shared<int64_t>(3);
  auto image_size = std::make_shared<int64_t>(224);
  sub->add_option("--num-classes", *num_classes, "classes of the head")->check(CLI::PositiveNumber);
  sub->add_option("--in-channels", *in_channels, "input channels")->check(CLI::PositiveNumber);
  sub->add_option("--image-size", *image_size, "input size in pixels")->check(CLI::PositiveNumber);
  sub->callback([=, &exit_code] {
    const auto o = models::ModelOptions()
                       .num_classes(*num_classes)
                       .in_channels(*in_channels)
                       .image_size(*image_size);
    fmt::print("{:<20} {:>12} {:>10}  {}\n", "model", "parameters", "GMACs", "description");
    for (const auto& spec : models::list_models()) {
      auto model = spec.factory(o);
      const double gmacs = static_cast<double>(models::count_macs(*model, o)) / 1e9;
      fmt::print("{:<20} {:>12} {:>10.3f}  {}\n", spec.name, models::count_parameters(*model),
                 gmacs, spec.description);
    }
    fmt::print("(MACs of one forward pass at {0}x{0}, {1} input channels, {2} classes)\n",
               *image_size, *in_channels, *num_classes);
    exit_code = 0;
  });
}

}  // namespace eden::cli
