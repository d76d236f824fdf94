// The normalized message (CONTRACT §6): what every adapter produces and every rule reads.
#pragma once

#include "rules/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rapport::rules {

enum class message_kind { mention, direct, reply, comment, post };

[[nodiscard]] std::string_view to_string(message_kind k);
[[nodiscard]] std::optional<message_kind> parse_message_kind(std::string_view s);

/// Whether a reply goes as a direct message: a private one, or any answer to a direct message.
/// Senders choose the route by it, and length limits that differ there follow it.
[[nodiscard]] constexpr bool goes_as_direct_message(bool is_private, message_kind answered) {
    return is_private || answered == message_kind::direct;
}

struct author {
    std::string id;
    std::string handle;
    std::string name;
    std::optional<std::int64_t> followers;

    /// Display name, falling back to the handle.
    [[nodiscard]] std::string_view display_name() const;
    /// First word of the display name, else the handle.
    [[nodiscard]] std::string_view first_name() const;

    friend bool operator==(const author&, const author&) = default;
};

struct message {
    std::string id;
    message_kind kind = message_kind::mention;
    std::string text;
    rules::author author;
    std::optional<std::string> thread_id;
    std::optional<std::string> in_reply_to;
    std::optional<time_point> created_at;
    std::optional<std::string> lang;
    std::string platform;
    std::string account;
    /// The insight question this message answers, if any.
    std::optional<std::string> insight;

    friend bool operator==(const message&, const message&) = default;
};

/// A message, or why a JSON document is not one.
struct message_parse_result {
    std::optional<rules::message> message;
    std::string error;
};

/// Parses one JSON object (CONTRACT §6) into a message. Errors name the field and the
/// problem: "invalid JSON: ...", "field 'author.id' is required", "field 'kind' must be one of
/// mention, direct, reply, comment, post", "field 'created_at' is not an RFC 3339 timestamp".
/// Unknown fields are ignored (platforms add fields; the generic adapter's senders may too).
[[nodiscard]] message_parse_result parse_message_json(std::string_view json);

/// Appends the message as a JSON object (CONTRACT §6 field names; absent optionals omitted).
void append_json(std::string& out, const message& m);

} // namespace rapport::rules
