// Slack as an approval surface, the inbound half: what Slack POSTs to the Interactivity
// Request URL when an approver clicks a button or submits the Edit modal (PLATFORMS.md §1d):
// a form body `payload=<url-encoded JSON>`, signed like every Slack request (signing.hpp).
// Outside input: parse_interaction never throws and says what it could not read.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rapport::adapters::slack {

/// What one interaction asks for.
struct interaction {
    enum class kind {
        /// A button of a Rapport card: approve, edit or reject.
        button,
        /// The Edit modal submitted with its text.
        edit_submitted,
        /// Anything else (other payload types, other apps' elements, a closed modal):
        /// acknowledged and counted, nothing done. `ignored` names it.
        other,
    };
    kind what = kind::other;
    /// Short stable name for what was ignored (a metric label): "view_closed", "shortcut",
    /// "unknown_action", ...
    std::string ignored;
    /// The Slack user who clicked or submitted.
    std::string user_id;
    /// button: rapport_approve, rapport_edit or rapport_reject.
    std::string action_id;
    /// The draft and the version the approver saw (button value or modal metadata).
    std::string draft_id;
    int version = 0;
    /// button: opens the Edit modal (single-use, valid about 3 s).
    std::string trigger_id;
    /// button: where private answers to this click go.
    std::string response_url;
    /// edit_submitted: the text typed; nullopt when the input came back empty.
    std::optional<std::string> text;
};

/// An interaction, or why the request is not one Slack could have sent (400).
struct interaction_result {
    std::optional<interaction> value;
    std::string error;
};

/// Reads a verified interactivity request body (`application/x-www-form-urlencoded` with a
/// `payload` field holding JSON).
[[nodiscard]] interaction_result parse_interaction(std::string_view form_body);

/// Reads a button value or modal metadata written by button_value(): "d-...:3".
[[nodiscard]] bool parse_draft_reference(std::string_view value,
                                         std::string& draft_id,
                                         int& version);

} // namespace rapport::adapters::slack
