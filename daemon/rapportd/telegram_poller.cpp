#include "daemon/rapportd/telegram_poller.hpp"

#include "adapters/common/excerpt.hpp"
#include "adapters/telegram/sender.hpp"
#include "daemon/rapportd/async_store.hpp"
#include "daemon/rapportd/backoff.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <exception>
#include <random>
#include <utility>

namespace rapport::daemon {
namespace {

using steady = std::chrono::steady_clock;
namespace tg = adapters::telegram;

// Offsets live in the store's cursor table under this owner, keyed by account id.
constexpr std::string_view cursor_owner = "telegram";

long long milliseconds(steady::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

} // namespace

adapters::https_client_options poll_client_options(const telegram_poll_options& options) {
    adapters::https_client_options o;
    // Telegram answers a long poll when it ends; the margin covers a slow network.
    o.request_timeout = options.long_poll + std::chrono::seconds(15);
    // 100 Updates of 4096-character texts, escaped, with their entities and users.
    o.max_response_body = 16 * 1024 * 1024;
    return o;
}

struct telegram_poller::impl : std::enable_shared_from_this<impl> {
    impl(net::any_io_executor executor,
         store& cursor_store,
         adapters::https_client https,
         telegram_poll_account polled,
         telegram_poll_sink to,
         std::shared_ptr<spdlog::logger> logger,
         telegram_poll_options settings)
        : strand(net::make_strand(executor)),
          timer(strand),
          cursors(cursor_store),
          client(std::move(https)),
          account(std::move(polled)),
          sink(std::move(to)),
          log(std::move(logger)),
          options(settings),
          random(std::random_device{}()) {
        std::string base = account.api_base_url;
        while (!base.empty() && base.back() == '/') {
            base.pop_back();
        }
        method_url = base + "/bot" + account.bot_token + "/";
    }

    // Everything below runs on `strand`.
    net::strand<net::any_io_executor> strand;
    net::steady_timer timer;
    net::cancellation_signal cancel;
    store& cursors;
    adapters::https_client client;
    telegram_poll_account account;
    telegram_poll_sink sink;
    std::shared_ptr<spdlog::logger> log;
    telegram_poll_options options;
    // "<api_base_url>/bot<token>/": the method's name follows. Holds the token: never logged.
    std::string method_url;
    std::mt19937_64 random;
    // The next getUpdates asks from here: one past the last Update stored.
    std::optional<std::int64_t> offset;
    int connected = -1; // unknown until the first poll
    bool started = false;
    bool stopping = false;
    bool ended = false;
    std::function<void()> stopped;

    void set_connected(bool now) {
        if (connected != static_cast<int>(now)) {
            connected = static_cast<int>(now);
            if (sink.connected) {
                sink.connected(now);
            }
        }
    }

    std::string safe(std::string text) const {
        return adapters::without_secret(std::move(text), account.bot_token, "<bot_token>");
    }

    net::awaitable<void> pause(steady::duration how_long) {
        if (stopping) {
            co_return;
        }
        timer.expires_after(how_long);
        auto [ec] = co_await timer.async_wait(use_tuple);
        (void)ec; // cancelled by stop(): the loop looks at `stopping` either way
    }

    net::awaitable<adapters::https_result> call(std::string method, std::string body) {
        adapters::https_request request;
        request.method = "POST";
        request.url = method_url + method;
        request.headers.add("Content-Type", "application/json");
        request.body = std::move(body);
        co_return co_await client.send(std::move(request));
    }

    // Telegram refuses getUpdates while a webhook is set; an account in polling mode has
    // none by definition. What fails here shows again, clearly, as getUpdates' own answer.
    net::awaitable<void> delete_webhook() {
        const adapters::https_result result =
            co_await call("deleteWebhook", std::string(tg::delete_webhook_body));
        if (stopping) {
            co_return;
        }
        if (!result) {
            log->warn("telegram_delete_webhook_failed account={} error=\"{}\"", account.id,
                      safe(result.error().message));
            co_return;
        }
        const auto answer = tg::parse_api_answer(result->body);
        if (result->status / 100 == 2 && answer && answer->ok) {
            log->info("telegram_webhook_deleted account={} reason=polling", account.id);
            co_return;
        }
        log->warn("telegram_delete_webhook_failed account={} status={} error=\"{}\"", account.id,
                  result->status, safe(answer ? answer->description : std::string()));
    }

    net::awaitable<void> save_offset(std::int64_t next) {
        auto save = [this, key = account.id,
                     value = std::to_string(next)](std::function<void(std::string)> saved) {
            cursors.put_cursor(std::string(cursor_owner), key, value, std::move(saved));
        };
        const std::string error = co_await async_store<std::string>(std::move(save), use_throw);
        if (!error.empty()) {
            // The messages are durable; the offset moves on anyway. After a crash the older
            // saved offset only asks for Updates Telegram has already forgotten.
            log->error("telegram_offset_save_failed account={} error=\"{}\"", account.id, error);
        }
        offset = next;
    }

    // Stores the batch's messages in order, then saves the offset past what was handled. False
    // when a message could not be stored: it and the rest are asked for again.
    net::awaitable<bool> take(std::vector<tg::polled_update> updates) {
        std::size_t handled = 0;
        bool all_stored = true;
        for (; handled < updates.size() && !stopping; ++handled) {
            tg::update_result read =
                tg::parse_update(updates[handled].body, account.id, account.bot);
            if (read.what == tg::update_result::outcome::message) {
                const ingest_result stored = co_await sink.ingest(std::move(*read.message));
                if (stored.status == ingest_status::failed) {
                    log->error("telegram_update_not_stored account={} update_id={} error=\"{}\"",
                               account.id, read.update_id.value_or(0), stored.error);
                    all_stored = false;
                    break;
                }
            } else if (read.what == tg::update_result::outcome::ignored) {
                sink.ignored(read.reason);
            } else {
                // Not an Update: there is nobody to answer 400 to, and asking again would give
                // the same bytes. Counted, logged and passed over.
                log->warn("telegram_update_invalid account={} error=\"{}\"", account.id,
                          read.reason);
                sink.ignored("invalid_update");
            }
        }
        updates.resize(handled);
        const auto next = tg::next_offset(offset, updates);
        if (next && next != offset) {
            co_await save_offset(*next);
        }
        co_return all_stored;
    }

    // The wait before the next poll, from how this one went.
    net::awaitable<steady::duration> poll_once(steady::duration& backoff, bool& delete_first) {
        if (delete_first) {
            delete_first = false;
            co_await delete_webhook();
            if (stopping) {
                co_return steady::duration::zero();
            }
        }
        tg::get_updates ask;
        ask.offset = offset;
        ask.timeout = options.long_poll;
        const auto asked_at = steady::now();
        const adapters::https_result result =
            co_await call("getUpdates", tg::get_updates_body(ask));
        if (stopping) {
            co_return steady::duration::zero();
        }
        if (!result) {
            set_connected(false);
            const auto wait = jittered(backoff, random);
            backoff = std::min(backoff * 2, options.max_backoff);
            log->warn("telegram_poll_failed account={} error=\"{}\" retry_in_ms={}", account.id,
                      safe(result.error().message), milliseconds(wait));
            co_return wait;
        }
        tg::poll_answer answer = tg::read_poll_answer(result->status, result->body);
        using outcome = tg::poll_answer::outcome;
        if (answer.what == outcome::updates) {
            set_connected(true);
            backoff = options.first_backoff;
            const bool empty = answer.updates.empty();
            const bool all_stored = co_await take(std::move(answer.updates));
            if (!all_stored) {
                const auto wait = jittered(backoff, random);
                backoff = std::min(backoff * 2, options.max_backoff);
                co_return wait;
            }
            const auto took = steady::now() - asked_at;
            co_return empty&& took < options.min_empty_poll ? options.min_empty_poll - took
                                                            : steady::duration::zero();
        }
        set_connected(false);
        const std::string error = safe(answer.error);
        steady::duration wait = jittered(backoff, random);
        switch (answer.what) {
            case outcome::rate_limited:
                wait = std::max<steady::duration>(
                    answer.retry_after.value_or(std::chrono::seconds(0)), options.first_backoff);
                log->warn("telegram_poll_rate_limited account={} retry_in_ms={} error=\"{}\"",
                          account.id, milliseconds(wait), error);
                co_return wait;
            case outcome::unauthorized:
                wait = options.unauthorized_backoff;
                log->error(
                    "telegram_poll_unauthorized account={} error=\"{}\" retry_in_ms={} "
                    "hint=\"check the account's bot_token\"",
                    account.id, error, milliseconds(wait));
                co_return wait;
            case outcome::conflict:
                if (answer.webhook_is_set) {
                    // Someone set a webhook since the start: polling mode deletes it again.
                    delete_first = true;
                    log->warn(
                        "telegram_poll_conflict account={} error=\"{}\" action=delete_webhook",
                        account.id, error);
                    co_return options.first_backoff;
                }
                log->error(
                    "telegram_poll_conflict account={} error=\"{}\" retry_in_ms={} "
                    "hint=\"only one process may poll a bot: is another rapportd or bot running "
                    "with this token?\"",
                    account.id, error, milliseconds(wait));
                break;
            case outcome::failed:
            case outcome::updates:
                log->warn("telegram_poll_failed account={} error=\"{}\" retry_in_ms={}", account.id,
                          error, milliseconds(wait));
                break;
        }
        backoff = std::min(backoff * 2, options.max_backoff);
        co_return wait;
    }

    net::awaitable<void> run(std::shared_ptr<impl> self) {
        (void)self; // keeps the state alive while the loop runs
        // stop() cancels a long poll in flight; the loop checks `stopping` after every step,
        // and a message being stored must still get its offset saved.
        co_await net::this_coro::throw_if_cancelled(false);
        steady::duration backoff = options.first_backoff;
        while (!stopping) {
            auto saved = cursors.get_cursor(cursor_owner, account.id);
            if (saved.ok()) {
                if (saved.value) {
                    offset = parse_whole_number(*saved.value);
                }
                break;
            }
            // Without the saved offset Telegram would be asked for its oldest Updates, which
            // only makes duplicates; but guessing is no better than waiting for the store.
            log->error("telegram_offset_read_failed account={} error=\"{}\"", account.id,
                       saved.error);
            co_await pause(jittered(backoff, random));
            backoff = std::min(backoff * 2, options.max_backoff);
        }
        log->info("telegram_polling account={} offset={}", account.id,
                  offset ? std::to_string(*offset) : std::string("none"));
        backoff = options.first_backoff;
        bool delete_first = true;
        while (!stopping) {
            steady::duration wait = steady::duration::zero();
            try {
                wait = co_await poll_once(backoff, delete_first);
            } catch (const std::exception& e) {
                // A bug, not a platform's answer; polling must not end over it.
                log->error("telegram_poll_error account={} error=\"{}\"", account.id,
                           safe(e.what()));
                wait = options.max_backoff;
            }
            if (wait > steady::duration::zero()) {
                co_await pause(wait);
            }
        }
    }

    void call_stopped() {
        if (auto done = std::exchange(stopped, nullptr)) {
            done();
        }
    }
};

telegram_poller::telegram_poller(net::any_io_executor executor,
                                 store& cursors,
                                 adapters::https_client client,
                                 telegram_poll_account account,
                                 telegram_poll_sink sink,
                                 std::shared_ptr<spdlog::logger> log,
                                 telegram_poll_options options)
    : impl_(std::make_shared<impl>(std::move(executor),
                                   cursors,
                                   std::move(client),
                                   std::move(account),
                                   std::move(sink),
                                   std::move(log),
                                   options)) {}

telegram_poller::~telegram_poller() = default;

void telegram_poller::start() {
    net::post(impl_->strand, [self = impl_] {
        if (self->started || self->stopping) {
            return;
        }
        self->started = true;
        net::co_spawn(
            self->strand, self->run(self),
            net::bind_cancellation_slot(
                self->cancel.slot(), net::bind_executor(self->strand, [self](std::exception_ptr e) {
                    if (e) {
                        self->log->error("telegram_poller_ended account={}", self->account.id);
                    }
                    self->ended = true;
                    self->call_stopped();
                })));
    });
}

void telegram_poller::stop(std::function<void()> done) {
    net::post(impl_->strand, [self = impl_, done = std::move(done)]() mutable {
        self->stopping = true;
        self->stopped = std::move(done);
        self->timer.cancel();
        self->cancel.emit(net::cancellation_type::terminal);
        if (!self->started || self->ended) {
            self->call_stopped();
        }
    });
}

} // namespace rapport::daemon
