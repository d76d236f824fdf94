// Slack's Interactivity Request URL, /hooks/{account}/interactivity: approvers' clicks on the
// cards slack_approvals posts, and their Edit modal submissions. Every decision goes through
// decide_as, the API's own path (team rules, guardrails, version binding, audit), with the
// note "via Slack". Slack wants an answer within 3 s, so clicks are acknowledged at once and
// handled after; what the approver needs to know comes back privately through the click's
// response_url. A modal submission is answered in its response, so the modal can show why
// the text cannot be approved.
#include "adapters/slack/interactivity.hpp"
#include "adapters/slack/signing.hpp"
#include "daemon/rapportd/daemon_state.hpp"
#include "daemon/rapportd/slack_approvals.hpp"
#include "rules/text.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

namespace rapport::daemon {
namespace {

namespace slack = adapters::slack;
using http::http_request;
using http::http_response;
using http::json_error;
using http::route_params;

constexpr std::string_view not_an_approver =
    "You are not a Rapport approver: ask an admin to add your Slack user id as `slack_user` "
    "of your approver entry.";

http_response acknowledged() {
    http_response r;
    r.status = 200;
    return r;
}

// "approved by alice (via Slack)" and the like, for a draft nobody can decide any more.
std::string decided_already(const draft_record& d) {
    std::string by;
    if (d.decided_by) {
        by = " by " + *d.decided_by +
             (d.note && *d.note == slack_decision_note ? " (via Slack)" : " (via API)");
    }
    switch (d.state) {
        case draft_state::approved:
        case draft_state::sending:
            return "This draft was already approved" + by + ".";
        case draft_state::sent:
            return "This draft was already approved" + by + " and sent.";
        case draft_state::rejected:
            return "This draft was already rejected" + by + ".";
        case draft_state::expired:
            return "This draft expired before anyone decided.";
        case draft_state::failed:
            return "This draft was approved" + by + ", and sending it failed.";
        case draft_state::pending:
        case draft_state::needs_review:
            break;
    }
    return "This draft changed since this message was posted (it is at version " +
           std::to_string(d.version) + " now): look at the updated message.";
}

// What an approver is told when a decision was not made.
std::string refusal(const decision_outcome& outcome) {
    using kind = decision_outcome::kind;
    switch (outcome.what) {
        case kind::decided:
            return {};
        case kind::conflict:
            return outcome.draft ? decided_already(*outcome.draft) : outcome.message;
        case kind::cannot_approve:
            return "This text cannot be approved: " + outcome.message +
                   ". Use Edit to change it, or Reject.";
        case kind::forbidden:
            return "You cannot decide this draft: " + outcome.message + ".";
        case kind::not_found:
        case kind::replay:
        case kind::unavailable:
            break;
    }
    return outcome.message;
}

bool blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

} // namespace

const approver* daemon_state::approver_of_slack_user(std::string_view user_id) const {
    for (const auto& a : config_.approvers) {
        if (a.slack_user && *a.slack_user == user_id) {
            return &a;
        }
    }
    return nullptr;
}

net::awaitable<http_response> daemon_state::slack_interactivity(http_request request,
                                                                route_params params) {
    const std::string account_id(params["account"]);
    const daemon::account* account = find_account(config_, account_id);
    if (account == nullptr || account->platform != "slack") {
        co_return json_error(404, "not_found", "no Slack account '" + account_id + "'");
    }
    const auto secrets = account_secrets_.find(account_id);
    const std::string signing_secret = secrets == account_secrets_.end()
                                           ? std::string{}
                                           : secret_or_empty(secrets->second, "signing_secret");
    // The signature covers the raw form body, before any decoding (PLATFORMS.md §1c).
    const auto problem =
        slack::verify(signing_secret, request.headers.get(slack::timestamp_header),
                      request.headers.get(slack::signature_header), request.body, now_seconds());
    if (signing_secret.empty() || problem != adapters::signature_problem::none) {
        const std::string reason(signing_secret.empty() ? "no_secret"
                                                        : adapters::to_string(problem));
        rejected_total_->with({account_id, reason}).increment();
        log_->warn("slack_interaction_rejected account={} reason={} remote={}", account_id, reason,
                   request.remote_address);
        co_return json_error(401, "unauthorized", "Slack signature check failed: " + reason);
    }
    auto read = slack::parse_interaction(request.body);
    if (!read.value) {
        rejected_total_->with({account_id, "bad_request"}).increment();
        co_return json_error(400, "bad_request", read.error);
    }
    slack::interaction& in = *read.value;
    using kind = slack::interaction::kind;
    if (in.what == kind::other) {
        ignored_total_->with({account_id, in.ignored}).increment();
        log_->debug("slack_interaction_ignored account={} reason={}", account_id, in.ignored);
        co_return acknowledged();
    }
    slack_interactions_total_
        ->with({account_id, in.what == kind::button ? in.action_id : "edit_submitted"})
        .increment();
    if (in.what == kind::edit_submitted) {
        co_return co_await slack_edit_submitted(std::move(in.user_id), std::move(in.draft_id),
                                                in.version, std::move(in.text));
    }
    // Acknowledged now, handled next: Slack shows the approver an error after 3 s without
    // an answer, and a decision waits for a store commit.
    const auto executor = co_await net::this_coro::executor;
    net::co_spawn(executor,
                  slack_click(account_id, std::move(in.user_id), std::move(in.action_id),
                              std::move(in.draft_id), in.version, std::move(in.trigger_id),
                              std::move(in.response_url)),
                  net::detached);
    co_return acknowledged();
}

net::awaitable<void> daemon_state::slack_click(std::string account,
                                               std::string user_id,
                                               std::string action_id,
                                               std::string draft_id,
                                               int version,
                                               std::string trigger_id,
                                               std::string response_url) {
    std::string answer;
    const approver* who = approver_of_slack_user(user_id);
    if (who == nullptr) {
        log_->warn("slack_click_refused account={} user={} reason=not_an_approver", account,
                   user_id);
        answer = not_an_approver;
    } else if (action_id == slack::edit_action) {
        // The trigger lives about 3 s: the modal opens before anything else is done.
        answer = co_await slack_open_editor(account, who, draft_id, version, trigger_id);
    } else {
        decide_request decision;
        decision.draft_id = draft_id;
        decision.what = action_id == slack::approve_action ? decide_request::action::approve
                                                           : decide_request::action::reject;
        decision.version = version;
        decision.note = std::string(slack_decision_note);
        decision.at = now_seconds();
        const decision_outcome outcome = co_await decide_as(*who, std::move(decision), false);
        answer = refusal(outcome);
        if (!answer.empty()) {
            log_->info("slack_decision_refused account={} draft={} by={} reason=\"{}\"", account,
                       draft_id, who->name, outcome.message);
        }
    }
    if (answer.empty() || slack_approvals_ == nullptr || response_url.empty()) {
        co_return;
    }
    const adapters::delivery told = co_await slack_approvals_->tell(response_url, answer);
    if (told.what != adapters::delivery::outcome::sent) {
        log_->warn("slack_response_failed account={} draft={} error=\"{}\"", account, draft_id,
                   told.error);
    }
}

net::awaitable<std::string> daemon_state::slack_open_editor(std::string account,
                                                            const approver* who,
                                                            std::string draft_id,
                                                            int version,
                                                            std::string trigger_id) {
    auto found = store_->get_draft(draft_id);
    if (!found.ok()) {
        co_return "The draft could not be read; try again.";
    }
    if (!found.value) {
        co_return "There is no draft " + draft_id + ".";
    }
    const draft_record& d = *found.value;
    if (!who->decides_for(d.team)) {
        co_return "You cannot decide this draft: it belongs to team '" + d.team.value_or("") +
            "', and " + who->name + " does not approve for it.";
    }
    const bool open = d.state == draft_state::pending || d.state == draft_state::needs_review;
    if (!open || d.version != version) {
        co_return decided_already(d);
    }
    auto card = card_from_draft_json(draft_json(d));
    if (!card || slack_approvals_ == nullptr) {
        co_return "The draft could not be shown.";
    }
    if (rules::count_code_points(card->text) > slack::input_value_limit) {
        co_return "This draft is longer than Slack's editor holds (3000 characters): edit it "
                  "through the API instead.";
    }
    const adapters::delivery opened =
        co_await slack_approvals_->open_editor(account, std::move(trigger_id), std::move(*card));
    if (opened.what != adapters::delivery::outcome::sent) {
        log_->warn("slack_modal_failed account={} draft={} error=\"{}\"", account, draft_id,
                   opened.error);
        co_return "The editor could not be opened (" + opened.error + "): click Edit again.";
    }
    co_return std::string{};
}

net::awaitable<http_response> daemon_state::slack_edit_submitted(std::string user_id,
                                                                 std::string draft_id,
                                                                 int version,
                                                                 std::optional<std::string> text) {
    const approver* who = approver_of_slack_user(user_id);
    if (who == nullptr) {
        co_return http::json_response(200, slack::modal_error_body(not_an_approver));
    }
    if (!text || blank(*text)) {
        co_return http::json_response(200, slack::modal_error_body("The reply cannot be empty."));
    }
    decide_request decision;
    decision.draft_id = draft_id;
    decision.what = decide_request::action::approve;
    decision.version = version;
    decision.text = std::move(*text);
    decision.note = std::string(slack_decision_note);
    decision.at = now_seconds();
    const decision_outcome outcome = co_await decide_as(*who, std::move(decision), false);
    if (outcome.what == decision_outcome::kind::decided) {
        // An empty 200 closes the modal; the card's update shows the approval.
        co_return acknowledged();
    }
    log_->info("slack_decision_refused draft={} by={} reason=\"{}\"", draft_id, who->name,
               outcome.message);
    const std::string why = outcome.what == decision_outcome::kind::cannot_approve
                                ? "This text cannot be approved: " + outcome.message + "."
                                : refusal(outcome);
    co_return http::json_response(200, slack::modal_error_body(why));
}

} // namespace rapport::daemon
