// Telegram long polling (PLATFORMS.md §6c) for accounts with `updates: polling`: one loop per
// account asks getUpdates for new Updates, reads each one exactly as a webhook's
// (adapters::telegram::parse_update) and stores its message through the same ingest.
//
// Promises: an Update is confirmed to Telegram (by asking for the next offset) only after its
// message is durable and the new offset is saved in the store's cursors (owner "telegram", key
// the account id), so a crash at any point reads some Updates again, and the store's
// (account, id) uniqueness makes them duplicates: nothing is lost, nothing stored twice. At
// start the account's webhook is deleted (Telegram refuses getUpdates while one is set), and
// again if a 409 says one was set since. A 429 waits Telegram's retry_after; a refused token
// (401/404) is logged, without the token, and retried slowly; network errors and 5xx back off
// from 1 s to 60 s, with jitter.
#pragma once

#include "adapters/common/https_client.hpp"
#include "adapters/telegram/wire.hpp"
#include "daemon/store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace rapport::daemon {

struct telegram_poll_options {
    /// How long Telegram holds a getUpdates open while nothing waits; the https client's
    /// request_timeout must be longer (see poll_client_options).
    std::chrono::seconds long_poll = std::chrono::seconds(25);
    /// An answer with no updates that comes back sooner than this (a server that does not hold
    /// the request) is followed by a pause, so the loop never spins.
    std::chrono::steady_clock::duration min_empty_poll = std::chrono::seconds(1);
    /// Backoff after failures (network, 5xx, 409): doubles up to `max_backoff`, with jitter.
    std::chrono::steady_clock::duration first_backoff = std::chrono::seconds(1);
    std::chrono::steady_clock::duration max_backoff = std::chrono::seconds(60);
    /// After the token was refused (401/404): someone must fix the config; ask again seldom.
    std::chrono::steady_clock::duration unauthorized_backoff = std::chrono::minutes(5);
};

/// The https client settings a poller needs: a request timeout past the long poll's, and room
/// for a full batch of 100 long messages.
[[nodiscard]] adapters::https_client_options poll_client_options(
    const telegram_poll_options& options);

/// What a poller hands the daemon. Called on the poller's strand.
struct telegram_poll_sink {
    /// Stores one message (playbooks, drafts) as a webhook's would be; `failed` leaves the
    /// Update unconfirmed, to be read again.
    std::function<net::awaitable<ingest_result>(rules::message)> ingest;
    /// An Update acknowledged and not stored, with the reason parse_update gave.
    std::function<void(const std::string& reason)> ignored;
    /// True once polls succeed, false while they fail.
    std::function<void(bool)> connected;
};

/// One account's poller.
struct telegram_poll_account {
    std::string id;
    std::string api_base_url;
    /// Part of every request's path; never logged.
    std::string bot_token;
    adapters::telegram::bot_identity bot;
};

class telegram_poller {
public:
    telegram_poller(net::any_io_executor executor,
                    store& cursors,
                    adapters::https_client client,
                    telegram_poll_account account,
                    telegram_poll_sink sink,
                    std::shared_ptr<spdlog::logger> log,
                    telegram_poll_options options = {});
    ~telegram_poller();
    telegram_poller(const telegram_poller&) = delete;
    telegram_poller& operator=(const telegram_poller&) = delete;

    /// Starts polling. Call once.
    void start();

    /// Stops: a poll in flight is abandoned (its Updates were not confirmed, so Telegram gives
    /// them again after the next start); a message being stored is finished first, and its
    /// offset saved. `done` runs once the loop has ended. Any thread; once.
    void stop(std::function<void()> done);

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace rapport::daemon
