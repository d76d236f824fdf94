// Drafts as the API and notifications show them (CONTRACT §8).
#pragma once

#include "daemon/store/store.hpp"

#include <optional>
#include <string>

namespace rapport::daemon {

/// Appends `d` as a JSON object; `in_reply_to` is the replied-to message (null when there is
/// none, as for an insight question).
void append_json(std::string& out,
                 const draft_record& d,
                 const std::optional<rules::message>& in_reply_to);

} // namespace rapport::daemon
