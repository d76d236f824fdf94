#include "daemon/store/draft_json.hpp"

#include "rules/json_text.hpp"

namespace rapport::daemon {
namespace {

void key(std::string& out, std::string_view name) {
    out += out.back() == '{' ? "\"" : ",\"";
    out += name;
    out += "\":";
}

void text_or_null(std::string& out, const std::optional<std::string>& v) {
    if (v) {
        rules::append_json_string(out, *v);
    } else {
        out += "null";
    }
}

void time_or_null(std::string& out, const std::optional<rules::time_point>& t) {
    if (t) {
        rules::append_json_string(out, rules::format_timestamp(*t));
    } else {
        out += "null";
    }
}

} // namespace

void append_json(std::string& out,
                 const draft_record& d,
                 const std::optional<rules::message>& in_reply_to) {
    std::string message = "null";
    if (in_reply_to) {
        message.clear();
        rules::append_json(message, *in_reply_to);
    }
    append_json(out, d, message);
}

void append_json(std::string& out, const draft_record& d, std::string_view in_reply_to_json) {
    out += "{";
    key(out, "id");
    rules::append_json_string(out, d.id);
    key(out, "version");
    out += std::to_string(d.version);
    key(out, "state");
    rules::append_json_string(out, to_string(d.state));
    key(out, "kind");
    rules::append_json_string(out, rules::to_string(d.kind));
    key(out, "account");
    rules::append_json_string(out, d.account);
    key(out, "platform");
    rules::append_json_string(out, d.platform);
    key(out, "rule");
    rules::append_json_string(out, d.rule);
    key(out, "team");
    text_or_null(out, d.team);
    key(out, "priority");
    rules::append_json_string(out, rules::to_string(d.priority));
    key(out, "private");
    out += d.is_private ? "true" : "false";
    key(out, "too_long");
    out += d.too_long ? "true" : "false";
    if (d.offer) {
        key(out, "offer");
        rules::append_json_string(out, rules::unqualified(*d.offer));
    }
    if (d.insight) {
        key(out, "insight");
        rules::append_json_string(out, *d.insight);
    }
    key(out, "text");
    rules::append_json_string(out, d.text);
    key(out, "original_text");
    rules::append_json_string(out, d.original_text);
    key(out, "in_reply_to");
    out += in_reply_to_json;
    key(out, "created_at");
    rules::append_json_string(out, rules::format_timestamp(d.created_at));
    key(out, "sla_due_at");
    time_or_null(out, d.sla_due_at);
    key(out, "expires_at");
    time_or_null(out, d.expires_at);
    key(out, "decided_by");
    text_or_null(out, d.decided_by);
    key(out, "decided_at");
    time_or_null(out, d.decided_at);
    key(out, "note");
    text_or_null(out, d.note);
    key(out, "sent_id");
    text_or_null(out, d.sent_id);
    key(out, "sent_at");
    time_or_null(out, d.sent_at);
    key(out, "attempts");
    out += std::to_string(d.attempts);
    key(out, "last_error");
    text_or_null(out, d.last_error);
    key(out, "next_attempt_at");
    time_or_null(out, d.next_attempt_at);
    out += "}";
}

} // namespace rapport::daemon
