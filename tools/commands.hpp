// The rapportctl subcommands that work offline on playbooks (CONTRACT §1, §4): each takes its
// streams so tests can drive it in-process, and returns the process exit code.
#pragma once

#include "rules/time.hpp"

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace rapport::tools {

/// Exit codes shared by the subcommands.
enum exit_code : int { exit_ok = 0, exit_problems = 1, exit_usage = 2 };

struct check_options {
    std::optional<std::filesystem::path> config;
    std::vector<std::filesystem::path> paths;
};

/// `rapportctl check`: validates playbooks and, with a config, the config (and the playbooks
/// against its teams and accounts). Each problem is one line FILE:LINE:COL: error: MESSAGE on
/// `out`. 0 when all is well, 1 when there are problems.
int run_check(const check_options& options, std::ostream& out, std::ostream& err);

/// `rapportctl test`: runs playbook test files (or every *.test.yaml in the directories
/// given). Prints each failing case with expected vs actual and ends with `N passed, M failed`.
int run_tests(const std::vector<std::filesystem::path>& paths,
              std::ostream& out,
              std::ostream& err);

/// `rapportctl simulate`: replays messages (one JSON object a line) from `in`, writing one
/// decision a line to `out`. `now` is used for messages without created_at.
int run_simulate(const std::vector<std::filesystem::path>& playbooks,
                 std::FILE* in,
                 std::FILE* out,
                 std::ostream& err,
                 rules::time_point now);

} // namespace rapport::tools
