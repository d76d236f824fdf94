// What the running daemon shares between its threads: config, secrets, playbooks, store,
// metrics, and the HTTP handlers that use them. application.cpp builds it, wires the
// dispatcher and notifier to it and runs the io_context; approval_routes.cpp holds the
// approvers' side of the API; housekeeping.cpp the timed work (expiry, SLAs, insight questions).
#pragma once

#include "daemon/config/config.hpp"
#include "daemon/http/router.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/rapportd/platforms.hpp"
#include "daemon/store/store.hpp"
#include "rules/playbook.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace spdlog {
class logger;
}

namespace rapport::daemon {

class dispatcher;
class notifier;
class slack_approvals;
struct slack_card_event;
struct slack_surface;
struct dispatch_account;
struct dispatch_event;
struct notify_event;
struct notify_receiver;

/// How one decision ended, whoever asked for it: the API (bearer or signed) or Slack's
/// buttons. Each caller words it for its own medium.
struct decision_outcome {
    enum class kind {
        /// Applied, or the same decision made before (nothing changed).
        decided,
        not_found,
        /// The approver does not approve for the draft's team.
        forbidden,
        /// A guardrail refuses the text (blocked phrase, too long).
        cannot_approve,
        /// The draft's state or version does not allow it.
        conflict,
        /// A signed request used before.
        replay,
        /// The store failed; retry.
        unavailable,
    };
    kind what = kind::unavailable;
    /// For people: why it was refused.
    std::string message;
    /// The draft as it now is (decided, conflict; forbidden and cannot_approve: as read).
    std::optional<draft_record> draft;
};

class daemon_state {
public:
    daemon_state(const config& c, std::shared_ptr<spdlog::logger> log);

    // ---- start-up, in this order ----
    bool resolve_secrets();
    /// Loads the playbooks; on success they replace the running set and their offer codes
    /// are added to the store's pools.
    bool load_playbooks();
    bool open_store();
    /// Drafts left `sending` by a process that died mid-send go up for review (or back to
    /// approved, for receivers that deduplicate). Before the dispatcher starts.
    bool recover_interrupted_sends(const std::vector<dispatch_account>& accounts);
    /// Puts the playbooks' offer codes into the store (new codes only).
    void stock_offer_codes();
    /// One sender per account that can send; accounts without one get none (their drafts
    /// fail with a message saying so).
    [[nodiscard]] std::vector<dispatch_account> dispatch_accounts(
        const adapters::https_client& client) const;
    [[nodiscard]] std::vector<notify_receiver> notify_receivers() const;
    /// The Slack accounts with an approvals channel.
    [[nodiscard]] std::vector<slack_surface> slack_surfaces() const;
    /// The base of the approve/reject URLs notifications carry.
    [[nodiscard]] std::string public_url(std::uint16_t port) const;
    void set_dispatcher(dispatcher* d) { dispatcher_ = d; }
    void set_notifier(notifier* n) { notifier_ = n; }
    void set_slack_approvals(slack_approvals* s) { slack_approvals_ = s; }
    /// Whether sending was paused when the daemon last ran (the dispatcher starts so).
    [[nodiscard]] bool sending_paused() const { return paused_.load(); }
    void set_ready(bool ready) { ready_.store(ready); }

    // ---- running ----
    void reload_playbooks();
    /// What the dispatcher and notifier did, into metrics and the log.
    void observe(const dispatch_event& e);
    void observe(const notify_event& e);
    void observe(const slack_card_event& e);
    /// The timed work, about once a second: expires undecided drafts, raises SLA breaches,
    /// fires insight questions that are due.
    void housekeeping();
    [[nodiscard]] http::router routes();
    /// Runs one message through the playbooks and stores it with its decision and drafts:
    /// what a webhook's messages and a poller's Updates go through alike.
    net::awaitable<ingest_result> ingest_message(rules::message message, std::string account_id);
    /// A part of a webhook or a polled Update acknowledged and not stored, counted by reason.
    void count_ignored(const std::string& account_id, const std::string& reason);
    /// Whether the account's platform stream (a Telegram poll) is working, for the metric.
    void set_stream_connected(const std::string& account_id, bool connected);
    /// The account's resolved secrets (empty when it has none).
    [[nodiscard]] const secret_values& secrets_of(std::string_view account_id) const;

    store& storage() { return *store_; }
    spdlog::logger& log() { return *log_; }

private:
    using http_request = http::http_request;
    using http_response = http::http_response;
    using route_params = http::route_params;

    /// /hooks/{account}: the account's webhook reader decides what the request carries;
    /// its messages are stored before the answer.
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
    /// Applies `decision` for `who` (its approver is set here): team rules, guardrails, version
    /// binding, the store's transaction with its audit entry, metrics, and the wake-ups. The
    /// one decide path of the API and of Slack's buttons.
    net::awaitable<decision_outcome> decide_as(const approver& who,
                                               decide_request decision,
                                               bool is_signed);
    /// Whether `draft` would go as a direct message (private, or answering one), where a
    /// platform may allow a longer text. Reads the replied-to message only when that matters.
    bool goes_direct(const draft_record& draft, const rules::playbook_set& set);
    /// /hooks/{account}/interactivity: Slack's button clicks and Edit modal submissions
    /// (slack_routes.cpp).
    net::awaitable<http_response> slack_interactivity(http_request request, route_params params);
    /// A click on Approve, Edit or Reject, handled after Slack has its acknowledgement.
    net::awaitable<void> slack_click(std::string account,
                                     std::string user_id,
                                     std::string action_id,
                                     std::string draft_id,
                                     int version,
                                     std::string trigger_id,
                                     std::string response_url);
    /// Opens the Edit modal for a click on Edit; what to tell the approver when it did not.
    net::awaitable<std::string> slack_open_editor(std::string account,
                                                  const approver* who,
                                                  std::string draft_id,
                                                  int version,
                                                  std::string trigger_id);
    /// The Edit modal submitted: approve with its text, or say in the modal why not.
    net::awaitable<http_response> slack_edit_submitted(std::string user_id,
                                                       std::string draft_id,
                                                       int version,
                                                       std::optional<std::string> text);
    /// The approver whose `slack_user` is `user_id`, or null.
    [[nodiscard]] const approver* approver_of_slack_user(std::string_view user_id) const;
    net::awaitable<http_response> pause(http_request request, route_params params);
    net::awaitable<http_response> resume(http_request request, route_params params);
    net::awaitable<http_response> set_paused(http_request request, bool paused);
    net::awaitable<http_response> list_audit(http_request request, route_params params);
    net::awaitable<http_response> list_messages(http_request request, route_params params);
    net::awaitable<http_response> get_insight(http_request request, route_params params);

    /// The approver a request's bearer token belongs to, if any (CONTRACT §5.2).
    [[nodiscard]] const approver* approver_of(const http_request& request) const;
    /// The replied-to message's stored JSON, or `null`.
    [[nodiscard]] std::string replied_to_json(const draft_record& d);
    /// A draft as the API shows it.
    [[nodiscard]] std::string draft_json(const draft_record& d);
    /// Something was written to the outbox: wakes its readers (notifier, Slack surfaces).
    void outbox_changed();
    /// Creates the drafts of every insight question due at `now`; true when it made any.
    /// Sets `failed` when the store could not be read or written.
    bool fire_insight_questions(rules::time_point now, bool& failed);

    const config& config_;
    std::shared_ptr<spdlog::logger> log_;
    metrics_registry metrics_;
    family<counter>* messages_total_ = nullptr;
    family<counter>* rejected_total_ = nullptr;
    family<counter>* ignored_total_ = nullptr;
    family<counter>* rule_matches_total_ = nullptr;
    family<counter>* drafts_total_ = nullptr;
    family<counter>* reloads_total_ = nullptr;
    family<counter>* sends_total_ = nullptr;
    family<counter>* notifications_total_ = nullptr;
    family<counter>* offers_skipped_total_ = nullptr;
    family<gauge>* offer_codes_left_ = nullptr;
    family<gauge>* stream_connected_ = nullptr;
    counter* sla_breaches_total_ = nullptr;
    histogram* ingest_seconds_ = nullptr;
    histogram* approval_seconds_ = nullptr;
    histogram* first_response_seconds_ = nullptr;
    gauge* drafts_pending_ = nullptr;
    gauge* sending_paused_ = nullptr;
    std::shared_ptr<const rules::playbook_set> playbooks_;
    std::unique_ptr<store> store_;
    /// Each account's resolved secrets, by account id.
    std::map<std::string, secret_values, std::less<>> account_secrets_;
    std::map<std::string, std::unique_ptr<adapters::webhook_reader>, std::less<>> webhook_readers_;
    std::vector<std::pair<std::string, const approver*>> approver_tokens_;
    std::optional<std::string> approval_secret_;
    std::vector<std::string> notify_secrets_;
    std::atomic<bool> ready_{false};
    std::atomic<bool> paused_{false};
    dispatcher* dispatcher_ = nullptr;
    notifier* notifier_ = nullptr;
    slack_approvals* slack_approvals_ = nullptr;
    family<counter>* slack_cards_total_ = nullptr;
    family<counter>* slack_interactions_total_ = nullptr;
    // Housekeeping runs on one timer, so these need no lock.
    bool housekeeping_failed_ = false;
    std::string store_problem_;
};

} // namespace rapport::daemon
