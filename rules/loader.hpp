// Loading playbooks from YAML (CONTRACT §3) with every problem reported as
// FILE:LINE:COL: error: MESSAGE, all problems of a file at once.
#pragma once

#include "rules/diagnostic.hpp"
#include "rules/playbook.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rapport::rules {

struct load_options {
    /// When set, `team:` must name one of these (the approvers' teams from the config).
    std::optional<std::set<std::string, std::less<>>> known_teams;
    /// When set, `accounts:` and `account:` must name one of these.
    std::optional<std::set<std::string, std::less<>>> known_accounts;
    /// Per-platform draft length limits; default_length_limits() unless the config says more.
    std::map<std::string, length_limit, std::less<>> length_limits = default_length_limits();
};

struct load_result {
    /// Null when there were problems.
    std::shared_ptr<const playbook_set> set;
    std::vector<diagnostic> diagnostics;
};

/// The playbook files named by `paths`: a file is taken as it is; a directory contributes
/// every `*.yaml` / `*.yml` directly in it that does not end in `.test.yaml`, in name order.
/// Missing paths are diagnostics.
[[nodiscard]] std::vector<std::filesystem::path> playbook_files(
    const std::vector<std::filesystem::path>& paths, std::vector<diagnostic>& diagnostics);

/// Loads and compiles playbooks from files or directories (see playbook_files).
[[nodiscard]] load_result load_playbooks(const std::vector<std::filesystem::path>& paths,
                                         const load_options& options = {});

/// One in-memory playbook source.
struct playbook_source {
    /// Shown in diagnostics; `codes_file` paths are relative to its directory.
    std::string file;
    std::string text;
};

/// Loads and compiles playbooks from in-memory YAML texts (tests, fuzzing, reloads).
[[nodiscard]] load_result load_playbook_sources(const std::vector<playbook_source>& sources,
                                                const load_options& options = {});

} // namespace rapport::rules
