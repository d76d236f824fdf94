// Guardrails on approval (CONTRACT §2 `guardrails`, §5.1 422): what keeps a person from
// approving, unedited, a text the brand has ruled out or the platform would refuse.
#pragma once

#include "rules/playbook.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {

/// Why `text` cannot be sent as is from a `platform` account: the first blocked phrase it
/// contains (matched as queries match: case-folded, on word boundaries, so "guaranteed"
/// blocks "GUARANTEED!" but not "unguaranteed"), or the platform's length limit it exceeds
/// (its limit for direct messages when `direct`: a private reply, or one to a direct message).
/// Nullopt when nothing stands in the way. The message is for the approver: it names the
/// phrase or the limit and the text's length.
[[nodiscard]] std::optional<std::string> approval_blocker(
    std::string_view text,
    std::string_view platform,
    bool direct,
    const std::vector<std::string>& blocked_phrases,
    const std::map<std::string, length_limit, std::less<>>& limits);

} // namespace rapport::rules
