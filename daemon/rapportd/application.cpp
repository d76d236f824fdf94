#include "daemon/rapportd/application.hpp"

#include "adapters/common/signature.hpp"
#include "adapters/common/https_client.hpp"
#include "adapters/generic/sender.hpp"
#include "adapters/generic/wire.hpp"
#include "daemon/config/secrets.hpp"
#include "daemon/http/server.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/rapportd/async_store.hpp"
#include "daemon/rapportd/dispatcher.hpp"
#include "daemon/rapportd/draft_json.hpp"
#include "daemon/rapportd/logging.hpp"
#include "daemon/store/sqlite_store.hpp"
#include "rules/evaluator.hpp"
#include "rules/json_text.hpp"
#include "rules/loader.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <charconv>
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

rules::time_point now_seconds() {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

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

// Everything the running daemon shares between its threads.
class daemon_state {
public:
    daemon_state(const config& c, std::shared_ptr<spdlog::logger> log)
        : config_(c), log_(std::move(log)) {
        messages_total_ = &metrics_.add_counter(
            "rapport_messages_total", "Messages received and stored, by account and kind.",
            {"account", "kind"});
        rejected_total_ = &metrics_.add_counter("rapport_webhook_rejected_total",
                                                "Webhook requests refused, by account and reason.",
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
        drafts_pending_ = &metrics_
                               .add_gauge("rapport_drafts_pending",
                                          "Drafts waiting for a person's decision.")
                               .with({});
        // SLA tracking (issue 4) counts here; registered now so dashboards can be built.
        metrics_.add_counter("rapport_sla_breaches_total",
                             "Messages whose SLA passed with no sent reply.")
            .with({});
        approval_seconds_ =
            &metrics_
                 .add_histogram("rapport_approval_seconds",
                                "From a draft's creation to a person's decision.",
                                {60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200})
                 .with({});
        // Streaming platforms (websocket adapters) report here once they exist.
        metrics_.add_gauge("rapport_stream_connected",
                           "1 while the account's platform stream is connected.", {"account"});
        metrics_.add_counter("rapport_stream_reconnects_total",
                             "Reconnections of the account's platform stream.", {"account"});
        ingest_seconds_ = &metrics_
                               .add_histogram("rapport_ingest_seconds",
                                              "From a webhook's arrival to its message stored "
                                              "with its decision.",
                                              latency_buckets())
                               .with({});
    }

    // Loads the playbooks; on success they replace the running set.
    bool load_playbooks() {
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
        return true;
    }

    void reload_playbooks() {
        notify("RELOADING=1");
        const bool ok = load_playbooks();
        reloads_total_->with({ok ? "success" : "failure"}).increment();
        if (!ok) {
            log_->error("reload_failed keeping=previous_playbooks");
        }
        notify("READY=1");
    }

    bool open_store() {
        std::error_code ec;
        std::filesystem::create_directories(config_.state, ec);
        auto opened = sqlite_store::open(config_.state / "rapport.db");
        if (!opened.store) {
            log_->error("store_open_failed path={} error=\"{}\"",
                        (config_.state / "rapport.db").string(), opened.error);
            return false;
        }
        store_ = std::move(opened.store);
        return true;
    }

    bool resolve_account_secrets() {
        bool ok = true;
        for (const auto& a : config_.accounts) {
            if (!a.secret) {
                continue;
            }
            auto lookup = resolve_secret(config_, *a.secret);
            if (!lookup.value) {
                log_->error("secret_missing account={} error=\"{}\"", a.id, lookup.error);
                ok = false;
                continue;
            }
            account_secrets_.emplace(a.id, lookup.value->reveal());
        }
        for (const auto& a : config_.approvers) {
            auto lookup = resolve_secret(config_, a.token_secret);
            if (!lookup.value) {
                log_->error("secret_missing approver={} error=\"{}\"", a.name, lookup.error);
                ok = false;
                continue;
            }
            approver_tokens_.emplace_back(lookup.value->reveal(), a.name);
        }
        return ok;
    }

    http::router routes();

    /// Drafts left `sending` by a process that died mid-send go up for review (or back to
    /// approved, for receivers that deduplicate). Before the dispatcher starts.
    bool recover_interrupted_sends(const std::vector<dispatch_account>& accounts) {
        std::promise<store_result<std::vector<draft_record>>> promise;
        auto future = promise.get_future();
        store_->recover_interrupted_sends(
            idempotent_accounts(accounts), now_seconds(),
            [&promise](store_result<std::vector<draft_record>> r) {
                promise.set_value(std::move(r));
            });
        const auto recovered = future.get();
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

    /// One sender per account that can send; accounts without one get none (their drafts
    /// fail with a message saying so).
    std::vector<dispatch_account> dispatch_accounts(const adapters::https_client& client) const {
        std::vector<dispatch_account> out;
        for (const auto& a : config_.accounts) {
            dispatch_account d;
            d.id = a.id;
            d.idempotent = a.idempotent;
            d.sends_per_minute = a.sends_per_minute;
            const auto secret = account_secrets_.find(a.id);
            if (a.platform == "generic" && a.reply_url && secret != account_secrets_.end()) {
                d.sender = std::make_shared<adapters::generic::reply_poster>(client, *a.reply_url,
                                                                             secret->second);
            } else {
                d.cannot_send_because = "sending to " + a.platform + " is not built yet";
            }
            out.push_back(std::move(d));
        }
        return out;
    }

    /// What the dispatcher did, into metrics and the log.
    void observe(const dispatch_event& e) {
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
        if (e.what == "sending") {
            log_->debug("draft_sending draft={} account={} attempt={}", d.id, d.account,
                        d.attempts);
            return;
        }
        sends_total_->with({d.account, e.what}).increment();
        if (e.what == "sent") {
            log_->info("draft_sent draft={} account={} sent_id={} attempts={}", d.id, d.account,
                       d.sent_id.value_or("-"), d.attempts);
        } else if (e.what == "retry") {
            log_->warn("draft_send_retry draft={} account={} attempt={} next_at={} error=\"{}\"",
                       d.id, d.account, d.attempts,
                       d.next_attempt_at ? rules::format_timestamp(*d.next_attempt_at) : "-",
                       d.last_error.value_or(""));
        } else {
            log_->error("draft_send_{} draft={} account={} attempts={} error=\"{}\"", e.what,
                        d.id, d.account, d.attempts, d.last_error.value_or(""));
        }
    }

    void set_dispatcher(dispatcher* d) { dispatcher_ = d; }

    void set_ready(bool ready) { ready_.store(ready); }
    store& storage() { return *store_; }
    spdlog::logger& log() { return *log_; }

private:
    net::awaitable<http_response> hook(http_request request, route_params params);
    net::awaitable<http_response> healthz(http_request request, route_params params);
    net::awaitable<http_response> readyz(http_request request, route_params params);
    net::awaitable<http_response> metrics(http_request request, route_params params);
    net::awaitable<http_response> list_drafts(http_request request, route_params params);
    net::awaitable<http_response> get_draft(http_request request, route_params params);
    net::awaitable<http_response> approve(http_request request, route_params params);
    net::awaitable<http_response> reject(http_request request, route_params params);
    net::awaitable<http_response> decide(http_request request,
                                         std::string draft_id,
                                         decide_request::action what);
    // The approver a request's bearer token belongs to, if any (CONTRACT §5.2).
    [[nodiscard]] std::optional<std::string> approver_of(const http_request& request) const;
    [[nodiscard]] std::optional<rules::message> replied_to(const draft_record& d);

    const config& config_;
    std::shared_ptr<spdlog::logger> log_;
    metrics_registry metrics_;
    family<counter>* messages_total_ = nullptr;
    family<counter>* rejected_total_ = nullptr;
    family<counter>* rule_matches_total_ = nullptr;
    family<counter>* drafts_total_ = nullptr;
    family<counter>* reloads_total_ = nullptr;
    family<counter>* sends_total_ = nullptr;
    histogram* ingest_seconds_ = nullptr;
    histogram* approval_seconds_ = nullptr;
    gauge* drafts_pending_ = nullptr;
    std::shared_ptr<const rules::playbook_set> playbooks_;
    std::unique_ptr<store> store_;
    std::map<std::string, std::string, std::less<>> account_secrets_;
    std::vector<std::pair<std::string, std::string>> approver_tokens_; // token, approver
    std::atomic<bool> ready_{false};
    dispatcher* dispatcher_ = nullptr;
};

const account* find_account(const config& c, std::string_view id) {
    for (const auto& a : c.accounts) {
        if (a.id == id) {
            return &a;
        }
    }
    return nullptr;
}

const approver* find_approver(const config& c, std::string_view name) {
    for (const auto& a : c.approvers) {
        if (a.name == name) {
            return &a;
        }
    }
    return nullptr;
}

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

net::awaitable<http_response> daemon_state::hook(http_request request, route_params params) {
    const auto started = std::chrono::steady_clock::now();
    const std::string account_id(params["account"]);
    const daemon::account* account = find_account(config_, account_id);
    if (account == nullptr) {
        co_return json_error(404, "not_found", "no account '" + account_id + "' is configured");
    }
    if (account->platform != "generic") {
        co_return json_error(404, "not_found",
                             "account '" + account_id + "' is a " + account->platform +
                                 " account; only generic webhooks are served so far");
    }
    if (request.method == "GET") {
        co_return json_error(405, "method_not_allowed", "generic webhooks are POSTed");
    }
    const auto secret = account_secrets_.find(account_id);
    const auto problem = adapters::verify_rapport_signature(
        secret == account_secrets_.end() ? std::string_view() : secret->second,
        request.headers.get("X-Rapport-Timestamp").value_or(""),
        request.headers.get("X-Rapport-Signature").value_or(""), request.body, now_seconds());
    if (problem != adapters::signature_problem::none) {
        rejected_total_->with({account_id, std::string(adapters::to_string(problem))}).increment();
        log_->warn("webhook_rejected account={} reason={} remote={}", account_id,
                   adapters::to_string(problem), request.remote_address);
        co_return json_error(
            401, "unauthorized",
            "signature check failed: " + std::string(adapters::to_string(problem)));
    }
    auto parsed = adapters::generic::parse_webhook(request.body, account_id);
    if (!parsed.message) {
        rejected_total_->with({account_id, "bad_request"}).increment();
        co_return json_error(400, "bad_request", parsed.error);
    }
    rules::message message = std::move(*parsed.message);

    const auto set = std::atomic_load(&playbooks_);
    const rules::time_point now = now_seconds();
    const rules::time_point at = message.created_at.value_or(now);
    store_history history(*store_, message, at);
    rules::decision decision = evaluator_for(set).evaluate(message, history, at, nullptr);
    if (!history.error().empty()) {
        log_->error("history_failed account={} error=\"{}\"", account_id, history.error());
        co_return json_error(503, "unavailable", "the store could not be read; retry later");
    }
    const std::string kind(rules::to_string(message.kind));
    const std::vector<std::string> matched = decision.matched;
    // Built apart from the co_await: GCC 12 mishandles lambdas in a co_await expression.
    auto ingest = [this, request = make_ingest_request(message, std::move(decision), now,
                                                       config_.approval.expire_after)](
                      std::function<void(ingest_result)> done) mutable {
        store_->ingest(std::move(request), std::move(done));
    };
    ingest_result result = co_await async_store<ingest_result>(std::move(ingest), use_throw);
    if (result.status == ingest_status::failed) {
        log_->error("ingest_failed account={} id={} error=\"{}\"", account_id, message.id,
                    result.error);
        co_return json_error(503, "unavailable", "the message could not be stored; retry later");
    }
    std::string body = "{\"status\":";
    body += result.status == ingest_status::duplicate ? "\"duplicate\"" : "\"stored\"";
    body += ",\"drafts\":[";
    for (std::size_t i = 0; i < result.draft_ids.size(); ++i) {
        body += i > 0 ? "," : "";
        rules::append_json_string(body, result.draft_ids[i]);
    }
    body += "]}";
    if (result.status == ingest_status::stored) {
        messages_total_->with({account_id, kind}).increment();
        for (const auto& rule : matched) {
            rule_matches_total_->with({rule}).increment();
        }
        if (!result.draft_ids.empty()) {
            drafts_total_->with({"pending"}).increment(result.draft_ids.size());
        }
        ingest_seconds_->observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        log_->debug("message_stored account={} id={} drafts={}", account_id, message.id,
                    result.draft_ids.size());
    }
    co_return http::json_response(200, std::move(body));
}

net::awaitable<http_response> daemon_state::healthz(http_request, route_params) {
    co_return http::json_response(200, "{\"status\":\"ok\"}");
}

net::awaitable<http_response> daemon_state::readyz(http_request, route_params) {
    if (!ready_.load()) {
        co_return json_error(503, "not_ready", "starting or stopping");
    }
    co_return http::json_response(200, "{\"status\":\"ready\"}");
}

net::awaitable<http_response> daemon_state::metrics(http_request, route_params) {
    http_response response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    // Counted when scraped, so it is right whoever changed the drafts (and across restarts).
    if (const auto pending = store_->count_drafts(draft_state::pending); pending.ok()) {
        drafts_pending_->set(pending.value);
    }
    response.body = metrics_.render();
    co_return response;
}

std::optional<std::string> daemon_state::approver_of(const http_request& request) const {
    constexpr std::string_view scheme = "Bearer ";
    const std::string_view header = request.headers.get("Authorization").value_or("");
    if (!header.starts_with(scheme)) {
        return std::nullopt;
    }
    const std::string_view token = header.substr(scheme.size());
    std::optional<std::string> who;
    for (const auto& [known, name] : approver_tokens_) {
        // Every token is compared, so the time taken says nothing about which one matched.
        if (adapters::constant_time_equal(known, token)) {
            who = name;
        }
    }
    return who;
}

std::optional<rules::message> daemon_state::replied_to(const draft_record& d) {
    if (d.in_reply_to.empty()) {
        return std::nullopt;
    }
    auto stored = store_->get_message(d.account, d.in_reply_to);
    if (!stored.ok() || !stored.value) {
        return std::nullopt;
    }
    return stored.value->message;
}

net::awaitable<http_response> daemon_state::list_drafts(http_request request, route_params) {
    if (!approver_of(request)) {
        co_return json_error(401, "unauthorized", "a valid bearer token is required");
    }
    draft_filter filter;
    if (const auto state = request.query_value("state")) {
        filter.state = parse_draft_state(*state);
        if (!filter.state) {
            co_return json_error(400, "bad_request",
                                 "unknown state '" + std::string(*state) +
                                     "' (pending, approved, sending, sent, rejected, expired, "
                                     "failed, needs_review)");
        }
    }
    if (const auto team = request.query_value("team")) {
        filter.team = std::string(*team);
    }
    if (const auto account = request.query_value("account")) {
        filter.account = std::string(*account);
    }
    if (const auto after = request.query_value("after")) {
        filter.after = std::string(*after);
    }
    if (const auto limit = request.query_value("limit")) {
        int value = 0;
        const auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
        if (ec != std::errc{} || end != limit->data() + limit->size() || value < 1 || value > 500) {
            co_return json_error(400, "bad_request", "limit must be a whole number from 1 to 500");
        }
        filter.limit = value;
    }
    auto page = store_->list_drafts(filter);
    if (!page.ok()) {
        log_->error("list_drafts_failed error=\"{}\"", page.error);
        co_return json_error(503, "unavailable", "the store could not be read; retry later");
    }
    std::string body = "{\"drafts\":[";
    for (std::size_t i = 0; i < page.value.drafts.size(); ++i) {
        body += i > 0 ? "," : "";
        const auto& d = page.value.drafts[i];
        append_json(body, d, replied_to(d));
    }
    body += "],\"next\":";
    if (page.value.next) {
        rules::append_json_string(body, *page.value.next);
    } else {
        body += "null";
    }
    body += "}";
    co_return http::json_response(200, std::move(body));
}

net::awaitable<http_response> daemon_state::get_draft(http_request request, route_params params) {
    if (!approver_of(request)) {
        co_return json_error(401, "unauthorized", "a valid bearer token is required");
    }
    const std::string id(params["id"]);
    auto found = store_->get_draft(id);
    if (!found.ok()) {
        log_->error("get_draft_failed id={} error=\"{}\"", id, found.error);
        co_return json_error(503, "unavailable", "the store could not be read; retry later");
    }
    if (!found.value) {
        co_return json_error(404, "not_found", "no draft '" + id + "'");
    }
    std::string body;
    append_json(body, *found.value, replied_to(*found.value));
    co_return http::json_response(200, std::move(body));
}

net::awaitable<http_response> daemon_state::approve(http_request request, route_params params) {
    return decide(std::move(request), std::string(params["id"]), decide_request::action::approve);
}

net::awaitable<http_response> daemon_state::reject(http_request request, route_params params) {
    return decide(std::move(request), std::string(params["id"]), decide_request::action::reject);
}

net::awaitable<http_response> daemon_state::decide(http_request request,
                                                   std::string draft_id,
                                                   decide_request::action what) {
    const auto approver_name = approver_of(request);
    if (!approver_name) {
        co_return json_error(401, "unauthorized", "a valid bearer token is required");
    }
    decide_request decision;
    decision.draft_id = draft_id;
    decision.what = what;
    decision.approver = *approver_name;
    decision.at = now_seconds();
    // The body is optional: {"text", "note", "version"} to approve, {"reason"} to reject.
    if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
        boost::system::error_code ec;
        const boost::json::value body = boost::json::parse(request.body, ec);
        if (ec || !body.is_object()) {
            co_return json_error(400, "bad_request", "the body must be a JSON object");
        }
        const auto& o = body.get_object();
        const auto text_field = [&](std::string_view name) -> std::optional<std::string> {
            const auto* v = o.if_contains(name);
            if (v == nullptr || v->is_null() || !v->is_string()) {
                return std::nullopt;
            }
            return std::string(v->get_string());
        };
        for (const auto& [name, value] : o) {
            const bool allowed = what == decide_request::action::approve
                                     ? (name == "text" || name == "note" || name == "version")
                                     : (name == "reason");
            if (!allowed) {
                co_return json_error(400, "bad_request",
                                     "unknown field '" + std::string(name) + "'");
            }
            if (name == "version" ? !value.is_int64() : !(value.is_string() || value.is_null())) {
                co_return json_error(400, "bad_request",
                                     "field '" + std::string(name) + "' has the wrong type");
            }
        }
        decision.text = text_field("text");
        decision.note =
            what == decide_request::action::approve ? text_field("note") : text_field("reason");
        if (const auto* v = o.if_contains("version")) {
            decision.version = static_cast<int>(v->get_int64());
        }
        if (decision.text && decision.text->find_first_not_of(" \t\r\n") == std::string::npos) {
            co_return json_error(400, "bad_request", "an edited text must not be empty");
        }
    }
    // Only an approver of the draft's team may decide it (CONTRACT §5.1: 403).
    auto current = store_->get_draft(draft_id);
    if (!current.ok()) {
        co_return json_error(503, "unavailable", "the store could not be read; retry later");
    }
    if (!current.value) {
        co_return json_error(404, "not_found", "no draft '" + draft_id + "'");
    }
    const approver* who = find_approver(config_, *approver_name);
    const auto& team = current.value->team;
    if (team && who != nullptr && !who->sees_all_teams() &&
        std::find(who->teams.begin(), who->teams.end(), *team) == who->teams.end()) {
        co_return json_error(403, "forbidden",
                             "draft " + draft_id + " belongs to team '" + *team + "', not yours");
    }
    auto apply = [this,
                  request = std::move(decision)](std::function<void(decide_result)> done) mutable {
        store_->decide(std::move(request), std::move(done));
    };
    decide_result result = co_await async_store<decide_result>(std::move(apply), use_throw);
    switch (result.status) {
        case decide_status::not_found:
            co_return json_error(404, "not_found", "no draft '" + draft_id + "'");
        case decide_status::conflict:
            co_return json_error(409, "conflict", result.error);
        case decide_status::failed:
            log_->error("decide_failed draft={} error=\"{}\"", draft_id, result.error);
            co_return json_error(503, "unavailable", "the decision could not be stored; retry");
        case decide_status::changed:
            drafts_total_->with({std::string(to_string(result.draft->state))}).increment();
            log_->info("draft_decided draft={} state={} by={}", draft_id,
                       to_string(result.draft->state), *approver_name);
            if (result.draft->decided_at) {
                approval_seconds_->observe(static_cast<double>(
                    (*result.draft->decided_at - result.draft->created_at).count()));
            }
            if (result.draft->state == draft_state::approved && dispatcher_ != nullptr) {
                dispatcher_->wake();
            }
            break;
        case decide_status::unchanged:
            break;
    }
    std::string body;
    append_json(body, *result.draft, replied_to(*result.draft));
    co_return http::json_response(200, std::move(body));
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
    r.add("GET", "/v1/drafts", bind(&daemon_state::list_drafts));
    r.add("GET", "/v1/drafts/{id}", bind(&daemon_state::get_draft));
    r.add("POST", "/v1/drafts/{id}/approve", bind(&daemon_state::approve));
    r.add("POST", "/v1/drafts/{id}/reject", bind(&daemon_state::reject));
    return r;
}

} // namespace

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
    if (!state.resolve_account_secrets() || !state.load_playbooks()) {
        return 1;
    }
    notify("STATUS=opening the store");
    if (!state.open_store()) {
        return 1;
    }

    net::io_context ioc;
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
    http::http_server server(ioc, state.routes(), options);
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
    try {
        client.emplace(ioc.get_executor());
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
    sender.start();

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
            // the store closes after both.
            auto remaining = std::make_shared<std::atomic<int>>(2);
            auto one_done = [&, remaining] {
                if (remaining->fetch_sub(1) == 1) {
                    state.storage().close();
                    log->info("stopped");
                    ioc.stop();
                }
            };
            server.on_stopped(one_done);
            sender.stop(std::chrono::seconds(10), one_done);
            server.stop();
        };
    signals.async_wait(on_signal);

    std::vector<std::thread> threads;
    for (unsigned i = 1; i < c.server.threads; ++i) {
        threads.emplace_back([&ioc] { ioc.run(); });
    }
    ioc.run();
    for (auto& t : threads) {
        t.join();
    }
    return 0;
}

} // namespace rapport::daemon
