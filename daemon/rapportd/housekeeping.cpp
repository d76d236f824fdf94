// The daemon's timed work, once a second on the io_context: undecided drafts expire, SLAs
// that passed unanswered are raised once.
#include "daemon/rapportd/async_store.hpp"
#include "daemon/rapportd/daemon_state.hpp"
#include "daemon/rapportd/notifier.hpp"

#include <spdlog/spdlog.h>

namespace rapport::daemon {
namespace {

// Enough per pass for a backlog to clear within seconds without one pass holding the writer
// for long.
constexpr int batch_limit = 500;

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
    if ((!expired.value.empty() || !breaches.value.empty()) && notifier_ != nullptr) {
        notifier_->wake();
    }
    if (housekeeping_failed_ && !failed) {
        log_->info("housekeeping_recovered");
    }
    housekeeping_failed_ = failed;
}

} // namespace rapport::daemon
