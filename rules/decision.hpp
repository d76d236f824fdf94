// What the playbooks decided about one message (CONTRACT §7).
#pragma once

#include "rules/time.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {

enum class draft_kind { reply, offer, thanks, insight_question };
enum class priority { low, normal, high, urgent };

[[nodiscard]] std::string_view to_string(draft_kind k);
[[nodiscard]] std::string_view to_string(priority p);
[[nodiscard]] std::optional<priority> parse_priority(std::string_view s);

/// A reply the playbooks want a person to approve.
struct draft_spec {
    /// Qualified rule id, `playbook/rule`.
    std::string rule;
    draft_kind kind = draft_kind::reply;
    std::optional<std::string> team;
    rules::priority priority = priority::normal;
    /// Rendered text; an offer keeps the literal `{{offer.code}}` until a code is reserved.
    std::string text;
    bool is_private = false;
    /// The text exceeds the platform's length limit: an approver must shorten it.
    bool too_long = false;
    /// Qualified pool (`playbook/pool`) for offer drafts.
    std::optional<std::string> offer;

    friend bool operator==(const draft_spec&, const draft_spec&) = default;
};

/// An offer a rule wanted to make but could not.
struct skipped_offer {
    std::string rule;
    /// "cooldown", "budget" or "pool_empty".
    std::string reason;

    friend bool operator==(const skipped_offer&, const skipped_offer&) = default;
};

struct decision {
    std::string message_id;
    int sentiment = 0;
    std::vector<std::string> tags;
    /// Qualified ids of the rules whose conditions held, in evaluation order.
    std::vector<std::string> matched;
    std::vector<draft_spec> drafts;
    /// Insight ids this message is collected as an answer to.
    std::vector<std::string> collect;
    std::optional<duration> sla;
    std::vector<skipped_offer> skipped;

    friend bool operator==(const decision&, const decision&) = default;
};

/// Appends the decision as one JSON object (CONTRACT §7). `skipped` appears only when
/// non-empty; `offer` only on offer drafts.
void append_json(std::string& out, const decision& d);

/// The offer pool of a qualified name: "acme-core/sneak-peek" → "sneak-peek".
[[nodiscard]] std::string_view unqualified(std::string_view qualified);

} // namespace rapport::rules
