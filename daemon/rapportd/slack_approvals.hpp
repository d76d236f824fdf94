// Slack as an approval surface: each Slack account with an `approvals_channel` shows every new
// draft there as a card with Approve / Edit / Reject buttons (chat.postMessage), and turns the
// card into what became of the draft as its later events arrive (chat.update). Clicks come
// back through /hooks/{account}/interactivity (slack_routes.cpp), which uses this component
// to open the Edit modal and to answer the clicking approver privately.
//
// Promises, as the notifier's: each surface reads the outbox with a cursor of its own in the
// store (the account's `approvals.outbox`), advanced only after Slack took the call, so a
// restart or a Slack outage loses nothing and repeats at most the call in flight. Slack's
// 429 Retry-After and transient errors are waited out with backoff; a call Slack refuses for
// good (channel_not_found, not_in_channel, message_not_found, ...) is logged and skipped.
// Where each card was posted (channel and ts) is kept in the same cursor table under the
// account (`approvals.card/<draft id>`): the store's durable key-value place per owner, which
// needs no schema change and is read by primary key.
#pragma once

#include "adapters/common/https_client.hpp"
#include "adapters/common/reply_sender.hpp"
#include "adapters/slack/block_kit.hpp"
#include "daemon/store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::daemon {

/// One Slack account that approves drafts.
struct slack_surface {
    std::string account;
    std::string channel;
    std::string api_base_url;
    /// The bot token (never logged).
    std::string bot_token;
};

struct slack_approvals_options {
    std::chrono::steady_clock::duration tick = std::chrono::seconds(1);
    std::chrono::steady_clock::duration first_backoff = std::chrono::seconds(1);
    std::chrono::steady_clock::duration max_backoff = std::chrono::minutes(5);
};

/// What happened to one card call, for metrics and logs.
struct slack_card_event {
    /// `posted`, `updated`, `retry`, `dropped`, `skipped` (no card to update) or
    /// `store_error`.
    std::string what;
    std::string account;
    std::string event;
    std::string draft_id;
    std::string detail;
};

using slack_card_observer = std::function<void(const slack_card_event&)>;

/// The marker a decision made with Slack's buttons carries as its note, so the audit log and
/// the card say where it was made.
inline constexpr std::string_view slack_decision_note = "via Slack";

/// A card's content from a draft as the API and the outbox show it (CONTRACT §8 JSON, with
/// the replied-to message embedded); nullopt when `draft_json` is not such a draft.
[[nodiscard]] std::optional<adapters::slack::approval_card> card_from_draft_json(
    std::string_view draft_json);

class slack_approvals {
public:
    slack_approvals(net::any_io_executor executor,
                    store& outbox,
                    adapters::https_client client,
                    std::vector<slack_surface> surfaces,
                    slack_approvals_options options,
                    slack_card_observer observer);
    ~slack_approvals();
    slack_approvals(const slack_approvals&) = delete;
    slack_approvals& operator=(const slack_approvals&) = delete;

    /// Starts each surface's loop. Call once, before anything else writes to the outbox.
    void start();
    /// Something was written to the outbox. Any thread.
    void wake();
    /// Stops; calls in flight are abandoned (their events go again after a restart). `done`
    /// runs once the loops are told to end. Any thread; once.
    void stop(std::function<void()> done);

    /// The outbox position every surface has handled (events up to it may be pruned); 0
    /// before start, the largest number when there are no surfaces. Any thread.
    [[nodiscard]] std::int64_t done_up_to() const;

    /// Whether `account` is an approval surface.
    [[nodiscard]] bool serves(std::string_view account) const;

    /// Opens the Edit modal for `card` with the click's `trigger_id` (at once: the trigger
    /// lives about 3 s), through `account`'s bot token.
    [[nodiscard]] net::awaitable<adapters::delivery> open_editor(
        std::string account, std::string trigger_id, adapters::slack::approval_card card) const;

    /// Tells the clicking approver `text`, visible to them only, through the interaction's
    /// `response_url`.
    [[nodiscard]] net::awaitable<adapters::delivery> tell(std::string response_url,
                                                          std::string text) const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace rapport::daemon
