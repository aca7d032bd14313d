// The `eden` subcommands. Each register_* adds one subcommand to the root app; its callback
// runs the command through the library and stores the process exit code in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace eden::cli {

void register_train_command(CLI::App& root, int& exit_code);
void register_eval_command(CLI::App& root, int& exit_code);
void register_models_command(CLI::App& root, int& exit_code);
void register_run_command(CLI::App& root, int& exit_code);
void register_measure_command(CLI::App& root, int& exit_code);
void register_env_command(CLI::App& root, int& exit_code);
void register_compare_command(CLI::App& root, int& exit_code);
void register_card_command(CLI::App& root, int& exit_code);
void register_overview_command(CLI::App& root, int& exit_code);
void register_launch_command(CLI::App& root, int& exit_code);

/// Builds the whole `eden` command line (used by main() and by the CLI tests).
void register_all_commands(CLI::App& root, int& exit_code);

}  // namespace eden::cli
