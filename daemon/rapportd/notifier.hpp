// The notifier: delivers the outbox's draft events to every `approval.notify` receiver
// (CONTRACT §5.4), signed as in §5.3 with that receiver's secret.
//
// Promises: each receiver gets every event committed after it was first configured, in commit
// order, at least once (its progress is a cursor in the store, advanced after a 2xx; a crash
// between the two repeats one event, so bodies carry `event_id` to deduplicate by). A receiver
// that fails is retried with backoff, and it waits alone: other receivers, drafting, approving
// and sending never wait for it. An event a receiver refuses for good (4xx other than 408 and
// 429) is logged and skipped rather than blocking the events after it.
#pragma once

#include "adapters/common/https_client.hpp"
#include "daemon/store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rapport::daemon {

struct notify_receiver {
    std::string url;
    /// Signs each body (never logged).
    std::string secret;
};

struct notifier_options {
    /// Where people and tools reach this rapportd: the base of the ready-made approve and
    /// reject URLs in each notification (`<base>/v1/drafts/<id>/approve`).
    std::string public_url;
    /// How often the outbox is looked at when nothing wakes the notifier.
    std::chrono::steady_clock::duration tick = std::chrono::seconds(1);
    /// Backoff after a receiver's first failure; doubles up to `max_backoff`, with jitter.
    std::chrono::steady_clock::duration first_backoff = std::chrono::seconds(1);
    std::chrono::steady_clock::duration max_backoff = std::chrono::minutes(5);
    /// Delivered events are removed from the outbox this often.
    std::chrono::steady_clock::duration prune_every = std::chrono::minutes(1);
    /// Where the outbox's other readers (Slack approval surfaces) stand: events after it are
    /// kept for them. Unset: nobody else reads the outbox. Called on the notifier's strand.
    std::function<std::int64_t()> others_done_up_to;
    /// Wall-clock time for signatures (tests pass their own).
    std::function<rules::time_point()> now;
};

/// What happened to one delivery, for metrics and logs.
struct notify_event {
    /// `delivered`, `retry` (will try again), `dropped` (refused for good, skipped) or
    /// `store_error`.
    std::string what;
    std::string url;
    std::string event;
    std::int64_t seq = 0;
    std::string detail;
};

/// Called on the notifier's strand; must be quick.
using notify_observer = std::function<void(const notify_event&)>;

class notifier {
public:
    notifier(net::any_io_executor executor,
             store& outbox,
             adapters::https_client client,
             std::vector<notify_receiver> receivers,
             notifier_options options,
             notify_observer observer);
    ~notifier();
    notifier(const notifier&) = delete;
    notifier& operator=(const notifier&) = delete;

    /// Starts delivering. Call once, before anything else writes to the outbox (it reads
    /// where each receiver stands).
    void start();

    /// Something was written to the outbox: look now. Any thread.
    void wake();

    /// Stops; deliveries in flight are abandoned (their events go again after a restart).
    /// `done` runs once every receiver's loop has ended. Any thread; once.
    void stop(std::function<void()> done);

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

/// The body of one notification: `{"event", "event_id", "at", "draft", "approve_url",
/// "reject_url", ...details}`. The URLs are there when the event has a draft.
[[nodiscard]] std::string notification_body(const outbox_event& e, std::string_view public_url);

} // namespace rapport::daemon
