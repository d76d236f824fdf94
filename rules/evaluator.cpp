#include "rules/evaluator.hpp"

#include <date/date.h>

#include <algorithm>

namespace rapport::rules {

namespace detail {

// One evaluation's history, asked of its source on first use only.
class lazy_history {
public:
    explicit lazy_history(history_source& source) : source_(source) {}
    [[nodiscard]] const person_history& get() {
        if (got_ == nullptr) {
            got_ = &source_.get();
        }
        return *got_;
    }

private:
    history_source& source_;
    const person_history* got_ = nullptr;
};

} // namespace detail

evaluator::evaluator(std::shared_ptr<const playbook_set> set) : set_(std::move(set)) {
    term_set_epoch_.assign(set_->term_sets.size(), 0);
    candidate_epoch_.assign(set_->rules.size(), 0);
    conjunct_epoch_.assign(set_->rules.size(), 0);
    conjuncts_seen_.assign(set_->rules.size(), 0);
}

bool evaluator::term_set_hit(std::uint32_t term_set) const {
    return term_set_epoch_[term_set] == epoch_;
}

bool evaluator::near_holds(std::uint32_t left_set,
                           std::uint32_t right_set,
                           std::uint32_t distance) const {
    if (!term_set_hit(left_set) || !term_set_hit(right_set)) {
        return false;
    }
    const auto& left = set_->term_sets[left_set];
    const auto& right = set_->term_sets[right_set];
    const auto in = [](const std::vector<std::uint32_t>& sorted, std::uint32_t p) {
        return std::binary_search(sorted.begin(), sorted.end(), p);
    };
    // Hits are few per message: sort each side's out once, then compare the pairs.
    constexpr std::size_t most = 32;
    const pattern_hit* a[most];
    const pattern_hit* b[most];
    std::size_t na = 0;
    std::size_t nb = 0;
    for (const auto& h : hits_) {
        if (na < most && in(left, h.pattern)) {
            a[na++] = &h;
        }
        if (nb < most && in(right, h.pattern)) {
            b[nb++] = &h;
        }
    }
    for (std::size_t i = 0; i < na; ++i) {
        for (std::size_t j = 0; j < nb; ++j) {
            const pattern_hit& x = *a[i];
            const pattern_hit& y = *b[j];
            if (x.first_word == y.first_word && x.last_word == y.last_word) {
                continue; // one occurrence cannot be near itself
            }
            // Words strictly between the two matches, plus one: "a x y b" is NEAR/3.
            const std::uint32_t gap = x.last_word < y.first_word   ? y.first_word - x.last_word
                                      : y.last_word < x.first_word ? x.first_word - y.last_word
                                                                   : 0;
            if (gap <= distance) {
                return true;
            }
        }
    }
    return false;
}

bool evaluator::query_holds(const compiled_query& q, std::uint32_t id) const {
    const auto& node = q.nodes[id];
    switch (node.op) {
        case query_ast::op::term:
        case query_ast::op::lexicon:
            return term_set_hit(node.term_set);
        case query_ast::op::negate:
            return !query_holds(q, node.children[0]);
        case query_ast::op::all_of:
            for (const auto child : node.children) {
                if (!query_holds(q, child)) {
                    return false;
                }
            }
            return true;
        case query_ast::op::any_of:
            for (const auto child : node.children) {
                if (query_holds(q, child)) {
                    return true;
                }
            }
            return false;
        case query_ast::op::near:
            return near_holds(q.nodes[node.children[0]].term_set,
                              q.nodes[node.children[1]].term_set, node.distance);
    }
    return false;
}

namespace {

bool contains(const std::vector<std::string>& list, std::string_view value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// Language tags are case-insensitive (BCP 47): "EN" is "en".
bool contains_ignoring_case(const std::vector<std::string>& list, std::string_view value) {
    return std::any_of(list.begin(), list.end(), [&](const std::string& item) {
        return std::equal(item.begin(), item.end(), value.begin(), value.end(), [](char x, char y) {
            return std::tolower(static_cast<unsigned char>(x)) ==
                   std::tolower(static_cast<unsigned char>(y));
        });
    });
}

bool in_window(time_point at, time_point now, duration within) {
    return at <= now && now - at <= within;
}

int count_events(const person_history& history, const count_condition& c, time_point now) {
    int n = 0;
    for (const auto& e : history.events) {
        if (!in_window(e.at, now, c.within)) {
            continue;
        }
        switch (c.what) {
            case count_condition::subject::messages:
                n += e.what == history_event::kind::message ? 1 : 0;
                break;
            case count_condition::subject::tagged:
                n += e.what == history_event::kind::message && contains(e.tags, c.filter) ? 1 : 0;
                break;
            case count_condition::subject::offers:
                n +=
                    e.what == history_event::kind::offer && (c.filter.empty() || e.pool == c.filter)
                        ? 1
                        : 0;
                break;
        }
    }
    return n;
}

bool hours_hold(const hours_condition& h, time_point now) {
    const auto local = to_local(h.zone, now);
    const auto day = std::chrono::floor<std::chrono::days>(local);
    const unsigned weekday = date::weekday(day).c_encoding(); // 0 = Sunday
    const int minute =
        static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
    const auto allowed = [&](unsigned d) { return (h.days & (1U << d)) != 0; };
    if (h.start_minute < h.end_minute) {
        return allowed(weekday) && minute >= h.start_minute && minute < h.end_minute;
    }
    // A window that wraps past midnight belongs to the day it opened: Friday 22:00-06:00
    // includes Saturday 02:00.
    if (minute >= h.start_minute) {
        return allowed(weekday);
    }
    return minute < h.end_minute && allowed((weekday + 6) % 7);
}

bool too_long(const playbook_set& set,
              std::string_view platform,
              std::string_view text,
              bool direct) {
    const auto it = set.length_limits.find(platform);
    if (it == set.length_limits.end()) {
        return false;
    }
    return it->second.length_of(text) > it->second.max_for(direct);
}

} // namespace

void evaluator::find_candidates(const message& m) {
    const playbook_set& set = *set_;
    if (++epoch_ == 0) { // wrapped: old stamps could look current
        std::fill(term_set_epoch_.begin(), term_set_epoch_.end(), 0);
        std::fill(candidate_epoch_.begin(), candidate_epoch_.end(), 0);
        std::fill(conjunct_epoch_.begin(), conjunct_epoch_.end(), 0);
        epoch_ = 1;
    }
    normalize_into(m.text, folded_);
    hits_.clear();
    set.matcher.scan(folded_, scratch_, hits_);

    candidates_.clear();
    for (const auto& h : hits_) {
        for (const auto t : set.term_sets_by_pattern[h.pattern]) {
            term_set_epoch_[t] = epoch_;
        }
        for (const auto& t : set.triggers_by_pattern[h.pattern]) {
            if (conjunct_epoch_[t.rule] != epoch_) {
                conjunct_epoch_[t.rule] = epoch_;
                conjuncts_seen_[t.rule] = 0;
            }
            conjuncts_seen_[t.rule] |= t.conjunct_bit;
            if (conjuncts_seen_[t.rule] == set.conjunct_masks[t.rule] &&
                candidate_epoch_[t.rule] != epoch_) {
                candidate_epoch_[t.rule] = epoch_;
                candidates_.push_back(t.rule);
            }
        }
    }
    candidates_.insert(candidates_.end(), set.unconditional_rules.begin(),
                       set.unconditional_rules.end());
    std::sort(candidates_.begin(), candidates_.end()); // rules run in written order
}

bool evaluator::holds(const conditions& c,
                      const message& m,
                      detail::lazy_history& history,
                      time_point now,
                      int sentiment) const {
    // Cheapest first; then the query, already likely true for a candidate; the person's
    // history last, as it may have to be read from the store.
    if ((c.kinds & (1U << static_cast<unsigned>(m.kind))) == 0 ||
        (!c.platforms.empty() && !contains(c.platforms, m.platform)) ||
        (!c.accounts.empty() && !contains(c.accounts, m.account)) ||
        (!c.langs.empty() && (!m.lang || !contains_ignoring_case(c.langs, *m.lang))) ||
        (c.answers && m.insight != c.answers) ||
        (c.sentiment_below && !(sentiment < *c.sentiment_below)) ||
        (c.sentiment_above && !(sentiment > *c.sentiment_above))) {
        return false;
    }
    const auto followers = m.author.followers.value_or(0);
    if ((c.followers_at_least && followers < *c.followers_at_least) ||
        (c.followers_at_most && followers > *c.followers_at_most)) {
        return false;
    }
    if (!c.handles.empty() && !contains(c.handles, folded_handle(m.author.handle))) {
        return false;
    }
    if (c.hours && !hours_hold(*c.hours, now)) {
        return false;
    }
    if (c.query && !query_holds(*c.query, c.query->root)) {
        return false;
    }
    for (const auto& cc : c.person) {
        const int n = count_events(history.get(), cc, now);
        if ((cc.at_least && n < *cc.at_least) || (cc.at_most && n > *cc.at_most)) {
            return false;
        }
    }
    return true;
}

namespace {

// Why an offer from `pool` cannot be made now, or empty. `pending` counts offers from the same
// pool earlier in this decision: they use the budget and the codes too.
std::string offer_skip_reason(const offer_pool& pool,
                              detail::lazy_history& history,
                              time_point now,
                              const offer_ledger* ledger,
                              int pending) {
    if (pool.cooldown) {
        for (const auto& e : history.get().events) {
            if (e.what == history_event::kind::offer && e.pool == pool.name &&
                in_window(e.at, now, *pool.cooldown)) {
                return "cooldown";
            }
        }
    }
    if (pool.per_day) {
        const int used = ledger != nullptr ? ledger->drafted_on_day(pool.name, now) : 0;
        if (used + pending >= *pool.per_day) {
            return "budget";
        }
    }
    if (pool.has_codes_file) {
        const auto left = ledger != nullptr ? ledger->codes_left(pool.name)
                                            : std::optional<int>(pool.codes.size());
        if (left && *left - pending <= 0) {
            return "pool_empty";
        }
    }
    return {};
}

std::string_view question_answered_by(const playbook_set& set, const message& m) {
    if (!m.insight) {
        return {};
    }
    const auto it = set.insights.find(*m.insight);
    return it == set.insights.end() ? std::string_view() : it->second.question;
}

// A history that is already in memory.
class loaded_history final : public history_source {
public:
    explicit loaded_history(const person_history& history) : history_(history) {}
    const person_history& get() override { return history_; }

private:
    const person_history& history_;
};

} // namespace

decision evaluator::evaluate(const message& m,
                             const person_history& history,
                             time_point now,
                             const offer_ledger* ledger) {
    loaded_history source(history);
    return evaluate(m, source, now, ledger);
}

decision evaluator::evaluate(const message& m,
                             history_source& source,
                             time_point now,
                             const offer_ledger* ledger) {
    const playbook_set& set = *set_;
    detail::lazy_history history(source);
    find_candidates(m);

    decision d;
    d.message_id = m.id;
    d.sentiment = set.sentiment.score(folded_);

    std::optional<std::string> team;
    std::optional<rules::priority> prio;
    std::vector<const rule*> draft_rules; // parallel to d.drafts
    std::uint32_t stopped_playbook = UINT32_MAX;
    const std::string_view insight_question = question_answered_by(set, m);
    const auto add_draft = [&](const rule& r, draft_kind kind, std::string text, bool is_private) {
        draft_spec draft;
        draft.rule = r.id;
        draft.kind = kind;
        draft.text = std::move(text);
        draft.is_private = is_private;
        d.drafts.push_back(std::move(draft));
        draft_rules.push_back(&r);
    };

    for (const auto index : candidates_) {
        const rule& r = set.rules[index];
        const playbook& book = set.playbooks[r.playbook];
        if (r.playbook == stopped_playbook ||
            (!m.account.empty() && !book.accounts.empty() && !contains(book.accounts, m.account)) ||
            !holds(r.when, m, history, now, d.sentiment)) {
            continue;
        }

        const actions& a = r.then;
        d.matched.push_back(r.id);
        for (const auto& tag : a.tags) {
            if (!contains(d.tags, tag)) {
                d.tags.push_back(tag);
            }
        }
        if (a.team && !team) {
            team = a.team;
        }
        if (a.priority && !prio) {
            prio = a.priority;
        }
        if (a.sla && (!d.sla || *a.sla < *d.sla)) {
            d.sla = a.sla;
        }
        template_context context{&m, book.brand_name, insight_question, std::nullopt};
        if (a.reply) {
            add_draft(r, draft_kind::reply, a.reply->text.render(context), a.reply->is_private);
        }
        if (a.offer) {
            const int pending = static_cast<int>(
                std::count_if(d.drafts.begin(), d.drafts.end(),
                              [&](const draft_spec& x) { return x.offer == a.offer->pool; }));
            const offer_pool* pool = set.find_pool(a.offer->pool);
            std::string reason =
                pool != nullptr ? offer_skip_reason(*pool, history, now, ledger, pending) : "";
            if (!reason.empty()) {
                d.skipped.push_back({r.id, std::move(reason)});
            } else {
                add_draft(r, draft_kind::offer, a.offer->text.render(context), a.offer->is_private);
                d.drafts.back().offer = a.offer->pool;
            }
        }
        if (a.collect) {
            if (!contains(d.collect, *a.collect)) {
                d.collect.push_back(*a.collect);
            }
            const auto it = set.insights.find(*a.collect);
            if (it != set.insights.end() && it->second.thank) {
                context.insight_question = it->second.question;
                add_draft(r, draft_kind::thanks, it->second.thank->render(context), false);
            }
        }
        if (a.stop) {
            stopped_playbook = r.playbook;
        }
    }

    // A draft takes its own rule's team and priority, else the first any matched rule set.
    for (std::size_t i = 0; i < d.drafts.size(); ++i) {
        auto& draft = d.drafts[i];
        const actions& a = draft_rules[i]->then;
        draft.team = a.team ? a.team : team;
        draft.priority = a.priority.value_or(prio.value_or(priority::normal));
        draft.too_long =
            too_long(set, m.platform, draft.text, goes_as_direct_message(draft.is_private, m.kind));
    }
    return d;
}

replay_ledger::replay_ledger(const playbook_set& set) {
    for (const auto& book : set.playbooks) {
        for (const auto& [name, pool] : book.offers) {
            if (pool.has_codes_file) {
                codes_left_[pool.name] = static_cast<int>(pool.codes.size());
            }
        }
    }
}

namespace {
std::int64_t utc_day(time_point t) {
    return std::chrono::floor<std::chrono::days>(t).time_since_epoch().count();
}
} // namespace

int replay_ledger::drafted_on_day(std::string_view pool, time_point day_of) const {
    const auto it = drafted_.find(std::make_pair(std::string(pool), utc_day(day_of)));
    return it == drafted_.end() ? 0 : it->second;
}

std::optional<int> replay_ledger::codes_left(std::string_view pool) const {
    const auto it = codes_left_.find(pool);
    if (it == codes_left_.end()) {
        return std::nullopt;
    }
    return it->second;
}

void replay_ledger::record(const decision& d, time_point now) {
    for (const auto& draft : d.drafts) {
        if (!draft.offer) {
            continue;
        }
        ++drafted_[std::make_pair(*draft.offer, utc_day(now))];
        if (const auto it = codes_left_.find(*draft.offer); it != codes_left_.end()) {
            --it->second;
        }
    }
}

} // namespace rapport::rules
