// The daemon's timed work, once a second on a thread of its own: undecided drafts expire, SLAs
// that passed unanswered are raised once, insight questions that are due become drafts.
#include "daemon/rapportd/async_store.hpp"
#include "daemon/rapportd/daemon_state.hpp"
#include "daemon/rapportd/notifier.hpp"

#include "rules/schedule.hpp"

#include <spdlog/spdlog.h>

namespace rapport::daemon {
namespace {

// Enough per pass for a backlog to clear within seconds without one pass holding the writer
// for long.
constexpr int batch_limit = 500;

// Insight schedule state lives in the store's cursors: when the daemon first saw a question
// (so a new cron question does not fire its whole history) and, written by fire_insight in
// the transaction that creates the drafts, the slot it last fired.
constexpr std::string_view insight_owner = "insight";

std::optional<rules::time_point> parse_seconds(const std::optional<std::string>& text) {
    if (!text) {
        return std::nullopt;
    }
    const auto value = parse_whole_number(*text);
    if (!value) {
        return std::nullopt;
    }
    return rules::time_point{std::chrono::seconds{*value}};
}

} // namespace

void daemon_state::housekeeping() {
    const rules::time_point now = now_seconds();
    bool failed = false;

    const auto expired = wait_for_store<store_result<std::vector<draft_record>>>(
        [&](auto done) { store_->expire_drafts(now, batch_limit, std::move(done)); });
    if (!expired.ok()) {
        failed = true;
        if (!housekeeping_failed_) {
            log_->error("expire_failed error=\"{}\"", expired.error);
        }
    }
    for (const draft_record& d : expired.value) {
        drafts_total_->with({"expired"}).increment();
        log_->info("draft_expired draft={} account={} created_at={}", d.id, d.account,
                   rules::format_timestamp(d.created_at));
    }

    const auto breaches = wait_for_store<store_result<std::vector<sla_breach>>>(
        [&](auto done) { store_->breach_slas(now, batch_limit, std::move(done)); });
    if (!breaches.ok()) {
        failed = true;
        if (!housekeeping_failed_) {
            log_->error("sla_check_failed error=\"{}\"", breaches.error);
        }
    }
    for (const sla_breach& b : breaches.value) {
        sla_breaches_total_->increment();
        log_->warn("sla_breached account={} message={} due_at={} late_seconds={} draft={}",
                   b.account, b.message_id, rules::format_timestamp(b.due_at), b.late.count(),
                   b.draft ? b.draft->id : "-");
    }
    // Once when it starts failing and once when it works again, like the rest of this pass.
    const std::string store_problem = store_->background_problem();
    if (store_problem != store_problem_) {
        if (!store_problem.empty()) {
            log_->error("store_background_failed error=\"{}\"", store_problem);
        } else {
            log_->info("store_background_recovered");
        }
        store_problem_ = store_problem;
    }
    const bool fired = fire_insight_questions(now, failed);
    if (!expired.value.empty() || !breaches.value.empty() || fired) {
        outbox_changed();
    }
    if (housekeeping_failed_ && !failed) {
        log_->info("housekeeping_recovered");
    }
    housekeeping_failed_ = failed;
}

bool daemon_state::fire_insight_questions(rules::time_point now, bool& failed) {
    const auto set = std::atomic_load(&playbooks_);
    bool fired = false;
    for (const auto& [id, question] : set->insights) {
        const std::string first_seen_key = id + "#first_seen";
        const auto first_seen = store_->get_cursor(insight_owner, first_seen_key);
        const auto last_fired = store_->get_cursor(insight_owner, id);
        if (!first_seen.ok() || !last_fired.ok()) {
            failed = true;
            continue;
        }
        rules::fire_history history{parse_seconds(last_fired.value), now};
        if (const auto seen = parse_seconds(first_seen.value)) {
            history.first_seen = *seen;
        } else {
            const std::string error = wait_for_store<std::string>([&](auto done) {
                store_->put_cursor(std::string(insight_owner), first_seen_key,
                                   std::to_string(now.time_since_epoch().count()), std::move(done));
            });
            if (!error.empty()) {
                failed = true;
                continue;
            }
        }
        const auto slot = rules::due_fire(question.schedule, history, now);
        if (!slot) {
            continue;
        }
        insight_firing firing{id, *slot, {}};
        const auto& book = set->playbooks[question.playbook];
        std::vector<std::string> accounts = question.accounts;
        if (accounts.empty()) {
            accounts = book.accounts;
        }
        if (accounts.empty()) {
            for (const auto& a : config_.accounts) {
                accounts.push_back(a.id);
            }
        }
        for (const std::string& account_id : accounts) {
            const account* a = find_account(config_, account_id);
            if (a == nullptr) {
                continue;
            }
            draft_record d;
            d.kind = rules::draft_kind::insight_question;
            d.account = a->id;
            d.platform = a->platform;
            d.rule = book.name + "/" + id;
            d.text = question.question;
            d.original_text = question.question;
            d.created_at = now;
            d.expires_at = now + config_.approval.expire_after;
            firing.drafts.push_back(std::move(d));
        }
        const auto created = wait_for_store<store_result<std::vector<draft_record>>>(
            [&](auto done) { store_->fire_insight(std::move(firing), std::move(done)); });
        if (!created.ok()) {
            failed = true;
            log_->error("insight_fire_failed insight={} error=\"{}\"", id, created.error);
            continue;
        }
        for (const draft_record& d : created.value) {
            fired = true;
            drafts_total_->with({"pending"}).increment();
            log_->info("insight_question_drafted insight={} slot={} account={} draft={}", id,
                       rules::format_timestamp(*slot), d.account, d.id);
        }
    }
    return fired;
}

} // namespace rapport::daemon
