// Drafts as the API and notifications show them (CONTRACT §8).
#pragma once

#include "daemon/store/store.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rapport::daemon {

/// Appends `d` as a JSON object; `in_reply_to` is the replied-to message (null when there is
/// none, as for an insight question).
void append_json(std::string& out,
                 const draft_record& d,
                 const std::optional<rules::message>& in_reply_to);

/// The same with the replied-to message already as JSON text (as the store keeps it), or
/// `null`.
void append_json(std::string& out, const draft_record& d, std::string_view in_reply_to_json);

} // namespace rapport::daemon
