#include "daemon/store/store.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace rapport::daemon {

namespace {

constexpr std::array all_states{
    draft_state::pending,  draft_state::approved, draft_state::sending, draft_state::sent,
    draft_state::rejected, draft_state::expired,  draft_state::failed,  draft_state::needs_review};

constexpr std::array all_kinds{rules::draft_kind::reply, rules::draft_kind::offer,
                               rules::draft_kind::thanks, rules::draft_kind::insight_question};

} // namespace

std::string_view to_string(draft_state s) {
    switch (s) {
        case draft_state::pending:
            return "pending";
        case draft_state::approved:
            return "approved";
        case draft_state::sending:
            return "sending";
        case draft_state::sent:
            return "sent";
        case draft_state::rejected:
            return "rejected";
        case draft_state::expired:
            return "expired";
        case draft_state::failed:
            return "failed";
        case draft_state::needs_review:
            return "needs_review";
    }
    return "pending";
}

std::optional<draft_state> parse_draft_state(std::string_view s) {
    for (draft_state state : all_states) {
        if (to_string(state) == s) {
            return state;
        }
    }
    return std::nullopt;
}

std::optional<rules::draft_kind> parse_draft_kind(std::string_view s) {
    for (rules::draft_kind kind : all_kinds) {
        if (rules::to_string(kind) == s) {
            return kind;
        }
    }
    return std::nullopt;
}

rules::time_point now_seconds() {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::optional<std::int64_t> parse_whole_number(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 0) {
        return std::nullopt;
    }
    return value;
}

ingest_request make_ingest_request(rules::message message,
                                   rules::decision decision,
                                   rules::time_point now,
                                   rules::duration expire_after,
                                   const rules::playbook_set* playbooks) {
    ingest_request request;
    std::optional<rules::time_point> sla_due;
    if (decision.sla) {
        // The SLA runs from when the person wrote, not from when we happened to receive it.
        sla_due = message.created_at.value_or(now) + *decision.sla;
    }
    request.sla_due_at = sla_due;
    request.drafts.reserve(decision.drafts.size());
    for (const rules::draft_spec& spec : decision.drafts) {
        new_draft d{spec, now, sla_due, now + expire_after, std::nullopt};
        if (spec.offer) {
            const rules::offer_pool* pool =
                playbooks != nullptr ? playbooks->find_pool(*spec.offer) : nullptr;
            d.offer = offer_terms{pool != nullptr ? pool->per_day : std::nullopt,
                                  pool != nullptr ? pool->cooldown : std::nullopt,
                                  pool != nullptr && pool->has_codes_file};
        }
        request.drafts.push_back(std::move(d));
    }
    request.message = std::move(message);
    request.decision = std::move(decision);
    request.received_at = now;
    return request;
}

} // namespace rapport::daemon
