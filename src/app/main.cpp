// teamvl: one binary for the server, the operator CLI and the engine tools.
#include <cstdio>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/engine_commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(teamvl::app::usage_text().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::puts("teamvl 0.1.0");
    return 0;
  }
  std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "serve") return teamvl::app::run_serve(rest);
  if (command == "config") return teamvl::app::run_config(rest);
  if (command == "admin") return teamvl::app::run_admin(rest);
  int rc = teamvl::app::run_engine_command(command, rest);
  if (rc >= 0) return rc;
  std::fprintf(stderr, "teamvl: unknown command '%s'\n\n%s", command.c_str(),
               teamvl::app::usage_text().c_str());
  return 2;
}
