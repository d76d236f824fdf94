#include "daemon/rapportd/notifier.hpp"

#include "adapters/common/signature.hpp"
#include "adapters/generic/sender.hpp"
#include "daemon/rapportd/async_store.hpp"
#include "daemon/rapportd/backoff.hpp"
#include "rules/json_text.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <random>

namespace rapport::daemon {
namespace {

using steady = std::chrono::steady_clock;

constexpr int batch_size = 64;
// Cursors live in the store's cursor table under this owner, keyed by receiver URL.
constexpr std::string_view cursor_owner = "notify";

} // namespace

std::string notification_body(const outbox_event& e, std::string_view public_url) {
    std::string body = "{\"event\":";
    rules::append_json_string(body, e.event);
    body += ",\"event_id\":" + std::to_string(e.seq) + ",\"at\":";
    rules::append_json_string(body, rules::format_timestamp(e.at));
    body += ",\"draft\":";
    body += e.draft_json;
    if (!e.draft_id.empty()) {
        std::string base{public_url};
        while (!base.empty() && base.back() == '/') {
            base.pop_back();
        }
        body += ",\"approve_url\":";
        rules::append_json_string(body, base + "/v1/drafts/" + e.draft_id + "/approve");
        body += ",\"reject_url\":";
        rules::append_json_string(body, base + "/v1/drafts/" + e.draft_id + "/reject");
    }
    // The details are an object of their own; its members join the body.
    if (e.details_json.size() > 2 && e.details_json.front() == '{' &&
        e.details_json.back() == '}') {
        body += ',';
        body.append(e.details_json, 1, e.details_json.size() - 2);
    }
    body += '}';
    return body;
}

struct notifier::impl : std::enable_shared_from_this<impl> {
    struct receiver {
        notify_receiver target;
        std::unique_ptr<net::steady_timer> timer;
        // Waiting for new events (a wake-up may cut it short), not backing off.
        bool idle = false;
    };

    impl(net::any_io_executor executor,
         store& events,
         adapters::https_client https,
         std::vector<notify_receiver> targets,
         notifier_options settings,
         notify_observer on_event)
        : strand(net::make_strand(executor)),
          prune_timer(strand),
          outbox(events),
          client(std::move(https)),
          options(std::move(settings)),
          observer(std::move(on_event)),
          random(std::random_device{}()) {
        if (!options.now) {
            options.now = now_seconds;
        }
        for (auto& t : targets) {
            receivers.push_back(
                receiver{std::move(t), std::make_unique<net::steady_timer>(strand), false});
        }
    }

    net::strand<net::any_io_executor> strand;
    net::steady_timer prune_timer;
    store& outbox;
    adapters::https_client client;
    notifier_options options;
    notify_observer observer;
    std::vector<receiver> receivers;
    // Each receiver's next event is after this sequence number.
    std::vector<std::int64_t> cursors;
    std::mt19937_64 random;
    bool started = false;
    bool stopping = false;

    void notify(std::string what, const receiver& r, const outbox_event* e, std::string detail) {
        if (observer) {
            observer(notify_event{std::move(what), r.target.url, e != nullptr ? e->event : "",
                                  e != nullptr ? e->seq : 0, std::move(detail)});
        }
    }

    // Where a receiver starts: its saved cursor, else the end of the outbox (a receiver added
    // to the config hears about what happens from then on, not the whole history).
    std::string load_cursors() {
        cursors.assign(receivers.size(), 0);
        for (std::size_t i = 0; i < receivers.size(); ++i) {
            auto saved = outbox.get_cursor(cursor_owner, receivers[i].target.url);
            if (!saved.ok()) {
                return saved.error;
            }
            if (saved.value) {
                if (auto seq = parse_whole_number(*saved.value)) {
                    cursors[i] = *seq;
                    continue;
                }
            }
            auto last = outbox.last_outbox_seq();
            if (!last.ok()) {
                return last.error;
            }
            cursors[i] = last.value;
        }
        return {};
    }

    net::awaitable<void> wait(receiver& r, steady::duration how_long, bool idle) {
        r.idle = idle;
        r.timer->expires_after(how_long);
        auto [ec] = co_await r.timer->async_wait(use_tuple);
        (void)ec; // cancelled by wake() or stop(): the loop looks at `stopping` either way
        r.idle = false;
    }

    // Sends one event until the receiver takes it or refuses it for good. False when stopping.
    net::awaitable<bool> deliver(receiver& r, const outbox_event& e) {
        const std::string body = notification_body(e, options.public_url);
        retry_backoff backoff(options.first_backoff, options.max_backoff);
        while (!stopping) {
            const auto now = options.now();
            const auto signature = adapters::sign_rapport(r.target.secret, body, now);
            adapters::https_request request;
            request.url = r.target.url;
            request.headers.add("Content-Type", "application/json");
            request.headers.add("X-Rapport-Timestamp", signature.timestamp);
            request.headers.add("X-Rapport-Signature", signature.signature);
            request.headers.add("X-Rapport-Event", e.event);
            request.body = body;
            const adapters::https_result result = co_await client.send(std::move(request));
            if (stopping) {
                co_return false;
            }
            const adapters::delivery d = adapters::generic::classify(result, now);
            if (d.what == adapters::delivery::outcome::sent) {
                notify("delivered", r, &e, {});
                co_return true;
            }
            if (d.what == adapters::delivery::outcome::failed) {
                notify("dropped", r, &e, d.error);
                co_return true;
            }
            // Retried whether or not it may have arrived: receivers deduplicate by event_id.
            notify("retry", r, &e, d.error);
            const steady::duration pause = backoff.next(d.retry_after, random);
            co_await wait(r, pause, false);
        }
        co_return false;
    }

    net::awaitable<void> run(std::shared_ptr<impl> self, std::size_t index) {
        (void)self; // keeps the state alive while the loop runs
        receiver& r = receivers[index];
        while (!stopping) {
            auto batch = outbox.outbox_after(cursors[index], batch_size);
            if (!batch.ok()) {
                notify("store_error", r, nullptr, batch.error);
                co_await wait(r, options.tick, false);
                continue;
            }
            if (batch.value.empty()) {
                co_await wait(r, options.tick, true);
                continue;
            }
            for (const outbox_event& e : batch.value) {
                const bool done = co_await deliver(r, e);
                if (!done) {
                    co_return;
                }
                cursors[index] = e.seq;
                auto save = [this, url = r.target.url,
                             seq = e.seq](std::function<void(std::string)> saved) {
                    outbox.put_cursor(std::string{cursor_owner}, url, std::to_string(seq),
                                      std::move(saved));
                };
                const std::string error =
                    co_await async_store<std::string>(std::move(save), use_throw);
                if (!error.empty()) {
                    notify("store_error", r, &e, error);
                }
            }
        }
    }

    // Events every receiver (and every other reader) has are removed; with no readers, all of
    // them.
    net::awaitable<void> prune(std::shared_ptr<impl> self) {
        (void)self;
        while (!stopping) {
            prune_timer.expires_after(options.prune_every);
            auto [ec] = co_await prune_timer.async_wait(use_tuple);
            if (ec || stopping) {
                co_return;
            }
            std::int64_t up_to = 0;
            if (cursors.empty()) {
                auto last = outbox.last_outbox_seq();
                if (!last.ok()) {
                    continue;
                }
                up_to = last.value;
            } else {
                up_to = *std::min_element(cursors.begin(), cursors.end());
            }
            if (options.others_done_up_to) {
                up_to = std::min(up_to, options.others_done_up_to());
            }
            if (up_to > 0) {
                outbox.prune_outbox(up_to, [](const std::string&) {});
            }
        }
    }
};

notifier::notifier(net::any_io_executor executor,
                   store& outbox,
                   adapters::https_client client,
                   std::vector<notify_receiver> receivers,
                   notifier_options options,
                   notify_observer observer)
    : impl_(std::make_shared<impl>(std::move(executor),
                                   outbox,
                                   std::move(client),
                                   std::move(receivers),
                                   std::move(options),
                                   std::move(observer))) {}

notifier::~notifier() = default;

void notifier::start() {
    // Cursors are read here, on the caller's thread, before anything else can write to the
    // outbox: a receiver seen for the first time starts exactly at the end of it.
    const std::string error = impl_->load_cursors();
    net::post(impl_->strand, [self = impl_, error] {
        if (self->started || self->stopping) {
            return;
        }
        self->started = true;
        if (!error.empty()) {
            // Without a cursor a receiver would be sent everything again or nothing: wait
            // for the next start rather than guess.
            for (const auto& r : self->receivers) {
                self->notify("store_error", r, nullptr, error);
            }
            return;
        }
        for (std::size_t i = 0; i < self->receivers.size(); ++i) {
            net::co_spawn(self->strand, self->run(self, i), net::detached);
        }
        net::co_spawn(self->strand, self->prune(self), net::detached);
    });
}

void notifier::wake() {
    net::post(impl_->strand, [self = impl_] {
        for (auto& r : self->receivers) {
            if (r.idle) {
                r.timer->cancel();
            }
        }
    });
}

void notifier::stop(std::function<void()> done) {
    net::post(impl_->strand, [self = impl_, done = std::move(done)] {
        self->stopping = true;
        self->prune_timer.cancel();
        for (auto& r : self->receivers) {
            r.timer->cancel();
        }
        // Deliveries in flight are not waited for: their cursors have not moved, so the
        // events go again after the next start.
        done();
    });
}

} // namespace rapport::daemon
