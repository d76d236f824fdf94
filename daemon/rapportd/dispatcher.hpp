// The dispatcher: takes approved drafts, most urgent first, and sends them through their
// account's adapter (ARCHITECTURE "The flow of one message", step 6; CONTRACT §8, §9).
//
// Promises: a draft is marked `sending` durably before its platform call, so a crash mid-send
// leaves evidence and the next start turns it into `needs_review` (never a silent second send,
// unless the account's receiver deduplicates); 429/5xx and lost connections are retried with
// exponential backoff and jitter, honouring Retry-After; other 4xx fail the draft with the
// platform's message; a per-account token bucket and a global hourly cap keep the brand from
// flooding anyone, and what exceeds them waits.
#pragma once

#include "adapters/common/reply_sender.hpp"
#include "daemon/store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rapport::daemon {

struct dispatcher_options {
    /// Replies sent per rolling hour across all accounts (`guardrails.max_sends_per_hour`).
    std::int64_t max_sends_per_hour = 200;
    /// How often due drafts are looked for when nothing wakes the dispatcher (retries and
    /// rate-limited drafts become due with time).
    std::chrono::steady_clock::duration tick = std::chrono::seconds(1);
    /// Sends in flight at once.
    int max_in_flight = 8;
    /// After this many attempts a retryable failure fails the draft.
    int max_attempts = 12;
    /// Backoff after the first failed attempt; doubles with each one, up to `max_backoff`,
    /// and a random part (half of it at most) spreads retries apart.
    std::chrono::seconds first_backoff = std::chrono::seconds(2);
    std::chrono::seconds max_backoff = std::chrono::minutes(10);
    /// A platform's Retry-After is honoured up to this long.
    std::chrono::seconds max_retry_after = std::chrono::hours(1);
    /// Wall-clock time for the store's timestamps (tests pass their own).
    std::function<rules::time_point()> now;
};

/// One account the dispatcher sends for.
struct dispatch_account {
    std::string id;
    /// The adapter that sends its replies; null when the account cannot send (its drafts fail
    /// with a message saying so).
    std::shared_ptr<adapters::reply_sender> sender;
    /// Without a sender: why, for the failed draft's `last_error`.
    std::string cannot_send_because;
    /// The receiver honours Idempotency-Key: an interrupted or unanswered send is retried
    /// instead of left for review.
    bool idempotent = false;
    std::int64_t sends_per_minute = 30;
};

/// What the dispatcher did, for metrics and logs.
struct dispatch_event {
    /// `sending`, `sent`, `retry`, `failed`, `needs_review` (a draft changed: `draft` is it
    /// now), or `store_error` / `hourly_cap` (no draft).
    std::string what;
    std::optional<draft_record> draft;
    /// store_error: what failed.
    std::string detail;
    /// sent: the first sent reply to its message, this long after the message was written.
    std::optional<rules::duration> first_response;
};

/// Called on the dispatcher's strand; must be quick.
using dispatch_observer = std::function<void(const dispatch_event&)>;

class dispatcher {
public:
    dispatcher(net::any_io_executor executor,
               store& drafts,
               std::vector<dispatch_account> accounts,
               dispatcher_options options,
               dispatch_observer observer);
    ~dispatcher();
    dispatcher(const dispatcher&) = delete;
    dispatcher& operator=(const dispatcher&) = delete;

    /// Starts looking for due drafts. Call once, after recover_interrupted_sends().
    void start();

    /// A draft was approved: look now instead of at the next tick. Any thread.
    void wake();

    /// Paused, it starts no send once this returns (sends already marked `sending` finish);
    /// resumed, it looks at once, so the backlog goes out most urgent first. Any thread.
    void set_paused(bool paused);

    /// Stops taking drafts and calls `done` (on the dispatcher's strand) once the sends in
    /// flight have ended, or after `grace` with them still running: those drafts stay
    /// `sending` in the store and the next start puts them up for review. Any thread; once.
    void stop(std::chrono::steady_clock::duration grace, std::function<void()> done);

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

/// The accounts whose receivers deduplicate (for store::recover_interrupted_sends).
[[nodiscard]] std::vector<std::string> idempotent_accounts(
    const std::vector<dispatch_account>& accounts);

} // namespace rapport::daemon
