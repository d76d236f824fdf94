#include "tools/commands.hpp"

#include "daemon/config/config.hpp"
#include "rules/loader.hpp"

#include <ostream>

namespace rapport::tools {

int run_check(const check_options& options, std::ostream& out, std::ostream& /*err*/) {
    rules::load_options load;
    std::vector<std::filesystem::path> paths = options.paths;
    std::vector<rules::diagnostic> problems;
    if (options.config) {
        auto config = daemon::load_config(*options.config);
        problems = std::move(config.diagnostics);
        if (config.value) {
            // With only "*" approvers there are no named teams, and any team reaches them.
            if (auto teams = daemon::teams(*config.value);
                !teams.empty() || !daemon::any_approver_sees_all_teams(*config.value)) {
                load.known_teams = std::move(teams);
            }
            load.known_accounts = daemon::account_ids(*config.value);
            for (const auto& [platform, max] : daemon::platform_length_limits(*config.value)) {
                load.length_limits[platform].max = max; // keeps a built-in entry's unit
            }
            if (paths.empty()) {
                paths = config.value->playbooks;
            }
        }
    }
    if (!paths.empty()) {
        const auto loaded = rules::load_playbooks(paths, load);
        problems.insert(problems.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
    }
    for (const auto& d : problems) {
        out << to_string(d) << '\n';
    }
    return problems.empty() ? exit_ok : exit_problems;
}

} // namespace rapport::tools
