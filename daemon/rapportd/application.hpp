// rapportd's lifecycle: load and check the config, secrets and playbooks; open the store; serve
// HTTP; reload playbooks on SIGHUP; drain and close on SIGTERM/SIGINT. Components start in
// dependency order and stop in reverse (Redpanda's deferred stop list, STYLE §8).
#pragma once

#include "daemon/config/config.hpp"
#include "rules/diagnostic.hpp"

#include <memory>
#include <vector>

namespace rapport::daemon {

/// Loads the config, resolves every secret and loads the playbooks (with the config's teams,
/// accounts and length limits). The problems found, none when all is well: what
/// `rapportd --check` prints.
[[nodiscard]] std::vector<rules::diagnostic> check_everything(const config& c);

/// Runs rapportd with `c` until SIGTERM or SIGINT. Returns the process exit code: 0 after a
/// graceful drain, 1 when it could not start (the reason is logged).
int run_daemon(const config& c);

} // namespace rapport::daemon
