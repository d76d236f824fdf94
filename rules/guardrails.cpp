#include "rules/guardrails.hpp"

#include "rules/text.hpp"

namespace rapport::rules {

std::optional<std::string> approval_blocker(
    std::string_view text,
    std::string_view platform,
    bool direct,
    const std::vector<std::string>& blocked_phrases,
    const std::map<std::string, length_limit, std::less<>>& limits) {
    if (!blocked_phrases.empty()) {
        // Spaces around both sides make every match start and end on a word boundary.
        const std::string folded = " " + normalize(text).text + " ";
        for (const std::string& phrase : blocked_phrases) {
            const std::string words = normalize(phrase).text;
            if (!words.empty() && folded.find(" " + words + " ") != std::string::npos) {
                return "the text contains the blocked phrase \"" + phrase +
                       "\" (guardrails.blocked_phrases): edit it out to approve";
            }
        }
    }
    if (const auto limit = limits.find(platform); limit != limits.end()) {
        const std::size_t length = limit->second.length_of(text);
        const std::size_t max = limit->second.max_for(direct);
        if (length > max) {
            const bool direct_limit = max != limit->second.max;
            return "the text is " + std::to_string(length) + " " +
                   std::string(limit->second.unit_name()) + ", over " + std::string(platform) +
                   "'s limit of " + std::to_string(max) +
                   (direct_limit ? " for direct messages" : "") + ": shorten it to approve";
        }
    }
    return std::nullopt;
}

} // namespace rapport::rules
