#include "adapters/generic/wire.hpp"

#include "adapters/common/json_fields.hpp"
#include "adapters/common/signature.hpp"
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
    const auto parsed = json_fields::parse_object(response_body);
    return parsed ? json_fields::id_text(*parsed, "id") : std::nullopt;
}

webhook_result hook_reader::read(const webhook_request& request) const {
    if (request.method != "POST") {
        return webhook_result::method_not_allowed_because("generic webhooks are POSTed");
    }
    const auto problem = verify_rapport_signature(
        secret_, request.header("X-Rapport-Timestamp").value_or(""),
        request.header("X-Rapport-Signature").value_or(""), request.body, request.now);
    if (problem != signature_problem::none) {
        return webhook_result::rejected_because(
            std::string(to_string(problem)),
            "signature check failed: " + std::string(to_string(problem)));
    }
    auto parsed = parse_webhook(request.body, account_);
    if (!parsed.message) {
        return webhook_result::invalid_because(std::move(parsed.error));
    }
    webhook_result r;
    r.what = webhook_result::outcome::messages;
    r.messages.push_back(std::move(*parsed.message));
    return r;
}

} // namespace rapport::adapters::generic
