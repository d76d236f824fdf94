// A person's earlier activity, as the `person` conditions and offer cooldowns see it.
#pragma once

#include "rules/time.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {

/// One earlier event of a person: a message (with the tags its decision gave it) or an offer
/// sent to them.
struct history_event {
    enum class kind { message, offer };
    history_event::kind what = kind::message;
    time_point at;
    std::vector<std::string> tags;
    /// Qualified pool for offers.
    std::string pool;

    friend bool operator==(const history_event&, const history_event&) = default;
};

/// Everything known about one person (platform, author.id) before the message being
/// evaluated. The store loads it; simulate and tests build it in memory.
struct person_history {
    std::vector<history_event> events;
};

/// Where evaluation gets a person's history when it needs it. The daemon reads it from its
/// store, and most messages match no rule that looks at history, so it is asked for lazily.
class history_source {
public:
    virtual ~history_source() = default;
    /// The person's history. evaluator::evaluate calls this at most once per message, and only
    /// for a rule with a `person` condition whose other conditions hold, or one that offers
    /// from a pool with a cooldown. The reference must stay valid until evaluate returns.
    [[nodiscard]] virtual const person_history& get() = 0;
};

/// Offer budgets and code pools, which span all people. The daemon answers from its store;
/// simulate and tests use replay_ledger.
class offer_ledger {
public:
    virtual ~offer_ledger() = default;
    /// Offers from `pool` (qualified) drafted on the UTC day that contains `day_of`.
    [[nodiscard]] virtual int drafted_on_day(std::string_view pool, time_point day_of) const = 0;
    /// Codes still free in `pool`; nullopt when the pool hands out no codes.
    [[nodiscard]] virtual std::optional<int> codes_left(std::string_view pool) const = 0;
};

} // namespace rapport::rules
