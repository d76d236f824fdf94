// The body of a decision request (CONTRACT §5): `{"text", "note", "version"}` to approve,
// `{"reason"}` to reject, and for an HMAC-signed decision the approver it acts for. Outside
// input: every field is checked, unknown ones are refused.
#pragma once

#include "daemon/store/store.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rapport::daemon {

struct decision_body {
    /// Approve only: the edited text (never empty or blank).
    std::optional<std::string> text;
    /// The note (approve) or the reason (reject).
    std::optional<std::string> note;
    std::optional<int> version;
    /// Signed decisions only: the approver's name (required for them).
    std::optional<std::string> approver;
    /// Why the body is refused (400); empty when it was read.
    std::string error;
};

/// Reads `body` for `what`. An empty or blank body is no fields (a signed decision then lacks
/// its approver). Never throws (allocation failure aside).
[[nodiscard]] decision_body parse_decision_body(std::string_view body,
                                                decide_request::action what,
                                                bool is_signed);

} // namespace rapport::daemon
