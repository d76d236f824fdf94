#include "daemon/rapportd/application.hpp"

#include "adapters/common/https_client.hpp"
#include "adapters/common/signature.hpp"
#include "daemon/config/secrets.hpp"
#include "daemon/http/server.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/rapportd/async_store.hpp"
#include "daemon/rapportd/daemon_state.hpp"
#include "daemon/rapportd/dispatcher.hpp"
#include "daemon/rapportd/logging.hpp"
#include "daemon/rapportd/notifier.hpp"
#include "daemon/rapportd/platforms.hpp"
#include "daemon/rapportd/slack_approvals.hpp"
#include "daemon/rapportd/telegram_poller.hpp"
#include "daemon/store/draft_json.hpp"
#include "daemon/store/sqlite_store.hpp"
#include "rules/evaluator.hpp"
#include "rules/json_text.hpp"
#include "rules/loader.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <csignal>
#include <future>
#include <map>
#include <thread>

namespace rapport::daemon {
namespace {

using namespace std::chrono_literals;
using http::http_request;
using http::http_response;
using http::json_error;
using http::route_params;

rules::load_options load_options_for(const config& c) {
    rules::load_options o;
    if (auto t = teams(c); !t.empty() || !any_approver_sees_all_teams(c)) {
        o.known_teams = std::move(t);
    }
    o.known_accounts = account_ids(c);
    for (const auto& [platform, max] : platform_length_limits(c)) {
        o.length_limits[platform].max = max;
    }
    return o;
}

// systemd is told about each step; outside systemd sd_notify does nothing.
void notify(const char* state) {
    sd_notify(0, state);
}

} // namespace

daemon_state::daemon_state(const config& c, std::shared_ptr<spdlog::logger> log)
    : config_(c), log_(std::move(log)) {
    messages_total_ = &metrics_.add_counter("rapport_messages_total",
                                            "Messages received and stored, by account and kind.",
                                            {"account", "kind"});
    rejected_total_ = &metrics_.add_counter("rapport_webhook_rejected_total",
                                            "Webhook requests refused, by account and reason.",
                                            {"account", "reason"});
    ignored_total_ = &metrics_.add_counter(
        "rapport_webhook_ignored_total",
        "Webhook requests and polled updates acknowledged but not stored (not addressed to us, "
        "from a bot, an update type Rapport does not read), by account and reason.",
        {"account", "reason"});
    rule_matches_total_ = &metrics_.add_counter("rapport_rule_matches_total",
                                                "Messages each rule matched.", {"rule"});
    drafts_total_ = &metrics_.add_counter("rapport_drafts_total",
                                          "Draft state transitions, by new state.", {"state"});
    reloads_total_ = &metrics_.add_counter("rapport_playbook_reloads_total",
                                           "Playbook reloads, by result.", {"result"});
    sends_total_ = &metrics_.add_counter(
        "rapport_sends_total",
        "Send attempts, by account and result (sent, retry, failed, needs_review).",
        {"account", "result"});
    notifications_total_ = &metrics_.add_counter(
        "rapport_notifications_total",
        "Notification deliveries, by result (delivered, retry, dropped).", {"result"});
    slack_cards_total_ = &metrics_.add_counter(
        "rapport_slack_cards_total",
        "Draft cards in Slack approval channels, by account and result (posted, updated, retry, "
        "dropped, skipped).",
        {"account", "result"});
    slack_interactions_total_ = &metrics_.add_counter(
        "rapport_slack_interactions_total",
        "Clicks and modal submissions from Slack approvers, by account and action "
        "(rapport_approve, rapport_edit, rapport_reject, edit_submitted).",
        {"account", "action"});
    offers_skipped_total_ = &metrics_.add_counter(
        "rapport_offers_skipped_total",
        "Offers a rule wanted to make but could not, by rule and reason (cooldown, budget, "
        "pool_empty).",
        {"rule", "reason"});
    offer_codes_left_ = &metrics_.add_gauge("rapport_offer_codes_left",
                                            "Codes of each offer pool still free.", {"pool"});
    drafts_pending_ =
        &metrics_.add_gauge("rapport_drafts_pending", "Drafts waiting for a person's decision.")
             .with({});
    sending_paused_ = &metrics_
                           .add_gauge("rapport_sending_paused",
                                      "1 while an admin has paused all sending (/v1/pause).")
                           .with({});
    sla_breaches_total_ = &metrics_
                               .add_counter("rapport_sla_breaches_total",
                                            "Messages whose SLA passed with no sent reply.")
                               .with({});
    approval_seconds_ =
        &metrics_
             .add_histogram("rapport_approval_seconds",
                            "From a draft's creation to a person's decision.",
                            {60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200})
             .with({});
    first_response_seconds_ =
        &metrics_
             .add_histogram("rapport_first_response_seconds",
                            "From a message with an SLA (or any message answered) to its first "
                            "sent reply.",
                            {60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200})
             .with({});
    // Streaming platforms report here: Telegram polling now, websocket adapters once they
    // exist.
    stream_connected_ = &metrics_.add_gauge(
        "rapport_stream_connected",
        "1 while the account's platform stream (or Telegram poll) is connected.", {"account"});
    metrics_.add_counter("rapport_stream_reconnects_total",
                         "Reconnections of the account's platform stream.", {"account"});
    ingest_seconds_ = &metrics_
                           .add_histogram("rapport_ingest_seconds",
                                          "From a webhook's arrival to its message stored "
                                          "with its decision.",
                                          latency_buckets())
                           .with({});
}

bool daemon_state::load_playbooks() {
    const auto loaded = rules::load_playbooks(config_.playbooks, load_options_for(config_));
    if (!loaded.set) {
        for (const auto& d : loaded.diagnostics) {
            log_->error("playbook_error {}", rules::to_string(d));
        }
        return false;
    }
    std::atomic_store(&playbooks_, loaded.set);
    log_->info("playbooks_loaded playbooks={} rules={}", loaded.set->playbooks.size(),
               loaded.set->rules.size());
    if (store_) {
        stock_offer_codes();
    }
    return true;
}

void daemon_state::stock_offer_codes() {
    const auto set = std::atomic_load(&playbooks_);
    for (const auto& book : set->playbooks) {
        for (const auto& entry : book.offers) {
            // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
            const auto& pool = entry.second;
            if (!pool.has_codes_file) {
                continue;
            }
            const auto added = wait_for_store<store_result<std::int64_t>>([&](auto done) {
                store_->add_offer_codes(pool.name, pool.codes, std::move(done));
            });
            if (!added.ok()) {
                log_->error("offer_codes_failed pool={} error=\"{}\"", pool.name, added.error);
            } else if (added.value > 0) {
                log_->info("offer_codes_added pool={} added={}", pool.name, added.value);
            }
        }
    }
}

void daemon_state::reload_playbooks() {
    notify("RELOADING=1");
    const bool ok = load_playbooks();
    reloads_total_->with({ok ? "success" : "failure"}).increment();
    if (!ok) {
        log_->error("reload_failed keeping=previous_playbooks");
    }
    notify("READY=1");
}

bool daemon_state::open_store() {
    std::error_code ec;
    std::filesystem::create_directories(config_.state, ec);
    auto opened = sqlite_store::open(config_.state / "rapport.db");
    if (!opened.store) {
        log_->error("store_open_failed path={} error=\"{}\"",
                    (config_.state / "rapport.db").string(), opened.error);
        return false;
    }
    store_ = std::move(opened.store);
    const auto paused = store_->paused();
    if (!paused.ok()) {
        log_->error("store_read_failed error=\"{}\"", paused.error);
        return false;
    }
    paused_.store(paused.value);
    sending_paused_->set(paused.value ? 1 : 0);
    if (paused.value) {
        log_->warn("sending_paused since=before_start resume=\"POST /v1/resume\"");
    }
    stock_offer_codes();
    return true;
}

bool daemon_state::resolve_secrets() {
    bool ok = true;
    const auto resolve = [&](const secret_ref& ref, std::string_view whose,
                             std::string_view who) -> std::optional<std::string> {
        auto lookup = resolve_secret(config_, ref);
        if (!lookup.value) {
            log_->error("secret_missing {}={} error=\"{}\"", whose, who, lookup.error);
            ok = false;
            return std::nullopt;
        }
        return lookup.value->reveal();
    };
    for (const auto& a : config_.accounts) {
        secret_values values;
        for (const auto& [key, ref] : a.secrets()) {
            if (auto value = resolve(*ref, "account", a.id)) {
                values.emplace(std::string(key), std::move(*value));
            }
        }
        if (auto reader = make_webhook_reader(a, values)) {
            webhook_readers_.emplace(a.id, std::move(reader));
        }
        account_secrets_.emplace(a.id, std::move(values));
    }
    for (const auto& a : config_.approvers) {
        if (auto value = resolve(a.token_secret, "approver", a.name)) {
            approver_tokens_.emplace_back(std::move(*value), &a);
        }
    }
    if (config_.approval.webhook_secret) {
        approval_secret_ =
            resolve(*config_.approval.webhook_secret, "setting", "approval.webhook_secret");
    }
    for (const auto& n : config_.approval.notify) {
        notify_secrets_.push_back(resolve(n.secret, "notify", n.url).value_or(""));
    }
    return ok;
}

bool daemon_state::recover_interrupted_sends(const std::vector<dispatch_account>& accounts) {
    const auto recovered = wait_for_store<store_result<std::vector<draft_record>>>([&](auto done) {
        store_->recover_interrupted_sends(idempotent_accounts(accounts), now_seconds(),
                                          std::move(done));
    });
    if (!recovered.ok()) {
        log_->error("recover_sends_failed error=\"{}\"", recovered.error);
        return false;
    }
    for (const draft_record& d : recovered.value) {
        drafts_total_->with({std::string(to_string(d.state))}).increment();
        log_->warn("send_interrupted draft={} account={} state={}", d.id, d.account,
                   to_string(d.state));
    }
    return true;
}

std::vector<dispatch_account> daemon_state::dispatch_accounts(
    const adapters::https_client& client) const {
    std::vector<dispatch_account> out;
    for (const auto& a : config_.accounts) {
        dispatch_account d;
        d.id = a.id;
        d.idempotent = a.idempotent;
        d.sends_per_minute = a.sends_per_minute;
        const auto secrets = account_secrets_.find(a.id);
        auto made = make_reply_sender(
            a, secrets == account_secrets_.end() ? secret_values{} : secrets->second, client);
        d.sender = std::move(made.sender);
        d.cannot_send_because = std::move(made.cannot_send_because);
        out.push_back(std::move(d));
    }
    return out;
}

std::vector<notify_receiver> daemon_state::notify_receivers() const {
    std::vector<notify_receiver> out;
    for (std::size_t i = 0; i < config_.approval.notify.size(); ++i) {
        out.push_back(notify_receiver{config_.approval.notify[i].url, notify_secrets_[i]});
    }
    return out;
}

std::vector<slack_surface> daemon_state::slack_surfaces() const {
    std::vector<slack_surface> out;
    for (const auto& a : config_.accounts) {
        if (a.platform != "slack" || !a.approvals_channel) {
            continue;
        }
        const auto secrets = account_secrets_.find(a.id);
        slack_surface s;
        s.account = a.id;
        s.channel = *a.approvals_channel;
        s.api_base_url = a.api_base_url.value_or(std::string(default_api_base_url(a.platform)));
        s.bot_token = secret_or_empty(
            secrets == account_secrets_.end() ? secret_values{} : secrets->second, "bot_token");
        out.push_back(std::move(s));
    }
    return out;
}

void daemon_state::outbox_changed() {
    if (notifier_ != nullptr) {
        notifier_->wake();
    }
    if (slack_approvals_ != nullptr) {
        slack_approvals_->wake();
    }
}

std::string daemon_state::public_url(std::uint16_t port) const {
    if (config_.approval.public_url) {
        return *config_.approval.public_url;
    }
    // Without one configured, the address rapportd listens on: right for tools on this host.
    listen_address a = config_.server.listen;
    a.port = port;
    if (a.host == "0.0.0.0" || a.host.empty()) {
        a.host = "127.0.0.1";
    } else if (a.host == "::") {
        a.host = "::1";
    }
    return "http://" + to_string(a);
}

void daemon_state::observe(const dispatch_event& e) {
    if (!e.draft) {
        if (e.what == "hourly_cap") {
            log_->warn("sends_paused reason=hourly_cap max_sends_per_hour={}",
                       config_.guardrails.max_sends_per_hour);
        } else {
            log_->error("dispatch_failed error=\"{}\"", e.detail);
        }
        return;
    }
    const draft_record& d = *e.draft;
    drafts_total_->with({std::string(to_string(d.state))}).increment();
    if (e.what != "sending" && e.what != "retry") {
        outbox_changed();
    }
    if (e.what == "sending") {
        log_->debug("draft_sending draft={} account={} attempt={}", d.id, d.account, d.attempts);
        return;
    }
    sends_total_->with({d.account, e.what}).increment();
    if (e.what == "sent") {
        log_->info("draft_sent draft={} account={} sent_id={} attempts={}", d.id, d.account,
                   d.sent_id.value_or("-"), d.attempts);
        if (e.first_response) {
            first_response_seconds_->observe(static_cast<double>(e.first_response->count()));
        }
    } else if (e.what == "retry") {
        log_->warn("draft_send_retry draft={} account={} attempt={} next_at={} error=\"{}\"", d.id,
                   d.account, d.attempts,
                   d.next_attempt_at ? rules::format_timestamp(*d.next_attempt_at) : "-",
                   d.last_error.value_or(""));
    } else {
        log_->error("draft_send_{} draft={} account={} attempts={} error=\"{}\"", e.what, d.id,
                    d.account, d.attempts, d.last_error.value_or(""));
    }
}

void daemon_state::observe(const notify_event& e) {
    if (e.what == "store_error") {
        log_->error("notify_failed url={} error=\"{}\"", e.url, e.detail);
        return;
    }
    notifications_total_->with({e.what}).increment();
    if (e.what == "delivered") {
        log_->debug("notified url={} event={} event_id={}", e.url, e.event, e.seq);
    } else if (e.what == "retry") {
        log_->warn("notify_retry url={} event={} event_id={} error=\"{}\"", e.url, e.event, e.seq,
                   e.detail);
    } else {
        log_->error("notify_dropped url={} event={} event_id={} error=\"{}\"", e.url, e.event,
                    e.seq, e.detail);
    }
}

void daemon_state::observe(const slack_card_event& e) {
    if (e.what == "store_error") {
        log_->error("slack_card_failed account={} error=\"{}\"", e.account, e.detail);
        return;
    }
    slack_cards_total_->with({e.account, e.what}).increment();
    if (e.what == "posted" || e.what == "updated" || e.what == "skipped") {
        log_->debug("slack_card_{} account={} draft={} event={}", e.what, e.account, e.draft_id,
                    e.event);
    } else if (e.what == "retry") {
        log_->warn("slack_card_retry account={} draft={} event={} error=\"{}\"", e.account,
                   e.draft_id, e.event, e.detail);
    } else {
        log_->error("slack_card_dropped account={} draft={} event={} error=\"{}\"", e.account,
                    e.draft_id, e.event, e.detail);
    }
}

namespace {

// Each io thread keeps its evaluator (scratch memory) for the playbook set it was built for.
rules::evaluator& evaluator_for(const std::shared_ptr<const rules::playbook_set>& set) {
    thread_local std::unique_ptr<rules::evaluator> evaluator;
    if (!evaluator || &evaluator->set() != set.get()) {
        evaluator = std::make_unique<rules::evaluator>(set);
    }
    return *evaluator;
}

// A person's history, read from the store only if evaluation asks for it: most messages match
// no rule that looks at history, and the read was a quarter of a webhook's time on the I/O
// thread (bench/RESULTS.md).
class store_history final : public rules::history_source {
public:
    store_history(store& s, const rules::message& m, rules::time_point at)
        : store_(s), message_(m), at_(at) {}

    const rules::person_history& get() override {
        // The longest window any condition looks back is bounded by what people write; a
        // year covers every shipped playbook and cooldown.
        loaded_ = store_.load_history(message_.platform, message_.author.id, at_ - 8760h);
        return loaded_.value;
    }

    /// Why the read failed; empty when it succeeded or was not needed.
    [[nodiscard]] const std::string& error() const { return loaded_.error; }

private:
    store& store_;
    const rules::message& message_;
    rules::time_point at_;
    store_result<rules::person_history> loaded_;
};

// Offer budgets and pools as the store has them now. The evaluator's answer only saves work:
// the transaction that creates the draft checks both again, where writes are serialized.
class store_ledger final : public rules::offer_ledger {
public:
    explicit store_ledger(store& s) : store_(s) {}

    [[nodiscard]] int drafted_on_day(std::string_view pool,
                                     rules::time_point day_of) const override {
        const auto drafted = store_.offers_drafted_on_day(pool, day_of);
        return drafted.ok() ? static_cast<int>(drafted.value) : 0;
    }

    [[nodiscard]] std::optional<int> codes_left(std::string_view pool) const override {
        const auto left = store_.offer_codes_left(pool);
        // A failed read says "some": the transaction decides for real.
        return left.ok() ? static_cast<int>(left.value) : 1;
    }

private:
    store& store_;
};

ingest_result ingest_failure(std::string why) {
    ingest_result r;
    r.status = ingest_status::failed;
    r.error = std::move(why);
    return r;
}

} // namespace

net::awaitable<http_response> daemon_state::hook(http_request request, route_params params) {
    const auto started = std::chrono::steady_clock::now();
    const std::string account_id(params["account"]);
    const daemon::account* account = find_account(config_, account_id);
    if (account == nullptr) {
        co_return json_error(404, "not_found", "no account '" + account_id + "' is configured");
    }
    const auto reader = webhook_readers_.find(account_id);
    if (reader == webhook_readers_.end()) {
        co_return json_error(
            404, "not_found",
            "account '" + account_id + "' is a " + account->platform +
                " account that takes no webhooks" +
                (account->platform == "telegram" ? " (it polls for updates)" : ""));
    }
    adapters::webhook_request in;
    in.method = request.method;
    in.body = request.body;
    in.header = [&request](std::string_view name) { return request.headers.get(name); };
    in.query = [&request](std::string_view name) { return request.query_value(name); };
    in.now = now_seconds();
    adapters::webhook_result read = reader->second->read(in);
    using outcome = adapters::webhook_result::outcome;
    switch (read.what) {
        case outcome::answer: {
            http_response answer;
            answer.status = read.status;
            answer.content_type = std::move(read.content_type);
            answer.body = std::move(read.body);
            co_return answer;
        }
        case outcome::rejected:
        case outcome::forbidden: {
            const bool forbidden = read.what == outcome::forbidden;
            rejected_total_->with({account_id, read.reason}).increment();
            log_->warn("webhook_rejected account={} reason={} remote={}", account_id, read.reason,
                       request.remote_address);
            co_return json_error(forbidden ? 403 : 401, forbidden ? "forbidden" : "unauthorized",
                                 read.detail);
        }
        case outcome::invalid:
            rejected_total_->with({account_id, "bad_request"}).increment();
            co_return json_error(400, "bad_request", read.detail);
        case outcome::method_not_allowed:
            co_return json_error(405, "method_not_allowed", read.detail);
        case outcome::messages:
            break;
    }
    for (const auto& reason : read.ignored) {
        count_ignored(account_id, reason);
    }
    if (read.messages.empty()) {
        // Acknowledged, or the platform would deliver it again and again.
        std::string body = "{\"status\":\"ignored\",\"reason\":";
        rules::append_json_string(body, read.ignored.empty() ? "empty" : read.ignored.front());
        body += "}";
        co_return http::json_response(200, std::move(body));
    }
    // Acknowledged only once every message in it is durable; a platform that redelivers after
    // a 503 finds the ones already stored as duplicates.
    bool stored = false;
    std::string drafts;
    for (auto& message : read.messages) {
        const ingest_result result = co_await ingest_message(std::move(message), account_id);
        if (result.status == ingest_status::failed) {
            co_return json_error(503, "unavailable", result.error);
        }
        stored = stored || result.status == ingest_status::stored;
        for (const auto& id : result.draft_ids) {
            drafts += drafts.empty() ? "" : ",";
            rules::append_json_string(drafts, id);
        }
    }
    if (stored) {
        ingest_seconds_->observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    co_return http::json_response(200, std::string("{\"status\":") +
                                           (stored ? "\"stored\"" : "\"duplicate\"") +
                                           ",\"drafts\":[" + drafts + "]}");
}

void daemon_state::count_ignored(const std::string& account_id, const std::string& reason) {
    ignored_total_->with({account_id, reason}).increment();
    log_->debug("webhook_ignored account={} reason={}", account_id, reason);
}

void daemon_state::set_stream_connected(const std::string& account_id, bool connected) {
    stream_connected_->with({account_id}).set(connected ? 1 : 0);
    if (connected) {
        log_->info("stream_connected account={}", account_id);
    } else {
        log_->warn("stream_disconnected account={}", account_id);
    }
}

const secret_values& daemon_state::secrets_of(std::string_view account_id) const {
    static const secret_values none;
    const auto found = account_secrets_.find(account_id);
    return found == account_secrets_.end() ? none : found->second;
}

net::awaitable<ingest_result> daemon_state::ingest_message(rules::message message,
                                                           std::string account_id) {
    const auto set = std::atomic_load(&playbooks_);
    const rules::time_point now = now_seconds();
    const rules::time_point at = message.created_at.value_or(now);
    if (!message.insight) {
        // A reply to a posted insight question answers it (CONTRACT §6).
        const auto question = store_->question_answered_by(message);
        if (!question.ok()) {
            log_->error("insight_lookup_failed account={} error=\"{}\"", account_id,
                        question.error);
            co_return ingest_failure("the store could not be read; retry later");
        }
        message.insight = question.value;
    }
    store_history history(*store_, message, at);
    const store_ledger ledger(*store_);
    rules::decision decision = evaluator_for(set).evaluate(message, history, at, &ledger);
    if (!history.error().empty()) {
        log_->error("history_failed account={} error=\"{}\"", account_id, history.error());
        co_return ingest_failure("the store could not be read; retry later");
    }
    const std::string kind(rules::to_string(message.kind));
    const std::vector<std::string> matched = decision.matched;
    // Built apart from the co_await: GCC 12 mishandles lambdas in a co_await expression.
    std::vector<rules::skipped_offer> skipped = decision.skipped;
    auto ingest = [this, request = make_ingest_request(message, std::move(decision), now,
                                                       config_.approval.expire_after, set.get())](
                      std::function<void(ingest_result)> done) mutable {
        store_->ingest(std::move(request), std::move(done));
    };
    ingest_result result = co_await async_store<ingest_result>(std::move(ingest), use_throw);
    if (result.status == ingest_status::failed) {
        log_->error("ingest_failed account={} id={} error=\"{}\"", account_id, message.id,
                    result.error);
        result.error = "the message could not be stored; retry later";
        co_return result;
    }
    if (result.status == ingest_status::stored) {
        messages_total_->with({account_id, kind}).increment();
        for (const auto& rule : matched) {
            rule_matches_total_->with({rule}).increment();
        }
        if (!result.draft_ids.empty()) {
            drafts_total_->with({"pending"}).increment(result.draft_ids.size());
            outbox_changed();
        }
        skipped.insert(skipped.end(), result.skipped.begin(), result.skipped.end());
        for (const auto& skip : skipped) {
            offers_skipped_total_->with({skip.rule, skip.reason}).increment();
            log_->info("offer_skipped account={} id={} rule={} reason={}", account_id, message.id,
                       skip.rule, skip.reason);
        }
        log_->debug("message_stored account={} id={} drafts={}", account_id, message.id,
                    result.draft_ids.size());
    }
    co_return result;
}

net::awaitable<http_response> daemon_state::healthz(http_request, route_params) {
    co_return http::json_response(200, "{\"status\":\"ok\"}");
}

net::awaitable<http_response> daemon_state::readyz(http_request, route_params) {
    if (!ready_.load()) {
        co_return json_error(503, "not_ready", "starting or stopping");
    }
    // Paused sending is still ready (drafting and approving go on), but whoever looks should
    // see it.
    co_return http::json_response(200, paused_.load()
                                           ? "{\"status\":\"ready\",\"sending\":\"paused\"}"
                                           : "{\"status\":\"ready\",\"sending\":\"on\"}");
}

net::awaitable<http_response> daemon_state::metrics(http_request, route_params) {
    http_response response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    // Counted when scraped, so it is right whoever changed the drafts (and across restarts).
    if (const auto pending = store_->count_drafts(draft_state::pending); pending.ok()) {
        drafts_pending_->set(pending.value);
    }
    if (const auto set = std::atomic_load(&playbooks_)) {
        for (const auto& book : set->playbooks) {
            for (const auto& [name, pool] : book.offers) {
                if (!pool.has_codes_file) {
                    continue;
                }
                if (const auto left = store_->offer_codes_left(pool.name); left.ok()) {
                    offer_codes_left_->with({pool.name}).set(left.value);
                }
            }
        }
    }
    response.body = metrics_.render();
    co_return response;
}

http::router daemon_state::routes() {
    // Plain lambdas that return the member coroutine's awaitable: GCC 12 mishandles lambdas
    // that are themselves coroutines and capture (STYLE §6).
    using member = net::awaitable<http_response> (daemon_state::*)(http_request, route_params);
    const auto bind = [this](member m) {
        return [this, m](http_request request, route_params params) {
            return (this->*m)(std::move(request), std::move(params));
        };
    };
    http::router r;
    r.add("GET", "/healthz", bind(&daemon_state::healthz));
    r.add("GET", "/readyz", bind(&daemon_state::readyz));
    r.add("GET", "/metrics", bind(&daemon_state::metrics));
    r.add("POST", "/hooks/{account}", bind(&daemon_state::hook));
    r.add("GET", "/hooks/{account}", bind(&daemon_state::hook));
    r.add("POST", "/hooks/{account}/interactivity", bind(&daemon_state::slack_interactivity));
    r.add("GET", "/v1/drafts", bind(&daemon_state::list_drafts));
    r.add("GET", "/v1/drafts/{id}", bind(&daemon_state::get_draft));
    r.add("POST", "/v1/drafts/{id}/approve", bind(&daemon_state::approve));
    r.add("POST", "/v1/drafts/{id}/reject", bind(&daemon_state::reject));
    r.add("POST", "/v1/pause", bind(&daemon_state::pause));
    r.add("POST", "/v1/resume", bind(&daemon_state::resume));
    r.add("GET", "/v1/audit", bind(&daemon_state::list_audit));
    r.add("GET", "/v1/messages", bind(&daemon_state::list_messages));
    r.add("GET", "/v1/insights/{id}", bind(&daemon_state::get_insight));
    return r;
}

std::vector<rules::diagnostic> check_everything(const config& c) {
    std::vector<rules::diagnostic> problems = check_secrets(c);
    const auto loaded = rules::load_playbooks(c.playbooks, load_options_for(c));
    problems.insert(problems.end(), loaded.diagnostics.begin(), loaded.diagnostics.end());
    return problems;
}

int run_daemon(const config& c) {
    auto log = make_logger(c);
    daemon_state state(c, log);
    notify("STATUS=loading playbooks");
    if (!state.resolve_secrets() || !state.load_playbooks()) {
        return 1;
    }
    notify("STATUS=opening the store");
    if (!state.open_store()) {
        return 1;
    }

    // Each of the server.threads threads runs a context of its own, and HTTP connections are
    // dealt out among them. The first context, run by this thread, also carries everything
    // else (dispatcher, notifier, Slack cards, pollers, signals). A concurrency hint of 1 lets
    // Asio skip the locking that a context shared between threads needs for its own handlers.
    net::io_context ioc{1};
    std::vector<std::unique_ptr<net::io_context>> more_contexts;
    std::vector<net::io_context*> connection_contexts{&ioc};
    for (unsigned i = 1; i < c.server.threads; ++i) {
        connection_contexts.push_back(
            more_contexts.emplace_back(std::make_unique<net::io_context>(1)).get());
    }
    http::server_options options;
    options.address = c.server.listen.host;
    options.port = c.server.listen.port;
    options.max_body_bytes = c.server.max_body_bytes;
    options.log = [log](http::log_level level, std::string_view text) {
        log->log(level == http::log_level::error  ? spdlog::level::err
                 : level == http::log_level::warn ? spdlog::level::warn
                 : level == http::log_level::info ? spdlog::level::info
                                                  : spdlog::level::debug,
                 "http {}", text);
    };
    http::http_server server(ioc, state.routes(), options, connection_contexts);
    std::uint16_t port = 0;
    try {
        port = server.start();
    } catch (const std::exception& e) {
        log->error("listen_failed address={} error=\"{}\"", to_string(c.server.listen), e.what());
        state.storage().close();
        return 1;
    }
    // Sends go out through one client; TLS verification uses the system's CA store
    // (OpenSSL honours SSL_CERT_FILE / SSL_CERT_DIR for a private CA).
    std::optional<adapters::https_client> client;
    // Telegram's long polls go through a client of their own, whose request timeout outlasts
    // the poll.
    const telegram_poll_options poll_options;
    std::optional<adapters::https_client> poll_client;
    try {
        client.emplace(ioc.get_executor());
        poll_client.emplace(ioc.get_executor(), poll_client_options(poll_options));
    } catch (const std::exception& e) {
        log->error("tls_setup_failed error=\"{}\"", e.what());
        state.storage().close();
        return 1;
    }
    const auto accounts = state.dispatch_accounts(*client);
    if (!state.recover_interrupted_sends(accounts)) {
        state.storage().close();
        return 1;
    }
    dispatcher_options dispatch;
    dispatch.max_sends_per_hour = c.guardrails.max_sends_per_hour;
    dispatcher sender(ioc.get_executor(), state.storage(), accounts, dispatch,
                      [&state](const dispatch_event& e) { state.observe(e); });
    state.set_dispatcher(&sender);
    // A pause survives restarts: the dispatcher starts paused if it was.
    sender.set_paused(state.sending_paused());
    sender.start();
    // Slack approval surfaces read the outbox beside the notifier, each with its cursor.
    slack_approvals cards(ioc.get_executor(), state.storage(), *client, state.slack_surfaces(), {},
                          [&state](const slack_card_event& e) { state.observe(e); });
    state.set_slack_approvals(&cards);
    cards.start();
    notifier_options notify_options;
    notify_options.public_url = state.public_url(port);
    notify_options.others_done_up_to = [&cards] { return cards.done_up_to(); };
    notifier announcer(ioc.get_executor(), state.storage(), *client, state.notify_receivers(),
                       notify_options, [&state](const notify_event& e) { state.observe(e); });
    state.set_notifier(&announcer);
    announcer.start();

    // Telegram accounts in polling mode: a getUpdates loop each.
    std::vector<std::unique_ptr<telegram_poller>> pollers;
    for (const auto& a : c.accounts) {
        auto polling = telegram_polling(a, state.secrets_of(a.id));
        if (!polling) {
            continue;
        }
        telegram_poll_sink sink;
        sink.ingest = [&state, id = a.id](rules::message m) {
            return state.ingest_message(std::move(m), id);
        };
        sink.ignored = [&state, id = a.id](const std::string& reason) {
            state.count_ignored(id, reason);
        };
        sink.connected = [&state, id = a.id](bool up) { state.set_stream_connected(id, up); };
        pollers.push_back(std::make_unique<telegram_poller>(ioc.get_executor(), state.storage(),
                                                            *poll_client, std::move(*polling),
                                                            std::move(sink), log, poll_options));
        pollers.back()->start();
    }

    // Expiry and SLA checks once a second, on one timer so two passes never overlap. The pass
    // blocks its thread on store commits, so it runs on a thread of its own.
    net::io_context housekeeping_context;
    net::steady_timer housekeeping_timer(housekeeping_context);
    std::function<void()> arm_housekeeping = [&] {
        housekeeping_timer.expires_after(std::chrono::seconds(1));
        housekeeping_timer.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) {
                state.housekeeping();
                arm_housekeeping();
            }
        });
    };
    arm_housekeeping();
    std::thread housekeeping_thread([&housekeeping_context] {
        pthread_setname_np(pthread_self(), "housekeeping");
        housekeeping_context.run();
    });

    log->info("listening address={}:{}", c.server.listen.host, port);
    state.set_ready(true);
    notify("READY=1\nSTATUS=serving");

    // SIGHUP reloads; SIGTERM/SIGINT drain: stop accepting, finish in-flight requests, then
    // close the store (which commits what it has queued).
    // With WatchdogSec set, systemd expects WATCHDOG=1 within the interval: ping at half of it
    // from the io_context, so a wedged event loop is noticed and restarted.
    net::steady_timer watchdog(ioc);
    std::uint64_t watchdog_usec = 0;
    std::function<void()> arm_watchdog;
    if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
        arm_watchdog = [&] {
            watchdog.expires_after(std::chrono::microseconds(watchdog_usec / 2));
            watchdog.async_wait([&](const boost::system::error_code& ec) {
                if (!ec) {
                    notify("WATCHDOG=1");
                    arm_watchdog();
                }
            });
        };
        arm_watchdog();
    }

    net::signal_set signals(ioc, SIGTERM, SIGINT, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signal) {
            if (ec) {
                return;
            }
            if (signal == SIGHUP) {
                log->info("reload signal=SIGHUP");
                state.reload_playbooks();
                signals.async_wait(on_signal);
                return;
            }
            log->info("stopping signal={}", signal == SIGTERM ? "SIGTERM" : "SIGINT");
            notify("STOPPING=1");
            state.set_ready(false);
            watchdog.cancel();
            // The listener and the dispatcher drain side by side (each bounded at 10 s);
            // the notifier, the Slack cards, the pollers and housekeeping stop at once (what they
            // had not done yet is still in the store, or still unconfirmed at Telegram); the
            // store closes after all of them.
            net::post(housekeeping_context, [&] { housekeeping_timer.cancel(); });
            housekeeping_thread.join();
            auto remaining =
                std::make_shared<std::atomic<int>>(4 + static_cast<int>(pollers.size()));
            auto one_done = [&, remaining] {
                if (remaining->fetch_sub(1) == 1) {
                    state.storage().close();
                    log->info("stopped");
                    for (auto* context : connection_contexts) {
                        context->stop();
                    }
                }
            };
            server.on_stopped(one_done);
            sender.stop(std::chrono::seconds(10), one_done);
            announcer.stop(one_done);
            cards.stop(one_done);
            for (auto& p : pollers) {
                p->stop(one_done);
            }
            server.stop();
        };
    signals.async_wait(on_signal);

    std::vector<std::thread> threads;
    for (auto& context : more_contexts) {
        threads.emplace_back([&context, n = threads.size() + 2] {
            // Named for top -H and gdb (the main thread, the first, keeps the program's name,
            // which pidof and systemd show); best effort.
            pthread_setname_np(pthread_self(), ("http-" + std::to_string(n)).c_str());
            // Between connections a context has nothing to do; it runs until the stop.
            auto busy = net::make_work_guard(*context);
            context->run();
        });
    }
    ioc.run();
    for (auto& t : threads) {
        t.join();
    }
    if (housekeeping_thread.joinable()) {
        net::post(housekeeping_context, [&] { housekeeping_timer.cancel(); });
        housekeeping_thread.join();
    }
    return 0;
}

} // namespace rapport::daemon
