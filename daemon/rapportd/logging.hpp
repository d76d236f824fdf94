// rapportd's log: structured `event key=value ...` lines on stderr. Under systemd the journal
// stamps the time and reads the priority from a `<N>` prefix; in a terminal, people read it.
#pragma once

#include "daemon/config/config.hpp"

#include <spdlog/spdlog.h>

#include <memory>

namespace rapport::daemon {

/// True when stderr is the journal's stream: $JOURNAL_STREAM names stderr's device and inode
/// (systemd.exec(5)), so a variable inherited by a child writing elsewhere does not count.
[[nodiscard]] bool stderr_is_journal();

/// The logger at the config's level: `<6>event ...` lines for the journal (syslog priority,
/// no time), else `2026-11-24T10:00:00.123 info event ...` with colour on a terminal.
[[nodiscard]] std::shared_ptr<spdlog::logger> make_logger(const config& c);

} // namespace rapport::daemon
