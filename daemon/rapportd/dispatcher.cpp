#include "daemon/rapportd/dispatcher.hpp"

#include "daemon/rapportd/async_store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <random>
#include <set>

namespace rapport::daemon {

namespace {

using steady = std::chrono::steady_clock;

// Tokens refill continuously at the account's rate; a full bucket holds a tenth of a
// minute's worth (at least one), so a short burst goes out at once and a long one is paced.
class token_bucket {
public:
    explicit token_bucket(std::int64_t per_minute)
        : rate_per_second_(static_cast<double>(per_minute) / 60.0),
          capacity_(std::max(1.0, static_cast<double>(per_minute) / 10.0)),
          tokens_(capacity_) {}

    bool take(steady::time_point now) {
        if (last_ != steady::time_point{}) {
            const double elapsed = std::chrono::duration<double>(now - last_).count();
            tokens_ = std::min(capacity_, tokens_ + elapsed * rate_per_second_);
        }
        last_ = now;
        if (tokens_ < 1.0) {
            return false;
        }
        tokens_ -= 1.0;
        return true;
    }

private:
    double rate_per_second_;
    double capacity_;
    double tokens_;
    steady::time_point last_{};
};

} // namespace

struct dispatcher::impl : std::enable_shared_from_this<impl> {
    impl(net::any_io_executor executor,
         store& store_of_drafts,
         std::vector<dispatch_account> sending_accounts,
         dispatcher_options settings,
         dispatch_observer on_event)
        : strand(net::make_strand(executor)),
          timer(strand),
          grace_timer(strand),
          drafts(store_of_drafts),
          options(std::move(settings)),
          observer(std::move(on_event)),
          random(std::random_device{}()) {
        if (!options.now) {
            options.now = now_seconds;
        }
        for (auto& a : sending_accounts) {
            buckets.emplace(a.id, token_bucket{a.sends_per_minute});
            accounts.emplace(a.id, std::move(a));
        }
    }

    // Everything below runs on `strand`.
    net::strand<net::any_io_executor> strand;
    net::steady_timer timer;
    net::steady_timer grace_timer;
    store& drafts;
    dispatcher_options options;
    dispatch_observer observer;
    std::map<std::string, dispatch_account, std::less<>> accounts;
    std::map<std::string, token_bucket, std::less<>> buckets;
    std::mt19937_64 random;
    // When each reply of the last hour was sent, oldest first.
    std::deque<rules::time_point> sent_in_last_hour;
    std::set<std::string, std::less<>> in_flight;
    bool woken = false;
    // Set by set_paused() on the caller's thread, so no send starts after it returns.
    std::atomic<bool> paused{false};
    bool stopping = false;
    bool loop_ended = false;
    bool cap_reported = false;
    bool started = false;
    std::function<void()> stopped;

    void notify(std::string what,
                std::optional<draft_record> draft,
                std::string detail = {},
                std::optional<rules::duration> first_response = std::nullopt) {
        if (observer) {
            observer(dispatch_event{std::move(what), std::move(draft), std::move(detail),
                                    first_response});
        }
    }

    net::awaitable<void> run(std::shared_ptr<impl> self) {
        (void)self; // keeps the state alive while the loop runs
        const rules::time_point now = options.now();
        auto recent = drafts.sent_since(now - std::chrono::hours(1));
        if (recent.ok()) {
            sent_in_last_hour.assign(recent.value.begin(), recent.value.end());
        } else {
            report_store_error("sent_since", recent.error);
        }
        while (!stopping) {
            co_await fill();
            if (stopping) {
                break;
            }
            if (!woken) {
                timer.expires_after(options.tick);
                auto [ec] = co_await timer.async_wait(use_tuple);
                (void)ec; // cancelled by wake() or stop(): look again either way
            }
            woken = false;
        }
        loop_ended = true;
        finish_stop_if_done();
    }

    void report_store_error(const std::string& what, const std::string& error) {
        notify("store_error", std::nullopt, what + ": " + error);
    }

    // Starts as many due drafts as the limits allow.
    net::awaitable<void> fill() {
        if (paused) {
            co_return;
        }
        const rules::time_point now = options.now();
        while (!sent_in_last_hour.empty() &&
               sent_in_last_hour.front() <= now - std::chrono::hours(1)) {
            sent_in_last_hour.pop_front();
        }
        auto free_slots = static_cast<std::int64_t>(options.max_in_flight) -
                          static_cast<std::int64_t>(in_flight.size());
        // In-flight sends count against the cap as if they will succeed.
        auto hour_left = options.max_sends_per_hour -
                         static_cast<std::int64_t>(sent_in_last_hour.size() + in_flight.size());
        if (free_slots <= 0 || hour_left <= 0) {
            if (hour_left <= 0 && !cap_reported) {
                cap_reported = true;
                notify("hourly_cap", std::nullopt);
            }
            co_return;
        }
        cap_reported = false;
        // More than the free slots: drafts of a rate-limited account must not hide others.
        auto due = drafts.due_drafts(now, static_cast<int>(free_slots) + 100);
        if (!due.ok()) {
            report_store_error("due_drafts", due.error);
            co_return;
        }
        const auto steady_now = steady::now();
        for (const draft_record& d : due.value) {
            if (stopping || paused || free_slots <= 0 || hour_left <= 0) {
                break;
            }
            if (in_flight.contains(d.id)) {
                continue;
            }
            auto bucket = buckets.find(d.account);
            if (bucket != buckets.end() && !bucket->second.take(steady_now)) {
                continue; // this account's turn comes at a later tick
            }
            auto begin = [this, id = d.id, now](std::function<void(decide_result)> done) {
                drafts.begin_send(id, now, std::move(done));
            };
            decide_result begun = co_await async_store<decide_result>(std::move(begin), use_throw);
            if (begun.status != decide_status::changed || !begun.draft) {
                if (begun.status == decide_status::failed) {
                    report_store_error("begin_send", begun.error);
                }
                continue; // decided otherwise meanwhile, or the store failed: look again later
            }
            notify("sending", begun.draft);
            --free_slots;
            --hour_left;
            in_flight.insert(d.id);
            net::co_spawn(strand, send_one(shared_from_this(), std::move(*begun.draft)),
                          net::detached);
        }
    }

    net::awaitable<void> send_one(std::shared_ptr<impl> self, draft_record draft) {
        (void)self;
        adapters::delivery result;
        const auto account = accounts.find(draft.account);
        if (account == accounts.end() || !account->second.sender) {
            result.what = adapters::delivery::outcome::failed;
            result.error = "account '" + draft.account + "' cannot send: " +
                           (account == accounts.end() ? std::string("it is not configured")
                                                      : account->second.cannot_send_because);
        } else {
            adapters::outgoing_reply reply;
            reply.draft_id = draft.id;
            reply.account = draft.account;
            reply.kind = std::string(rules::to_string(draft.kind));
            reply.text = draft.text;
            reply.is_private = draft.is_private;
            if (!draft.in_reply_to.empty()) {
                auto message = drafts.get_message(draft.account, draft.in_reply_to);
                if (message.ok() && message.value) {
                    reply.in_reply_to = std::move(message.value->message);
                }
            }
            try {
                result = co_await account->second.sender->send(reply);
            } catch (const std::exception& e) {
                // Senders report failures as deliveries; this is a bug, and where it struck
                // is unknown, so the draft is treated as perhaps delivered.
                result.what = adapters::delivery::outcome::unknown;
                result.error = std::string("sending failed unexpectedly: ") + e.what();
            }
        }
        const bool idempotent = account != accounts.end() && account->second.idempotent;
        send_outcome outcome = to_outcome(draft, result, idempotent);
        auto finish = [this, outcome](std::function<void(decide_result)> done) mutable {
            drafts.finish_send(std::move(outcome), std::move(done));
        };
        decide_result finished = co_await async_store<decide_result>(std::move(finish), use_throw);
        in_flight.erase(draft.id);
        if (finished.status == decide_status::changed && finished.draft) {
            if (finished.draft->state == draft_state::sent) {
                sent_in_last_hour.push_back(*finished.draft->sent_at);
            }
            notify(result_name(outcome.what), finished.draft, {}, finished.first_response);
        } else if (finished.status == decide_status::failed) {
            // The draft stays `sending` in the store; the next start puts it up for review.
            report_store_error("finish_send " + draft.id, finished.error);
        }
        // A slot is free: look for the next draft now.
        woken = true;
        timer.cancel();
        finish_stop_if_done();
    }

    static std::string result_name(send_outcome::result r) {
        switch (r) {
            case send_outcome::result::sent:
                return "sent";
            case send_outcome::result::retry:
                return "retry";
            case send_outcome::result::failed:
                return "failed";
            case send_outcome::result::needs_review:
                return "needs_review";
        }
        return "failed";
    }

    send_outcome to_outcome(const draft_record& draft,
                            const adapters::delivery& result,
                            bool idempotent) {
        send_outcome o;
        o.draft_id = draft.id;
        o.at = options.now();
        using outcome = adapters::delivery::outcome;
        switch (result.what) {
            case outcome::sent:
                o.what = send_outcome::result::sent;
                o.sent_id = result.sent_id;
                return o;
            case outcome::failed:
                o.what = send_outcome::result::failed;
                o.error = result.error;
                return o;
            case outcome::unknown:
                if (!idempotent) {
                    o.what = send_outcome::result::needs_review;
                    o.error = result.error +
                              " (the reply may have been delivered; approve it again to resend "
                              "or reject it)";
                    return o;
                }
                break; // the receiver deduplicates: retrying is safe
            case outcome::retry:
                break;
        }
        if (draft.attempts >= options.max_attempts) {
            o.what = send_outcome::result::failed;
            o.error = "gave up after " + std::to_string(draft.attempts) +
                      " attempts; the last: " + result.error;
            return o;
        }
        o.what = send_outcome::result::retry;
        o.error = result.error;
        o.retry_at = o.at + backoff(draft.attempts, result.retry_after);
        return o;
    }

    // Exponential in the attempts made, with jitter; never less than the platform asked for.
    std::chrono::seconds backoff(int attempts, std::optional<std::chrono::seconds> retry_after) {
        const int doublings = std::clamp(attempts - 1, 0, 30);
        auto base = options.first_backoff * (std::int64_t{1} << doublings);
        base = std::min<std::chrono::seconds>(base, options.max_backoff);
        std::uniform_int_distribution<std::int64_t> jitter(0, base.count() / 2);
        auto delay = base - std::chrono::seconds(jitter(random));
        if (retry_after) {
            delay = std::max(delay, std::min(*retry_after, options.max_retry_after));
        }
        return std::max(delay, std::chrono::seconds(1));
    }

    void begin_stop(std::chrono::steady_clock::duration grace, std::function<void()> done) {
        stopping = true;
        stopped = std::move(done);
        timer.cancel();
        grace_timer.expires_after(grace);
        grace_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec) {
                self->call_stopped(); // sends still hanging are abandoned, left `sending`
            }
        });
        finish_stop_if_done();
    }

    void finish_stop_if_done() {
        if (stopping && in_flight.empty() && (loop_ended || !started)) {
            grace_timer.cancel();
            call_stopped();
        }
    }

    void call_stopped() {
        if (auto done = std::exchange(stopped, nullptr)) {
            done();
        }
    }
};

dispatcher::dispatcher(net::any_io_executor executor,
                       store& drafts,
                       std::vector<dispatch_account> accounts,
                       dispatcher_options options,
                       dispatch_observer observer)
    : impl_(std::make_shared<impl>(std::move(executor),
                                   drafts,
                                   std::move(accounts),
                                   std::move(options),
                                   std::move(observer))) {}

dispatcher::~dispatcher() = default;

void dispatcher::start() {
    net::post(impl_->strand, [self = impl_] {
        if (self->started || self->stopping) {
            return;
        }
        self->started = true;
        net::co_spawn(self->strand, self->run(self), net::detached);
    });
}

void dispatcher::wake() {
    net::post(impl_->strand, [self = impl_] {
        self->woken = true;
        self->timer.cancel();
    });
}

void dispatcher::set_paused(bool paused) {
    impl_->paused.store(paused);
    // Resumed, it looks at once; paused, the wake-up is harmless.
    wake();
}

void dispatcher::stop(std::chrono::steady_clock::duration grace, std::function<void()> done) {
    net::post(impl_->strand, [self = impl_, grace, done = std::move(done)]() mutable {
        self->begin_stop(grace, std::move(done));
    });
}

std::vector<std::string> idempotent_accounts(const std::vector<dispatch_account>& accounts) {
    std::vector<std::string> ids;
    for (const auto& a : accounts) {
        if (a.idempotent) {
            ids.push_back(a.id);
        }
    }
    return ids;
}

} // namespace rapport::daemon
