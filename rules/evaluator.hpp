// Evaluation: (message, person history, now) → decision. Deterministic: the same inputs always
// give the same decision.
#pragma once

#include "rules/decision.hpp"
#include "rules/history.hpp"
#include "rules/matcher.hpp"
#include "rules/message.hpp"
#include "rules/playbook.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rapport::rules {

namespace detail {
class lazy_history;
} // namespace detail

/// Evaluates messages against one playbook set. Holds per-thread scratch memory: use one
/// evaluator per thread (they are cheap once warm). The set is shared and never modified.
class evaluator {
public:
    explicit evaluator(std::shared_ptr<const playbook_set> set);

    /// Runs every applicable rule of every playbook, in order, over `m`.
    /// `ledger` answers offer budgets and pools; null means no budgets used and full pools.
    [[nodiscard]] decision evaluate(const message& m,
                                    const person_history& history,
                                    time_point now,
                                    const offer_ledger* ledger = nullptr);

    /// The same, asking `history` for the person's history only if a rule needs it (see
    /// history_source::get).
    [[nodiscard]] decision evaluate(const message& m,
                                    history_source& history,
                                    time_point now,
                                    const offer_ledger* ledger = nullptr);

    [[nodiscard]] const playbook_set& set() const { return *set_; }

private:
    // Folds and scans the text, then lists the rules that can hold, in written order.
    void find_candidates(const message& m);
    [[nodiscard]] bool holds(const conditions& c,
                             const message& m,
                             detail::lazy_history& history,
                             time_point now,
                             int sentiment) const;
    [[nodiscard]] bool query_holds(const compiled_query& q, std::uint32_t node) const;
    [[nodiscard]] bool term_set_hit(std::uint32_t term_set) const;
    [[nodiscard]] bool near_holds(std::uint32_t left_set,
                                  std::uint32_t right_set,
                                  std::uint32_t distance) const;

    std::shared_ptr<const playbook_set> set_;
    matcher::scratch scratch_;
    normalized_text folded_;
    std::vector<pattern_hit> hits_;
    // Epoch stamps instead of clearing per message: term set t has a hit iff
    // term_set_epoch_[t] == epoch_.
    std::vector<std::uint32_t> term_set_epoch_;
    std::vector<std::uint32_t> candidate_epoch_;
    // Conjunct bits of each rule seen in this message; valid where conjunct_epoch_ == epoch_.
    std::vector<std::uint32_t> conjunct_epoch_;
    std::vector<std::uint32_t> conjuncts_seen_;
    std::vector<std::uint32_t> candidates_;
    std::uint32_t epoch_ = 0;
};

/// An offer_ledger kept in memory over one replay (simulate, playbook tests): it counts the
/// offers drafted per pool and UTC day and the codes they used.
class replay_ledger final : public offer_ledger {
public:
    explicit replay_ledger(const playbook_set& set);
    [[nodiscard]] int drafted_on_day(std::string_view pool, time_point day_of) const override;
    [[nodiscard]] std::optional<int> codes_left(std::string_view pool) const override;
    /// Records the offer drafts of `d`, made at `now`.
    void record(const decision& d, time_point now);

private:
    std::map<std::pair<std::string, std::int64_t>, int, std::less<>> drafted_;
    std::map<std::string, int, std::less<>> codes_left_;
};

} // namespace rapport::rules
