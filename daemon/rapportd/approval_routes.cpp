// The approvers' side of the API (CONTRACT §5): drafts, decisions (bearer or HMAC-signed),
// pause/resume, the audit log, stored messages and insight answers.
#include "adapters/common/signature.hpp"
#include "daemon/rapportd/async_store.hpp"
#include "daemon/rapportd/daemon_state.hpp"
#include "daemon/rapportd/dispatcher.hpp"
#include "daemon/rapportd/notifier.hpp"
#include "daemon/store/decision_body.hpp"
#include "daemon/store/draft_json.hpp"
#include "rules/guardrails.hpp"
#include "rules/json_text.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace rapport::daemon {
namespace {

using http::http_request;
using http::http_response;
using http::json_error;
using http::route_params;

http_response unauthorized() {
    return json_error(401, "unauthorized", "a valid bearer token is required");
}

http_response store_unavailable() {
    return json_error(503, "unavailable", "the store could not be read; retry later");
}

// `limit` and `after` of a list request (CONTRACT §5: limit 1..500, default 50).
struct page_query {
    int limit = 50;
    std::optional<std::string> after;
    std::optional<http_response> error;
};

page_query read_page_query(const http_request& request) {
    page_query q;
    if (const auto after = request.query_value("after")) {
        q.after = std::string(*after);
    }
    if (const auto limit = request.query_value("limit")) {
        const auto value = parse_whole_number(*limit);
        if (!value || *value < 1 || *value > 500) {
            q.error = json_error(400, "bad_request", "limit must be a whole number from 1 to 500");
        } else {
            q.limit = static_cast<int>(*value);
        }
    }
    return q;
}

void append_next(std::string& body, const std::optional<std::string>& next) {
    body += "],\"next\":";
    if (next) {
        rules::append_json_string(body, *next);
    } else {
        body += "null";
    }
    body += "}";
}

// A stored message as lists show it: the Message of §6 plus tags, received_at and decision.
void append_stored_message(std::string& out, const stored_message& m) {
    std::string message;
    rules::append_json(message, m.message);
    message.pop_back(); // the closing brace: more members follow
    out += message;
    out += ",\"tags\":[";
    for (std::size_t i = 0; i < m.tags.size(); ++i) {
        out += i > 0 ? "," : "";
        rules::append_json_string(out, m.tags[i]);
    }
    out += "],\"received_at\":";
    rules::append_json_string(out, rules::format_timestamp(m.received_at));
    out += ",\"decision\":";
    out += m.decision_json.empty() ? "null" : m.decision_json;
    out += "}";
}

} // namespace

const approver* daemon_state::approver_of(const http_request& request) const {
    constexpr std::string_view scheme = "Bearer ";
    const std::string_view header = request.headers.get("Authorization").value_or("");
    if (!header.starts_with(scheme)) {
        return nullptr;
    }
    const std::string_view token = header.substr(scheme.size());
    const approver* who = nullptr;
    for (const auto& [known, person] : approver_tokens_) {
        // Every token is compared, so the time taken says nothing about which one matched.
        if (adapters::constant_time_equal(known, token)) {
            who = person;
        }
    }
    return who;
}

std::string daemon_state::replied_to_json(const draft_record& d) {
    if (d.in_reply_to.empty()) {
        return "null";
    }
    auto stored = store_->get_message(d.account, d.in_reply_to);
    if (!stored.ok() || !stored.value) {
        return "null";
    }
    std::string out;
    rules::append_json(out, stored.value->message);
    return out;
}

std::string daemon_state::draft_json(const draft_record& d) {
    std::string out;
    append_json(out, d, replied_to_json(d));
    return out;
}

net::awaitable<http_response> daemon_state::list_drafts(http_request request, route_params) {
    if (approver_of(request) == nullptr) {
        co_return unauthorized();
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
    page_query page_of = read_page_query(request);
    if (page_of.error) {
        co_return *page_of.error;
    }
    filter.limit = page_of.limit;
    filter.after = page_of.after;
    auto page = store_->list_drafts(filter);
    if (!page.ok()) {
        log_->error("list_drafts_failed error=\"{}\"", page.error);
        co_return store_unavailable();
    }
    std::string body = "{\"drafts\":[";
    for (std::size_t i = 0; i < page.value.drafts.size(); ++i) {
        body += i > 0 ? "," : "";
        body += draft_json(page.value.drafts[i]);
    }
    append_next(body, page.value.next);
    co_return http::json_response(200, std::move(body));
}

net::awaitable<http_response> daemon_state::get_draft(http_request request, route_params params) {
    if (approver_of(request) == nullptr) {
        co_return unauthorized();
    }
    const std::string id(params["id"]);
    auto found = store_->get_draft(id);
    if (!found.ok()) {
        log_->error("get_draft_failed id={} error=\"{}\"", id, found.error);
        co_return store_unavailable();
    }
    if (!found.value) {
        co_return json_error(404, "not_found", "no draft '" + id + "'");
    }
    co_return http::json_response(200, draft_json(*found.value));
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
    decide_request decision;
    decision.draft_id = draft_id;
    decision.what = what;
    decision.at = now_seconds();
    // Signed decisions (CONTRACT §5.3) come from tools acting for a named approver; the
    // others carry the approver's own bearer token.
    const bool is_signed = request.headers.get("X-Rapport-Signature").has_value();
    const approver* who = nullptr;
    if (is_signed) {
        if (!approval_secret_) {
            co_return json_error(401, "unauthorized",
                                 "signed decisions are off: approval.webhook_secret is not set");
        }
        const std::string_view signature = *request.headers.get("X-Rapport-Signature");
        const auto problem = adapters::verify_rapport_signature(
            *approval_secret_, request.headers.get("X-Rapport-Timestamp").value_or(""), signature,
            request.body, decision.at);
        if (problem != adapters::signature_problem::none) {
            log_->warn("decision_rejected draft={} reason={} remote={}", draft_id,
                       adapters::to_string(problem), request.remote_address);
            co_return json_error(
                401, "unauthorized",
                "signature check failed: " + std::string(adapters::to_string(problem)));
        }
        decision.signature = std::string(signature);
        // Past the timestamp window the signature is refused as stale anyway.
        decision.signature_expires_at = decision.at + std::chrono::seconds(600);
    } else {
        who = approver_of(request);
        if (who == nullptr) {
            co_return unauthorized();
        }
    }
    decision_body fields = parse_decision_body(request.body, what, is_signed);
    if (!fields.error.empty()) {
        co_return json_error(400, "bad_request", fields.error);
    }
    decision.text = std::move(fields.text);
    decision.note = std::move(fields.note);
    decision.version = fields.version;
    if (is_signed) {
        who = find_approver(config_, *fields.approver);
        if (who == nullptr) {
            co_return json_error(403, "forbidden", "'" + *fields.approver + "' is not an approver");
        }
    }
    const decision_outcome outcome = co_await decide_as(*who, std::move(decision), is_signed);
    using kind = decision_outcome::kind;
    switch (outcome.what) {
        case kind::decided:
            break;
        case kind::not_found:
            co_return json_error(404, "not_found", outcome.message);
        case kind::forbidden:
            co_return json_error(403, "forbidden", outcome.message);
        case kind::cannot_approve:
            co_return json_error(422, "cannot_approve", outcome.message);
        case kind::conflict:
            co_return json_error(409, "conflict", outcome.message);
        case kind::replay:
            log_->warn("decision_rejected draft={} reason=replay remote={}", draft_id,
                       request.remote_address);
            co_return json_error(401, "unauthorized", outcome.message);
        case kind::unavailable:
            co_return json_error(503, "unavailable", outcome.message);
    }
    co_return http::json_response(200, draft_json(*outcome.draft));
}

bool daemon_state::goes_direct(const draft_record& draft, const rules::playbook_set& set) {
    if (draft.is_private) {
        return true;
    }
    const auto limit = set.length_limits.find(draft.platform);
    if (limit == set.length_limits.end() || limit->second.direct_max == 0 ||
        draft.in_reply_to.empty()) {
        return false;
    }
    // Unreadable: the public limit, the stricter one, applies.
    const auto replied = store_->get_message(draft.account, draft.in_reply_to);
    return replied.ok() && replied.value &&
           rules::goes_as_direct_message(draft.is_private, replied.value->message.kind);
}

net::awaitable<decision_outcome> daemon_state::decide_as(const approver& who,
                                                         decide_request decision,
                                                         bool is_signed) {
    const std::string draft_id = decision.draft_id;
    const auto refused = [](decision_outcome::kind what, std::string message,
                            std::optional<draft_record> draft = std::nullopt) {
        return decision_outcome{what, std::move(message), std::move(draft)};
    };
    decision.approver = who.name;
    auto current = store_->get_draft(draft_id);
    if (!current.ok()) {
        co_return refused(decision_outcome::kind::unavailable,
                          "the store could not be read; retry later");
    }
    if (!current.value) {
        co_return refused(decision_outcome::kind::not_found, "no draft '" + draft_id + "'");
    }
    const draft_record& draft = *current.value;
    // Only an approver of the draft's team may decide it (CONTRACT §5.1: 403).
    if (!who.decides_for(draft.team)) {
        co_return refused(decision_outcome::kind::forbidden,
                          "draft " + draft_id + " belongs to team '" + *draft.team + "', and " +
                              who.name + " does not approve for it",
                          draft);
    }
    // Guardrails apply to what would be sent; a repeat of a decision made before is not
    // judged again (the store answers it as unchanged).
    const bool open =
        draft.state == draft_state::pending || draft.state == draft_state::needs_review;
    if (decision.what == decide_request::action::approve && open) {
        const auto set = std::atomic_load(&playbooks_);
        if (auto blocker = rules::approval_blocker(
                decision.text.value_or(draft.text), draft.platform, goes_direct(draft, *set),
                config_.guardrails.blocked_phrases, set->length_limits)) {
            log_->info("approval_refused draft={} by={} reason=\"{}\"", draft_id, who.name,
                       *blocker);
            co_return refused(decision_outcome::kind::cannot_approve, *blocker, draft);
        }
    }
    auto apply = [this,
                  request = std::move(decision)](std::function<void(decide_result)> done) mutable {
        store_->decide(std::move(request), std::move(done));
    };
    decide_result result = co_await async_store<decide_result>(std::move(apply), use_throw);
    switch (result.status) {
        case decide_status::not_found:
            co_return refused(decision_outcome::kind::not_found, "no draft '" + draft_id + "'");
        case decide_status::conflict:
            co_return refused(decision_outcome::kind::conflict, result.error,
                              std::move(result.draft));
        case decide_status::replay:
            co_return refused(decision_outcome::kind::replay,
                              "this signed request was used before (replay)");
        case decide_status::failed:
            log_->error("decide_failed draft={} error=\"{}\"", draft_id, result.error);
            co_return refused(decision_outcome::kind::unavailable,
                              "the decision could not be stored; retry");
        case decide_status::changed:
            drafts_total_->with({std::string(to_string(result.draft->state))}).increment();
            log_->info("draft_decided draft={} state={} by={}{}", draft_id,
                       to_string(result.draft->state), who.name, is_signed ? " signed=true" : "");
            if (result.draft->decided_at) {
                approval_seconds_->observe(static_cast<double>(
                    (*result.draft->decided_at - result.draft->created_at).count()));
            }
            if (result.draft->state == draft_state::approved && dispatcher_ != nullptr) {
                dispatcher_->wake();
            }
            outbox_changed();
            break;
        case decide_status::unchanged:
            break;
    }
    co_return decision_outcome{decision_outcome::kind::decided, {}, std::move(result.draft)};
}

net::awaitable<http_response> daemon_state::pause(http_request request, route_params) {
    return set_paused(std::move(request), true);
}

net::awaitable<http_response> daemon_state::resume(http_request request, route_params) {
    return set_paused(std::move(request), false);
}

net::awaitable<http_response> daemon_state::set_paused(http_request request, bool paused) {
    const approver* who = approver_of(request);
    if (who == nullptr) {
        co_return unauthorized();
    }
    if (!who->admin) {
        co_return json_error(403, "forbidden",
                             who->name + " is not an admin: only admins pause and resume sending");
    }
    // Durable first: a pause acknowledged is a pause that survives a restart.
    auto write = [this, paused, actor = who->name](std::function<void(std::string)> done) {
        store_->set_paused(paused, actor, now_seconds(), std::move(done));
    };
    const std::string error = co_await async_store<std::string>(std::move(write), use_throw);
    if (!error.empty()) {
        log_->error("pause_failed error=\"{}\"", error);
        co_return json_error(503, "unavailable", "the change could not be stored; retry");
    }
    const bool was = paused_.exchange(paused);
    sending_paused_->set(paused ? 1 : 0);
    if (dispatcher_ != nullptr) {
        dispatcher_->set_paused(paused);
    }
    if (was != paused) {
        log_->warn("sending_{} by={}", paused ? "paused" : "resumed", who->name);
    }
    co_return http::json_response(200,
                                  paused ? "{\"sending\":\"paused\"}" : "{\"sending\":\"on\"}");
}

net::awaitable<http_response> daemon_state::list_audit(http_request request, route_params) {
    if (approver_of(request) == nullptr) {
        co_return unauthorized();
    }
    audit_filter filter;
    if (const auto draft = request.query_value("draft")) {
        filter.draft_id = std::string(*draft);
    }
    page_query page_of = read_page_query(request);
    if (page_of.error) {
        co_return *page_of.error;
    }
    filter.limit = page_of.limit;
    filter.after = page_of.after;
    auto page = store_->list_audit(filter);
    if (!page.ok()) {
        if (page.error.starts_with("bad cursor")) {
            co_return json_error(400, "bad_request", page.error);
        }
        log_->error("list_audit_failed error=\"{}\"", page.error);
        co_return store_unavailable();
    }
    std::string body = "{\"entries\":[";
    for (std::size_t i = 0; i < page.value.entries.size(); ++i) {
        const audit_entry& e = page.value.entries[i];
        body += i > 0 ? ",{\"draft_id\":" : "{\"draft_id\":";
        if (e.draft_id.empty()) {
            body += "null";
        } else {
            rules::append_json_string(body, e.draft_id);
        }
        body += ",\"at\":";
        rules::append_json_string(body, rules::format_timestamp(e.at));
        body += ",\"actor\":";
        rules::append_json_string(body, e.actor);
        body += ",\"action\":";
        rules::append_json_string(body, e.action);
        body += ",\"before\":";
        body += e.before_json.empty() ? "null" : e.before_json;
        body += ",\"after\":";
        body += e.after_json.empty() ? "null" : e.after_json;
        body += "}";
    }
    append_next(body, page.value.next);
    co_return http::json_response(200, std::move(body));
}

net::awaitable<http_response> daemon_state::list_messages(http_request request, route_params) {
    if (approver_of(request) == nullptr) {
        co_return unauthorized();
    }
    message_filter filter;
    if (const auto tag = request.query_value("tag")) {
        filter.tag = std::string(*tag);
    }
    if (const auto account = request.query_value("account")) {
        filter.account = std::string(*account);
    }
    if (const auto since = request.query_value("since")) {
        filter.since = rules::parse_timestamp(*since);
        if (!filter.since) {
            co_return json_error(400, "bad_request",
                                 "since must be an RFC 3339 time such as 2026-11-22T10:00:00Z");
        }
    }
    page_query page_of = read_page_query(request);
    if (page_of.error) {
        co_return *page_of.error;
    }
    filter.limit = page_of.limit;
    filter.after = page_of.after;
    auto page = store_->list_messages(filter);
    if (!page.ok()) {
        if (page.error.starts_with("bad cursor")) {
            co_return json_error(400, "bad_request", page.error);
        }
        log_->error("list_messages_failed error=\"{}\"", page.error);
        co_return store_unavailable();
    }
    std::string body = "{\"messages\":[";
    for (std::size_t i = 0; i < page.value.messages.size(); ++i) {
        body += i > 0 ? "," : "";
        append_stored_message(body, page.value.messages[i]);
    }
    append_next(body, page.value.next);
    co_return http::json_response(200, std::move(body));
}

net::awaitable<http_response> daemon_state::get_insight(http_request request, route_params params) {
    if (approver_of(request) == nullptr) {
        co_return unauthorized();
    }
    const std::string id(params["id"]);
    const auto set = std::atomic_load(&playbooks_);
    const auto question = set->insights.find(id);
    if (question == set->insights.end()) {
        co_return json_error(404, "not_found", "no insight question '" + id + "'");
    }
    auto found = store_->get_insight(id, 5000);
    if (!found.ok()) {
        log_->error("get_insight_failed id={} error=\"{}\"", id, found.error);
        co_return store_unavailable();
    }
    std::string body = "{\"id\":";
    rules::append_json_string(body, id);
    body += ",\"question\":";
    rules::append_json_string(body, question->second.question);
    body += ",\"accounts\":[";
    for (std::size_t i = 0; i < question->second.accounts.size(); ++i) {
        body += i > 0 ? "," : "";
        rules::append_json_string(body, question->second.accounts[i]);
    }
    // Each firing's draft per account: where (and whether) the question was posted.
    body += "],\"posts\":[";
    for (std::size_t i = 0; i < found.value.questions.size(); ++i) {
        body += i > 0 ? "," : "";
        append_json(body, found.value.questions[i], "null");
    }
    body += "],\"answers\":[";
    for (std::size_t i = 0; i < found.value.answers.size(); ++i) {
        body += i > 0 ? "," : "";
        append_stored_message(body, found.value.answers[i]);
    }
    body += "]}";
    co_return http::json_response(200, std::move(body));
}

} // namespace rapport::daemon
