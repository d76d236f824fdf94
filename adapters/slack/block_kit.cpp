#include "adapters/slack/block_kit.hpp"

#include <boost/json.hpp>

#include <vector>

namespace rapport::adapters::slack {

namespace {

namespace json = boost::json;

// Bytes of the UTF-8 sequence that starts with `lead` (1 for a stray byte, which then counts
// as one character, as Slack would show a replacement for it).
std::size_t sequence_length(unsigned char lead) {
    if (lead >= 0xF0 && lead <= 0xF4) {
        return 4;
    }
    if (lead >= 0xE0) {
        return lead <= 0xEF ? 3 : 1;
    }
    return lead >= 0xC2 && lead <= 0xDF ? 2 : 1;
}

// Characters (code points) in `utf8`: what Slack's limits count.
std::size_t characters(std::string_view utf8) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < utf8.size(); ++n) {
        i += std::min(sequence_length(static_cast<unsigned char>(utf8[i])), utf8.size() - i);
    }
    return n;
}

// The first `limit` characters of `utf8`, with "…" when there were more.
std::string shortened(std::string_view utf8, std::size_t limit) {
    std::size_t at = 0;
    for (std::size_t n = 0; at < utf8.size() && n < limit; ++n) {
        at += std::min(sequence_length(static_cast<unsigned char>(utf8[at])), utf8.size() - at);
    }
    if (at >= utf8.size()) {
        return std::string(utf8);
    }
    return std::string(utf8.substr(0, at)) + "…";
}

json::object text_object(std::string_view type, std::string_view text) {
    return json::object{{"type", type}, {"text", text}};
}

json::object section(std::string text) {
    return json::object{{"type", "section"}, {"text", text_object("mrkdwn", text)}};
}

json::object context(std::string text) {
    return json::object{{"type", "context"},
                        {"elements", json::array{text_object("mrkdwn", text)}}};
}

// Every line of `escaped` as a mrkdwn quote.
std::string quoted(const std::string& escaped) {
    std::string out = "&gt; ";
    for (const char c : escaped) {
        out += c;
        if (c == '\n') {
            out += "&gt; ";
        }
    }
    return out;
}

// The draft's text as sections of at most section_text_limit characters each (after
// escaping, which is what Slack counts), at most max_text_sections of them; the first starts
// with `label`. What does not fit is named, not silently dropped.
std::vector<std::string> text_sections(const std::string& label,
                                       std::string_view text,
                                       std::string_view draft_id) {
    // Room for the note that ends a truncated text.
    constexpr std::size_t note_room = 160;
    std::vector<std::string> out{label};
    std::size_t used = characters(label);
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length =
            std::min(sequence_length(static_cast<unsigned char>(text[i])), text.size() - i);
        const std::string piece = escape(text.substr(i, length));
        const std::size_t cost = piece.size() == 1 ? 1 : characters(piece);
        const bool last_section = out.size() == max_text_sections;
        const std::size_t room = section_text_limit - (last_section ? note_room : 0);
        if (used + cost > room) {
            if (last_section) {
                out.back() += "\n_… " + std::to_string(characters(text.substr(i))) +
                              " more characters not shown: the whole draft is at GET "
                              "/v1/drafts/" +
                              escape(draft_id) + "_";
                return out;
            }
            out.emplace_back();
            used = 0;
        }
        out.back() += piece;
        used += cost;
        i += length;
    }
    return out;
}

std::string capitalized(std::string_view word) {
    std::string out(word);
    if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') {
        out[0] = static_cast<char>(out[0] - 'a' + 'A');
    }
    return out;
}

std::string decider(const approval_card& card) {
    if (!card.decided_by) {
        return {};
    }
    return " by " + escape(*card.decided_by) + (card.decided_in_slack ? " via Slack" : " via API");
}

json::object button(std::string_view label,
                    std::string_view action,
                    std::string_view value,
                    std::string_view style) {
    json::object b{{"type", "button"},
                   {"text", text_object("plain_text", label)},
                   {"action_id", action},
                   {"value", value}};
    if (!style.empty()) {
        b["style"] = style;
    }
    return b;
}

json::array card_blocks(const approval_card& card) {
    json::array blocks;
    // What kind of draft, and for whom.
    std::string heading = card.open() ? "*A reply waits for approval*" : "*Draft reply*";
    if (card.kind == "insight_question") {
        heading = card.open() ? "*A question waits for approval*" : "*Question*";
    }
    heading += " on *" + escape(card.platform) + "* (" + escape(card.account) + ")";
    blocks.push_back(section(heading));
    std::string facts = "rule `" + escape(card.rule) + "` · " + escape(card.kind) + " · " +
                        escape(card.priority) + " priority";
    if (card.team) {
        facts += " · team " + escape(*card.team);
    }
    if (card.expires_at && card.open()) {
        facts += " · expires " + escape(*card.expires_at);
    }
    blocks.push_back(context(facts));
    if (card.answers) {
        const auto& m = *card.answers;
        std::string answers = "*" + escape(m.author) + "* wrote on " + escape(m.platform) + ":\n";
        answers += quoted(escape(shortened(m.text, 1000)));
        blocks.push_back(section(answers));
    }
    const bool edited = card.text != card.original_text;
    std::string label = card.open() ? "*Draft:*\n" : "*Text:*\n";
    if (edited) {
        label = "*Text (edited" + decider(card) + "):*\n";
    }
    for (auto& part : text_sections(label, card.text, card.draft_id)) {
        blocks.push_back(section(std::move(part)));
    }
    if (const std::string outcome = outcome_line(card); !outcome.empty()) {
        blocks.push_back(section(outcome));
    }
    if (card.open()) {
        const std::string value = button_value(card.draft_id, card.version);
        json::object reject = button("Reject", reject_action, value, "danger");
        reject["confirm"] = json::object{
            {"title", text_object("plain_text", "Reject this draft?")},
            {"text", text_object("mrkdwn", "Nothing will be sent. This cannot be undone.")},
            {"confirm", text_object("plain_text", "Reject")},
            {"deny", text_object("plain_text", "Cancel")},
            {"style", "danger"}};
        blocks.push_back(json::object{
            {"type", "actions"},
            {"block_id", actions_block},
            {"elements", json::array{button("Approve", approve_action, value, "primary"),
                                     button("Edit", edit_action, value, ""), std::move(reject)}}});
    }
    blocks.push_back(
        context("draft `" + escape(card.draft_id) + "` · version " + std::to_string(card.version)));
    return blocks;
}

// The notification text (shown where blocks are not: push notifications, screen readers).
std::string fallback_text(const approval_card& card) {
    std::string out = card.open() ? "Draft waiting for approval" : "Draft";
    if (card.answers) {
        out += " (reply to " + card.answers->author + " on " + card.answers->platform + ")";
    }
    out += ": " + shortened(card.text, 200);
    return escape(out);
}

} // namespace

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string button_value(std::string_view draft_id, int version) {
    return std::string(draft_id) + ":" + std::to_string(version);
}

std::string outcome_line(const approval_card& card) {
    const std::string by = decider(card);
    std::string line;
    if (card.state == "approved" || card.state == "sending") {
        line = ":white_check_mark: Approved" + by + ", sending";
    } else if (card.state == "sent") {
        line = ":outbox_tray: Sent (approved" + by + ")";
    } else if (card.state == "rejected") {
        line = ":x: Rejected" + by;
    } else if (card.state == "expired") {
        line = ":hourglass: Expired: nobody decided in time";
    } else if (card.state == "failed") {
        line = ":warning: Sending failed (approved" + by + ")";
    } else if (card.state == "needs_review") {
        line = ":mag: Needs review: the send may or may not have reached " + escape(card.platform) +
               "; approve to send it again, or reject";
    } else if (card.state != "pending") {
        line = capitalized(escape(card.state)) + by;
    }
    if (!line.empty() && card.note && card.state == "rejected") {
        line += ": " + escape(shortened(*card.note, 500));
    }
    if (!line.empty() && card.last_error && (card.state == "failed" || card.open())) {
        line += "\n_" + escape(shortened(*card.last_error, 500)) + "_";
    }
    return line;
}

std::string post_card_body(std::string_view channel, const approval_card& card) {
    json::object body{{"channel", channel},
                      {"text", fallback_text(card)},
                      {"blocks", card_blocks(card)},
                      {"unfurl_links", false},
                      {"unfurl_media", false}};
    return json::serialize(body);
}

std::string update_card_body(std::string_view channel,
                             std::string_view ts,
                             const approval_card& card) {
    json::object body{{"channel", channel},
                      {"ts", ts},
                      {"text", fallback_text(card)},
                      {"blocks", card_blocks(card)}};
    return json::serialize(body);
}

std::string edit_modal_body(std::string_view trigger_id, const approval_card& card) {
    json::array blocks;
    if (card.answers) {
        blocks.push_back(context("Replying to *" + escape(card.answers->author) + "* on " +
                                 escape(card.answers->platform) + ": " +
                                 escape(shortened(card.answers->text, 300))));
    }
    json::object input_element{{"type", "plain_text_input"},
                               {"action_id", edit_text_action},
                               {"multiline", true},
                               {"max_length", input_value_limit},
                               {"initial_value", card.text}};
    blocks.push_back(json::object{{"type", "input"},
                                  {"block_id", edit_text_block},
                                  {"label", text_object("plain_text", "Reply text")},
                                  {"element", std::move(input_element)}});
    blocks.push_back(context("Approving sends this text on " + escape(card.platform) + " (" +
                             escape(card.account) + ")."));
    json::object view{{"type", "modal"},
                      {"callback_id", edit_view_callback},
                      {"title", text_object("plain_text", "Edit and approve")},
                      {"submit", text_object("plain_text", "Approve")},
                      {"close", text_object("plain_text", "Cancel")},
                      {"private_metadata", button_value(card.draft_id, card.version)},
                      {"blocks", std::move(blocks)}};
    return json::serialize(json::object{{"trigger_id", trigger_id}, {"view", std::move(view)}});
}

std::string ephemeral_body(std::string_view text) {
    return json::serialize(json::object{
        {"response_type", "ephemeral"}, {"replace_original", false}, {"text", escape(text)}});
}

std::string modal_error_body(std::string_view message) {
    return json::serialize(json::object{{"response_action", "errors"},
                                        {"errors", json::object{{edit_text_block, message}}}});
}

} // namespace rapport::adapters::slack
