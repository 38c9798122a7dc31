#include "golden_case.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/time.h"
#include "handling/command.h"
#include "replay/output.h"
#include "replay/replay.h"
#include "rules/config.h"

namespace og::testing {
namespace {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  const auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

}  // namespace

std::vector<std::string> all_case_paths() {
  std::vector<std::string> paths;
  const std::filesystem::path root = std::filesystem::path(OG_SOURCE_DIR) / "tests" / "cases";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == ".case") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

GoldenCase read_case(const std::string& path) {
  GoldenCase golden;
  golden.path = path;
  std::ifstream file(path);
  std::string line;
  bool in_expectations = false;
  while (std::getline(file, line)) {
    const std::string text = trim(line);
    if (in_expectations) {
      if (!text.empty() && text[0] != '#' && text != "(none)") golden.expected.push_back(text);
      continue;
    }
    if (text.empty() || text[0] == '#') continue;
    if (text == "----") {
      in_expectations = true;
    } else if (text.rfind("@until ", 0) == 0) {
      auto until = parse_rfc3339_ms(trim(text.substr(7)));
      if (!until) golden.error = "@until: " + until.error();
      else golden.until = *until;
    } else if (text.rfind("@config ", 0) == 0) {
      golden.config_toml += text.substr(8) + "\n";
    } else if (text.rfind("@only ", 0) == 0) {
      std::stringstream list(text.substr(6));
      std::string type;
      while (std::getline(list, type, ',')) golden.only_types.push_back(trim(type));
    } else if (text == "@handling") {
      golden.handling = true;
    } else if (text[0] == '@') {
      golden.error = "unknown directive: " + text;
    } else {
      golden.events.push_back(text);
    }
  }
  if (!in_expectations) golden.error = "no '----' line before the expected incidents";
  std::sort(golden.expected.begin(), golden.expected.end());
  return golden;
}

CaseRun run_case(const GoldenCase& golden, const std::vector<std::string>& events) {
  CaseRun run;
  // Detection cases run detection alone (a shadow run): their statuses are detection's.
  auto config = load_rules((golden.handling ? "" : "handling.enabled = false\n") + golden.config_toml, "@config");
  if (!config) {
    run.error = config.error();
    return run;
  }
  Engine engine(std::move(*config));
  std::string bad;
  ReplayRunner runner(engine, [&](std::uint64_t line, const std::string& reason) {
    bad += "line " + std::to_string(line) + ": " + reason + "\n";
  });
  std::string input;
  for (const auto& event : events) input += event + "\n";
  runner.feed_buffer(input);
  if (!bad.empty()) run.error = "bad event lines in the case:\n" + bad;
  engine.finish(golden.until < 0 ? kAbsent : golden.until);
  for (const Incident& incident : engine.incidents().all()) {
    const std::string type(incident_type_name(incident.type));
    if (!golden.only_types.empty() &&
        std::find(golden.only_types.begin(), golden.only_types.end(), type) == golden.only_types.end()) {
      continue;
    }
    std::string line = golden_line(incident, engine.interner());
    if (golden.handling && !incident.actions.empty()) {
      line += " actions=";
      for (std::size_t i = 0; i < incident.actions.size(); ++i) line += (i == 0 ? "" : ",") + incident.actions[i];
    }
    if (golden.handling && !incident.assignee.empty()) line += " assignee=" + incident.assignee;
    if (golden.handling && incident.loss != 0) line += " loss=" + std::to_string(incident.loss);
    run.lines.push_back(std::move(line));
  }
  if (golden.handling) {
    std::map<std::string, std::string> type_of;  // incident id -> type, for @only
    for (const Incident& incident : engine.incidents().all()) type_of[incident.id] = std::string(incident_type_name(incident.type));
    for (const Command& command : engine.commands()) {
      const std::string& type = type_of[command.incident_id];
      if (!golden.only_types.empty() && std::find(golden.only_types.begin(), golden.only_types.end(), type) == golden.only_types.end()) {
        continue;
      }
      run.lines.push_back(command_golden_line(command));
    }
  }
  std::sort(run.lines.begin(), run.lines.end());
  run.incidents_ndjson = incidents_ndjson(engine, engine.interner());
  return run;
}

std::string command_golden_line(const Command& command) {
  std::string line = "cmd " + command.name + " at=" + format_utc_ms(command.at);
  const auto add = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) line += " " + std::string(key) + "=" + value;
  };
  add("order", command.order_id);
  if (command.amount != kNoAmount) add("amount", std::to_string(command.amount));
  add("sku", command.sku);
  add("substitute", command.substitute_sku);
  if (command.qty != kNoAmount) add("qty", std::to_string(command.qty));
  if (command.unit_price != kNoAmount) add("price", std::to_string(command.unit_price));
  std::string offered;
  for (const auto& sku : command.substitute_skus) offered += (offered.empty() ? "" : ",") + sku;
  add("offered", offered);
  add("rider", command.rider_id);
  add("pickup", command.pickup_point_id);
  add("to", command.to);
  add("channel", command.channel);
  add("template", command.template_name);
  return line;
}

std::string case_test_name(const std::string& path) {
  std::string name = path.substr(path.find("cases/") + 6);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

void rewrite_expectations(const GoldenCase& golden, const std::vector<std::string>& lines) {
  std::ifstream in(golden.path);
  std::string content, line;
  while (std::getline(in, line)) {
    content += line + "\n";
    if (trim(line) == "----") break;
  }
  if (lines.empty()) content += "(none)\n";
  for (const auto& expected : lines) content += expected + "\n";
  std::ofstream(golden.path, std::ios::trunc) << content;
}

}  // namespace og::testing
