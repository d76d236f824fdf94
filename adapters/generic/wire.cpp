#include "adapters/generic/wire.hpp"

#include "rules/json_text.hpp"

#include <boost/json.hpp>

namespace rapport::adapters::generic {

rules::message_parse_result parse_webhook(std::string_view body, std::string_view account) {
    rules::message_parse_result r = rules::parse_message_json(body);
    if (r.message) {
        r.message->platform = "generic";
        r.message->account = std::string(account);
    }
    return r;
}

namespace {
void append_optional(std::string& out, const std::optional<std::string>& v) {
    if (v) {
        rules::append_json_string(out, *v);
    } else {
        out += "null";
    }
}
} // namespace

std::string reply_body(const reply& r) {
    std::string out = "{\"draft_id\":";
    rules::append_json_string(out, r.draft_id);
    out += ",\"account\":";
    rules::append_json_string(out, r.account);
    out += ",\"in_reply_to\":";
    append_optional(out, r.in_reply_to);
    out += ",\"thread_id\":";
    append_optional(out, r.thread_id);
    out += ",\"text\":";
    rules::append_json_string(out, r.text);
    out += r.is_private ? ",\"private\":true" : ",\"private\":false";
    out += ",\"kind\":";
    rules::append_json_string(out, r.kind);
    out += "}";
    return out;
}

std::optional<std::string> sent_id(std::string_view response_body) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(response_body, ec);
    if (ec || !v.is_object()) {
        return std::nullopt;
    }
    const boost::json::value* id = v.get_object().if_contains("id");
    if (id == nullptr) {
        return std::nullopt;
    }
    if (id->is_string() && !id->get_string().empty()) {
        return std::string(id->get_string());
    }
    if (id->is_int64()) {
        return std::to_string(id->get_int64());
    }
    if (id->is_uint64()) {
        return std::to_string(id->get_uint64());
    }
    return std::nullopt;
}

} // namespace rapport::adapters::generic
