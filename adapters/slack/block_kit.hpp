// Slack as an approval surface, the outbound half: the Block Kit bodies Rapport sends to show a
// draft in the approvals channel (chat.postMessage), to show what became of it (chat.update),
// to let an approver edit it (views.open), and to answer a click privately (response_url).
// Pure functions from plain values to JSON text: no I/O, no daemon types.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rapport::adapters::slack {

/// Slack's limits that the builders keep (Block Kit reference): a section's text, a
/// plain_text_input's value and a message's fallback text.
inline constexpr std::size_t section_text_limit = 3000;
inline constexpr std::size_t input_value_limit = 3000;
/// Sections of draft text a card shows before it truncates (a message holds 50 blocks; the
/// rest of the card needs few, and a reviewer reads 9,000 characters at most in a channel).
inline constexpr std::size_t max_text_sections = 3;

/// The ids Rapport gives its interactive elements; the interactivity endpoint reads them back.
inline constexpr std::string_view approve_action = "rapport_approve";
inline constexpr std::string_view edit_action = "rapport_edit";
inline constexpr std::string_view reject_action = "rapport_reject";
inline constexpr std::string_view actions_block = "rapport_decide";
/// The Edit modal: its callback_id, and the input holding the text.
inline constexpr std::string_view edit_view_callback = "rapport_edit_draft";
inline constexpr std::string_view edit_text_block = "rapport_text";
inline constexpr std::string_view edit_text_action = "text";

/// What a card shows of one draft, as the daemon knows it (all text is raw, unescaped).
struct approval_card {
    std::string draft_id;
    int version = 1;
    /// CONTRACT §8 state: pending, approved, sent, rejected, expired, failed, needs_review.
    std::string state;
    std::string text;
    std::string original_text;
    /// Where it would be sent.
    std::string account;
    std::string platform;
    std::string rule;
    std::string kind;
    std::string priority;
    std::optional<std::string> team;
    /// RFC 3339.
    std::optional<std::string> expires_at;
    /// What it answers; absent for a draft that answers nothing (an insight question).
    struct replied_to {
        std::string author;
        std::string platform;
        std::string text;
    };
    std::optional<replied_to> answers;
    /// Who decided, and whether it was with Slack's buttons or through the API.
    std::optional<std::string> decided_by;
    bool decided_in_slack = false;
    /// The approver's note or a rejection's reason (not Slack's own marker).
    std::optional<std::string> note;
    std::optional<std::string> last_error;

    /// Still waiting for a person (pending, needs_review): the card keeps its buttons.
    [[nodiscard]] bool open() const { return state == "pending" || state == "needs_review"; }
};

/// Escapes `&`, `<` and `>` as Slack requires of text in mrkdwn and plain_text alike, so
/// that user content cannot become a mention, a link or a command (`<!channel>`).
[[nodiscard]] std::string escape(std::string_view text);

/// A button's `value`: the draft and the version the approver saw, "d-...:3".
[[nodiscard]] std::string button_value(std::string_view draft_id, int version);

/// One line for people saying what became of the draft ("Approved by alice via Slack"), or
/// empty while nobody decided.
[[nodiscard]] std::string outcome_line(const approval_card& card);

/// The body of chat.postMessage showing `card` in `channel` with Approve / Edit / Reject.
[[nodiscard]] std::string post_card_body(std::string_view channel, const approval_card& card);

/// The body of chat.update turning the message (`channel`, `ts`) into `card` as it now is:
/// buttons while it is open, the outcome line once it is not.
[[nodiscard]] std::string update_card_body(std::string_view channel,
                                           std::string_view ts,
                                           const approval_card& card);

/// The body of views.open: a modal with the draft's text in a multiline input, submitted by
/// "Approve"; `private_metadata` carries the draft id and version.
[[nodiscard]] std::string edit_modal_body(std::string_view trigger_id, const approval_card& card);

/// A message only the clicking user sees, POSTed to the interaction's response_url.
[[nodiscard]] std::string ephemeral_body(std::string_view text);

/// The answer to a view_submission that keeps the modal open with `message` under the text.
[[nodiscard]] std::string modal_error_body(std::string_view message);

} // namespace rapport::adapters::slack
