// cli/main: `orderguard` and its sub-commands. Parses arguments only; the work is in commands.cc.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace og::cli;
  CLI::App app{"OrderGuard: real-time order-exception engine (detects, fixes, escalates, proves, measures)", "orderguard"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "orderguard 0.1.0");

  ReplayArgs replay;
  auto* replay_cmd = app.add_subcommand("replay", "Run events from a file through the engine in event time, write what it found");
  replay_cmd->add_option("--input", replay.input, "NDJSON events, or - for stdin")->required();
  replay_cmd->add_option("--config", replay.config, "rules configuration (TOML); defaults when absent");
  replay_cmd->add_option("--until", replay.until, "move event time to this RFC 3339 time at the end (default: the last event's ts)");
  replay_cmd->add_option("--incidents", replay.incidents, "where to write incidents (NDJSON), or -")->required();
  replay_cmd->add_option("--commands", replay.commands, "where to write the commands emitted (NDJSON)");
  replay_cmd->add_option("--report", replay.report, "where to write counts and handling measures (JSON)");
  replay_cmd->add_flag("--strict", replay.strict, "stop at the first bad line (exit 1)");

  auto* rules_cmd = app.add_subcommand("rules", "Work with the rules configuration");
  rules_cmd->require_subcommand(1);
  std::string rules_file;
  auto* check_cmd = rules_cmd->add_subcommand("check", "Validate a rules file and print what it changes from the defaults");
  check_cmd->add_option("FILE", rules_file, "rules configuration (TOML)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return kExitUsage;
  }

  if (replay_cmd->parsed()) return run_replay(replay);
  if (check_cmd->parsed()) return run_rules_check(rules_file);
  return kExitUsage;
}
