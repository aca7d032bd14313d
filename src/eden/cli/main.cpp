// `eden` entry point: parses the command line, runs one subcommand, maps errors to exit codes.
// The only place where an exception becomes an exit status.
#include <clocale>
#include <exception>
#include <iostream>

#include "eden/cli/commands.h"
#include "eden/util/check.h"
#include "eden/util/interrupt.h"

int main(int argc, char** argv) {
  std::setlocale(LC_NUMERIC, "C");
  CLI::App app{"EDEN: energy-aware training and reporting of image classifiers"};
  app.name("eden");
  app.require_subcommand(1);
  app.set_version_flag("--version", EDEN_VERSION);
  int exit_code = 0;
  eden::cli::register_all_commands(app, exit_code);
  std::string names;
  bool known = false;
  for (const auto* sub : app.get_subcommands({})) {
    names += " " + sub->get_name();
    known = known || (argc > 1 && sub->get_name() == argv[1]);
  }
  if (argc > 1 && argv[1][0] != '-' && !known) {
    std::cerr << "eden: error: unknown command '" << argv[1] << "'; commands:" << names << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "eden: error: " << e.what() << "\n";
    std::cerr << "hint: run 'eden --help' or 'eden <command> --help'\n";
    return e.get_exit_code() == 0 ? 2 : e.get_exit_code();
  } catch (const eden::Interrupted& e) {  // SIGINT/SIGTERM honoured at a safe point
    if (e.report()) std::cerr << "eden: interrupted: " << e.what() << "\n";
    return 128 + e.signal();
  } catch (const eden::Error& e) {
    std::cerr << "eden: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "eden: error: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
