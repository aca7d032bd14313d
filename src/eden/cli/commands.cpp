// The full `eden` command line.
#include "eden/cli/commands.h"

namespace eden::cli {

void register_all_commands(CLI::App& root, int& exit_code) {
  register_run_command(root, exit_code);
  register_train_command(root, exit_code);
  register_eval_command(root, exit_code);
  register_models_command(root, exit_code);
  register_measure_command(root, exit_code);
  register_env_command(root, exit_code);
  register_compare_command(root, exit_code);
  register_card_command(root, exit_code);
  register_overview_command(root, exit_code);
  register_launch_command(root, exit_code);
}

}  // namespace eden::cli
