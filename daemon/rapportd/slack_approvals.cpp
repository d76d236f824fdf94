#include "daemon/rapportd/slack_approvals.hpp"

#include "adapters/slack/web_api.hpp"
#include "daemon/rapportd/async_store.hpp"
#include "daemon/rapportd/backoff.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <limits>
#include <random>

namespace rapport::daemon {
namespace {

namespace json = boost::json;
namespace slack = adapters::slack;
using steady = std::chrono::steady_clock;

constexpr int batch_size = 64;
// Keys in the store's cursor table, under the surface's account id.
constexpr std::string_view outbox_key = "approvals.outbox";
constexpr std::string_view card_key_prefix = "approvals.card/";

std::optional<std::string> text_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v != nullptr && v->is_string()) {
        return std::string(v->get_string());
    }
    return std::nullopt;
}

// Where a card is: "<channel> <ts>" in the store.
struct card_place {
    std::string channel;
    std::string ts;
};

std::optional<card_place> parse_place(std::string_view stored) {
    const auto space = stored.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 >= stored.size()) {
        return std::nullopt;
    }
    return card_place{std::string(stored.substr(0, space)), std::string(stored.substr(space + 1))};
}

} // namespace

std::optional<slack::approval_card> card_from_draft_json(std::string_view draft_json) {
    boost::system::error_code ec;
    const json::value v = json::parse(draft_json, ec);
    if (ec || !v.is_object()) {
        return std::nullopt;
    }
    const json::object& d = v.get_object();
    slack::approval_card card;
    const auto id = text_at(d, "id");
    const auto* version = d.if_contains("version");
    if (!id || version == nullptr || !version->is_int64()) {
        return std::nullopt;
    }
    card.draft_id = *id;
    card.version = static_cast<int>(version->get_int64());
    card.state = text_at(d, "state").value_or("");
    card.text = text_at(d, "text").value_or("");
    card.original_text = text_at(d, "original_text").value_or(card.text);
    card.account = text_at(d, "account").value_or("");
    card.platform = text_at(d, "platform").value_or("");
    card.rule = text_at(d, "rule").value_or("");
    card.kind = text_at(d, "kind").value_or("");
    card.priority = text_at(d, "priority").value_or("");
    card.team = text_at(d, "team");
    card.expires_at = text_at(d, "expires_at");
    card.decided_by = text_at(d, "decided_by");
    card.last_error = text_at(d, "last_error");
    card.note = text_at(d, "note");
    if (card.note && *card.note == slack_decision_note) {
        card.decided_in_slack = true;
        card.note.reset();
    }
    if (const auto* m = d.if_contains("in_reply_to"); m != nullptr && m->is_object()) {
        const json::object& message = m->get_object();
        slack::approval_card::replied_to answers;
        if (const auto* a = message.if_contains("author"); a != nullptr && a->is_object()) {
            const json::object& author = a->get_object();
            answers.author = text_at(author, "name").value_or("");
            if (answers.author.empty()) {
                answers.author = text_at(author, "handle").value_or("");
            }
            if (answers.author.empty()) {
                answers.author = text_at(author, "id").value_or("someone");
            }
        }
        answers.platform = text_at(message, "platform").value_or(card.platform);
        answers.text = text_at(message, "text").value_or("");
        card.answers = std::move(answers);
    }
    return card;
}

struct slack_approvals::impl : std::enable_shared_from_this<impl> {
    struct surface_state {
        surface_state(slack_surface s,
                      const adapters::https_client& client,
                      net::any_io_executor on)
            : surface(std::move(s)),
              api(client, surface.api_base_url, surface.bot_token),
              timer(std::make_unique<net::steady_timer>(std::move(on))) {}

        slack_surface surface;
        slack::web_api api;
        std::unique_ptr<net::steady_timer> timer;
        bool idle = false;
        std::int64_t cursor = 0;
        // What the pruning of the outbox may rely on; read from any thread.
        std::atomic<std::int64_t> done{0};
    };

    impl(net::any_io_executor executor,
         store& events,
         adapters::https_client https,
         std::vector<slack_surface> surfaces,
         slack_approvals_options settings,
         slack_card_observer on_event)
        : strand(net::make_strand(executor)),
          outbox(events),
          client(std::move(https)),
          options(settings),
          observer(std::move(on_event)),
          random(std::random_device{}()) {
        for (auto& s : surfaces) {
            states.push_back(std::make_unique<surface_state>(std::move(s), client, strand));
        }
    }

    net::strand<net::any_io_executor> strand;
    store& outbox;
    adapters::https_client client;
    slack_approvals_options options;
    slack_card_observer observer;
    std::vector<std::unique_ptr<surface_state>> states;
    std::mt19937_64 random;
    bool started = false;
    bool stopping = false;

    void notify(std::string what,
                const surface_state& s,
                const outbox_event* e,
                std::string detail) const {
        if (observer) {
            observer(slack_card_event{std::move(what), s.surface.account,
                                      e != nullptr ? e->event : "", e != nullptr ? e->draft_id : "",
                                      std::move(detail)});
        }
    }

    const surface_state* find(std::string_view account) const {
        for (const auto& s : states) {
            if (s->surface.account == account) {
                return s.get();
            }
        }
        return nullptr;
    }

    // A surface seen for the first time starts at the end of the outbox: it shows the drafts
    // created from then on.
    std::string load_cursors() {
        for (auto& s : states) {
            auto saved = outbox.get_cursor(s->surface.account, outbox_key);
            if (!saved.ok()) {
                return saved.error;
            }
            std::optional<std::int64_t> seq;
            if (saved.value) {
                seq = parse_whole_number(*saved.value);
            }
            if (!seq) {
                auto last = outbox.last_outbox_seq();
                if (!last.ok()) {
                    return last.error;
                }
                seq = last.value;
            }
            s->cursor = *seq;
            s->done.store(*seq);
        }
        return {};
    }

    net::awaitable<void> wait(surface_state& s, steady::duration how_long, bool idle) {
        s.idle = idle;
        s.timer->expires_after(how_long);
        auto [ec] = co_await s.timer->async_wait(use_tuple);
        (void)ec; // cancelled by wake() or stop(): the loop looks at `stopping` either way
        s.idle = false;
    }

    // Calls `method` until Slack takes it or refuses it for good; nullopt when stopping.
    net::awaitable<std::optional<adapters::delivery>> call(surface_state& s,
                                                           const outbox_event& e,
                                                           std::string method,
                                                           std::string body) {
        retry_backoff backoff(options.first_backoff, options.max_backoff);
        while (!stopping) {
            const adapters::https_result result = co_await s.api.call(method, body);
            if (stopping) {
                break;
            }
            adapters::delivery d = slack::classify(result, std::chrono::system_clock::now());
            if (d.what == adapters::delivery::outcome::sent ||
                d.what == adapters::delivery::outcome::failed) {
                co_return d;
            }
            // Unknown outcomes are tried again too: a card shown twice is better than a
            // draft nobody sees.
            notify("retry", s, &e, method + ": " + d.error);
            const steady::duration pause = backoff.next(d.retry_after, random);
            co_await wait(s, pause, false);
        }
        co_return std::nullopt;
    }

    net::awaitable<std::string> put(std::string owner, std::string key, std::string value) {
        auto save = [this, owner = std::move(owner), key = std::move(key),
                     value = std::move(value)](std::function<void(std::string)> saved) {
            outbox.put_cursor(owner, key, value, std::move(saved));
        };
        co_return co_await async_store<std::string>(std::move(save), use_throw);
    }

    // Shows one event in the channel. False when stopping.
    net::awaitable<bool> handle(surface_state& s, const outbox_event& e) {
        if (e.draft_id.empty()) {
            co_return true; // sla.breached without a draft: nothing to show
        }
        const auto card = card_from_draft_json(e.draft_json);
        if (!card) {
            notify("dropped", s, &e, "the event's draft could not be read");
            co_return true;
        }
        const std::string card_key = std::string(card_key_prefix) + e.draft_id;
        auto stored = outbox.get_cursor(s.surface.account, card_key);
        if (!stored.ok()) {
            notify("store_error", s, &e, stored.error);
            co_return true;
        }
        const std::optional<card_place> place =
            stored.value ? parse_place(*stored.value) : std::nullopt;
        if (!place) {
            if (e.event != "draft.created") {
                // Posted before this surface existed, or Slack refused the card.
                notify("skipped", s, &e, "no card for this draft");
                co_return true;
            }
            const auto d = co_await call(s, e, "chat.postMessage",
                                         slack::post_card_body(s.surface.channel, *card));
            if (!d) {
                co_return false;
            }
            if (d->what != adapters::delivery::outcome::sent) {
                notify("dropped", s, &e, "chat.postMessage: " + d->error);
                co_return true;
            }
            // classify() names a posted message "<channel>:<ts>".
            const std::string where = d->sent_id.value_or("");
            const auto colon = where.find(':');
            if (colon == std::string::npos) {
                notify("dropped", s, &e, "chat.postMessage answered without channel and ts");
                co_return true;
            }
            const std::string error =
                co_await put(s.surface.account, card_key,
                             where.substr(0, colon) + " " + where.substr(colon + 1));
            if (!error.empty()) {
                notify("store_error", s, &e, error);
            }
            notify("posted", s, &e, {});
            co_return true;
        }
        const auto d = co_await call(s, e, "chat.update",
                                     slack::update_card_body(place->channel, place->ts, *card));
        if (!d) {
            co_return false;
        }
        if (d->what != adapters::delivery::outcome::sent) {
            notify("dropped", s, &e, "chat.update: " + d->error);
        } else {
            notify("updated", s, &e, {});
        }
        co_return true;
    }

    net::awaitable<void> run(std::shared_ptr<impl> self, std::size_t index) {
        (void)self; // keeps the state alive while the loop runs
        surface_state& s = *states[index];
        while (!stopping) {
            auto batch = outbox.outbox_after(s.cursor, batch_size);
            if (!batch.ok()) {
                notify("store_error", s, nullptr, batch.error);
                co_await wait(s, options.tick, false);
                continue;
            }
            if (batch.value.empty()) {
                co_await wait(s, options.tick, true);
                continue;
            }
            for (const outbox_event& e : batch.value) {
                const bool done = co_await handle(s, e);
                if (!done) {
                    co_return;
                }
                s.cursor = e.seq;
                const std::string error =
                    co_await put(s.surface.account, std::string(outbox_key), std::to_string(e.seq));
                if (!error.empty()) {
                    notify("store_error", s, &e, error);
                }
                s.done.store(e.seq);
            }
        }
    }
};

slack_approvals::slack_approvals(net::any_io_executor executor,
                                 store& outbox,
                                 adapters::https_client client,
                                 std::vector<slack_surface> surfaces,
                                 slack_approvals_options options,
                                 slack_card_observer observer)
    : impl_(std::make_shared<impl>(std::move(executor),
                                   outbox,
                                   std::move(client),
                                   std::move(surfaces),
                                   options,
                                   std::move(observer))) {}

slack_approvals::~slack_approvals() = default;

void slack_approvals::start() {
    // Read here, before anything else can write to the outbox (as the notifier does).
    const std::string error = impl_->load_cursors();
    net::post(impl_->strand, [self = impl_, error] {
        if (self->started || self->stopping) {
            return;
        }
        self->started = true;
        if (!error.empty()) {
            for (const auto& s : self->states) {
                self->notify("store_error", *s, nullptr, error);
            }
            return;
        }
        for (std::size_t i = 0; i < self->states.size(); ++i) {
            net::co_spawn(self->strand, self->run(self, i), net::detached);
        }
    });
}

void slack_approvals::wake() {
    net::post(impl_->strand, [self = impl_] {
        for (auto& s : self->states) {
            if (s->idle) {
                s->timer->cancel();
            }
        }
    });
}

void slack_approvals::stop(std::function<void()> done) {
    net::post(impl_->strand, [self = impl_, done = std::move(done)] {
        self->stopping = true;
        for (auto& s : self->states) {
            s->timer->cancel();
        }
        done();
    });
}

std::int64_t slack_approvals::done_up_to() const {
    std::int64_t up_to = std::numeric_limits<std::int64_t>::max();
    for (const auto& s : impl_->states) {
        up_to = std::min(up_to, s->done.load());
    }
    return up_to;
}

bool slack_approvals::serves(std::string_view account) const {
    return impl_->find(account) != nullptr;
}

net::awaitable<adapters::delivery> slack_approvals::open_editor(std::string account,
                                                                std::string trigger_id,
                                                                slack::approval_card card) const {
    const impl::surface_state* s = impl_->find(account);
    if (s == nullptr) {
        adapters::delivery d;
        d.what = adapters::delivery::outcome::failed;
        d.error = "account '" + account + "' is not an approval surface";
        co_return d;
    }
    // Copied into the frame: the surface outlives it, but the frame owns what it sends.
    const slack::web_api api = s->api;
    // One attempt: the trigger is single-use and expires in seconds.
    const adapters::https_result result =
        co_await api.call("views.open", slack::edit_modal_body(trigger_id, card));
    co_return slack::classify(result, std::chrono::system_clock::now());
}

net::awaitable<adapters::delivery> slack_approvals::tell(std::string response_url,
                                                         std::string text) const {
    adapters::https_request request;
    request.url = std::move(response_url);
    request.headers.add("Content-Type", "application/json; charset=utf-8");
    request.body = slack::ephemeral_body(text);
    const adapters::https_client client = impl_->client;
    const adapters::https_result result = co_await client.send(std::move(request));
    adapters::delivery d;
    if (!result) {
        d.what = adapters::delivery::outcome::failed;
        d.error = result.error().message;
    } else if (result->status / 100 != 2) {
        d.what = adapters::delivery::outcome::failed;
        d.error = "response_url answered " + std::to_string(result->status);
    } else {
        d.what = adapters::delivery::outcome::sent;
    }
    co_return d;
}

} // namespace rapport::daemon
