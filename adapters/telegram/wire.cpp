#include "adapters/telegram/wire.hpp"

#include "adapters/common/excerpt.hpp"
#include "adapters/common/json_fields.hpp"
#include "rules/json_text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>

namespace rapport::adapters::telegram {

namespace json = boost::json;
using json_fields::flag;
using json_fields::integer;
using json_fields::object;
using json_fields::string;

namespace {

bool iequals_ascii(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// Whether `user` (a User object) is our bot: by id when both are known, else by username.
bool is_our_bot(const json::object& user, const bot_identity& bot) {
    if (!flag(user, "is_bot")) {
        return false;
    }
    const auto id = integer(user, "id");
    if (bot.id && id) {
        return *bot.id == *id;
    }
    const auto username = string(user, "username");
    return username && !bot.username.empty() && iequals_ascii(*username, bot.username);
}

// Whether one of `entities` (over `text`) addresses the bot: "@username", a text_mention of
// the bot, or "/command@username".
bool mentions_bot(std::string_view text, const json::value* entities, const bot_identity& bot) {
    if (entities == nullptr || !entities->is_array()) {
        return false;
    }
    for (const json::value& e : entities->get_array()) {
        if (!e.is_object()) {
            continue;
        }
        const json::object& entity = e.get_object();
        const auto type = string(entity, "type");
        if (!type) {
            continue;
        }
        if (*type == "text_mention") {
            if (const json::object* user = object(entity, "user");
                user != nullptr && is_our_bot(*user, bot)) {
                return true;
            }
            continue;
        }
        if (*type != "mention" && *type != "bot_command") {
            continue;
        }
        const auto offset = integer(entity, "offset");
        const auto length = integer(entity, "length");
        if (!offset || !length || *offset < 0 || *length < 0 || bot.username.empty()) {
            continue;
        }
        const auto slice =
            utf16_slice(text, static_cast<std::size_t>(*offset), static_cast<std::size_t>(*length));
        if (!slice) {
            continue;
        }
        const auto at = slice->find('@');
        if (at == std::string_view::npos || (*type == "mention" && at != 0)) {
            continue;
        }
        if (iequals_ascii(slice->substr(at + 1), bot.username)) {
            return true;
        }
    }
    return false;
}

std::string chat_message_id(std::int64_t chat, std::int64_t message) {
    return std::to_string(chat) + ":" + std::to_string(message);
}

update_result ignored(update_result r, std::string reason) {
    r.what = update_result::outcome::ignored;
    r.reason = std::move(reason);
    return r;
}

update_result invalid(update_result r, std::string reason) {
    r.what = update_result::outcome::invalid;
    r.reason = std::move(reason);
    return r;
}

// The update types a bot may receive that Rapport reads or deliberately skips by name; the
// rest count as "unsupported_update".
constexpr std::array<std::string_view, 3> skipped_kinds = {"edited_message", "channel_post",
                                                           "edited_channel_post"};

} // namespace

signature_problem check_secret_token(std::string_view configured,
                                     std::optional<std::string_view> header) {
    if (!header || header->empty()) {
        return signature_problem::missing;
    }
    // An empty secret would accept an empty header; the config never allows one, but a
    // missing secret must refuse everything rather than nothing.
    // Both sides are hashed first so that the comparison's time does not depend on the
    // length of the secret either.
    constexpr std::string_view key = "rapport telegram secret_token";
    if (configured.empty() ||
        !constant_time_equal(hmac_sha256_hex(key, configured), hmac_sha256_hex(key, *header))) {
        return signature_problem::mismatch;
    }
    return signature_problem::none;
}

std::optional<std::int64_t> bot_id_from_token(std::string_view token) {
    const auto colon = token.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return std::nullopt;
    }
    std::int64_t id = 0;
    const char* end = token.data() + colon;
    const auto [ptr, ec] = std::from_chars(token.data(), end, id);
    if (ec != std::errc() || ptr != end || id <= 0) {
        return std::nullopt;
    }
    return id;
}

update_result parse_update(std::string_view body,
                           std::string_view account,
                           const bot_identity& bot) {
    update_result r;
    boost::system::error_code ec;
    const json::value v = json::parse(body, ec);
    if (ec) {
        return invalid(std::move(r), "invalid JSON: " + ec.message());
    }
    if (!v.is_object()) {
        return invalid(std::move(r), "an Update is a JSON object");
    }
    const json::object& update = v.get_object();
    r.update_id = integer(update, "update_id");
    if (!r.update_id) {
        return invalid(std::move(r), "field 'update_id' is required (an integer)");
    }
    const json::object* m = object(update, "message");
    if (m == nullptr) {
        for (const auto kind : skipped_kinds) {
            if (update.contains(kind)) {
                return ignored(std::move(r),
                               kind == "edited_message" ? "edited_message" : "channel_post");
            }
        }
        return ignored(std::move(r), "unsupported_update");
    }
    const auto message_id = integer(*m, "message_id");
    if (!message_id) {
        return invalid(std::move(r), "field 'message.message_id' is required (an integer)");
    }
    const json::object* chat = object(*m, "chat");
    const auto chat_id = chat != nullptr ? integer(*chat, "id") : std::nullopt;
    const auto chat_type = chat != nullptr ? string(*chat, "type") : std::nullopt;
    if (!chat_id || !chat_type) {
        return invalid(std::move(r), "field 'message.chat' needs an integer 'id' and a 'type'");
    }
    const json::object* from = object(*m, "from");
    if (from == nullptr) {
        return ignored(std::move(r), "no_sender");
    }
    const auto from_id = integer(*from, "id");
    if (!from_id) {
        return invalid(std::move(r), "field 'message.from.id' is required (an integer)");
    }
    if (flag(*from, "is_bot")) {
        return ignored(std::move(r), "from_bot");
    }
    // A photo or document says its words in `caption`, with its own entities.
    std::string_view text;
    const json::value* entities = nullptr;
    if (const auto t = string(*m, "text")) {
        text = *t;
        entities = m->if_contains("entities");
    } else if (const auto c = string(*m, "caption")) {
        text = *c;
        entities = m->if_contains("caption_entities");
    }
    if (text.empty()) {
        return ignored(std::move(r), "no_text");
    }
    const json::object* replied = object(*m, "reply_to_message");
    const std::optional<std::int64_t> replied_id =
        replied != nullptr ? integer(*replied, "message_id") : std::nullopt;

    rules::message out;
    if (*chat_type == "private") {
        out.kind = rules::message_kind::direct;
    } else if (*chat_type == "group" || *chat_type == "supergroup") {
        const json::object* replied_from = replied != nullptr ? object(*replied, "from") : nullptr;
        if (replied_from != nullptr && is_our_bot(*replied_from, bot)) {
            out.kind = rules::message_kind::reply;
        } else if (mentions_bot(text, entities, bot)) {
            out.kind = rules::message_kind::mention;
        } else {
            return ignored(std::move(r), "not_addressed");
        }
    } else {
        return ignored(std::move(r), "channel_chat");
    }
    out.id = chat_message_id(*chat_id, *message_id);
    out.text = std::string(text);
    out.author.id = std::to_string(*from_id);
    out.author.handle = std::string(string(*from, "username").value_or(""));
    out.author.name = std::string(string(*from, "first_name").value_or(""));
    if (const auto last = string(*from, "last_name"); last && !last->empty()) {
        out.author.name += out.author.name.empty() ? "" : " ";
        out.author.name += *last;
    }
    const auto thread = integer(*m, "message_thread_id");
    out.thread_id = thread ? chat_message_id(*chat_id, *thread) : std::to_string(*chat_id);
    if (replied_id) {
        out.in_reply_to = chat_message_id(*chat_id, *replied_id);
    }
    if (const auto date = integer(*m, "date"); date && *date >= 0 && *date < 253402300800) {
        out.created_at = rules::time_point{std::chrono::seconds{*date}};
    }
    out.platform = "telegram";
    out.account = std::string(account);
    r.what = update_result::outcome::message;
    r.message = std::move(out);
    return r;
}

std::string send_message_body(const send_message& m) {
    std::string out = "{\"chat_id\":";
    std::int64_t numeric = 0;
    const char* end = m.chat_id.data() + m.chat_id.size();
    const auto [ptr, ec] = std::from_chars(m.chat_id.data(), end, numeric);
    if (!m.chat_id.empty() && ec == std::errc() && ptr == end) {
        out += std::to_string(numeric);
    } else {
        rules::append_json_string(out, m.chat_id);
    }
    out += ",\"text\":";
    rules::append_json_string(out, m.text);
    if (m.reply_to_message_id) {
        out += ",\"reply_parameters\":{\"message_id\":";
        out += std::to_string(*m.reply_to_message_id);
        if (m.allow_sending_without_reply) {
            out += ",\"allow_sending_without_reply\":true";
        }
        out += "}";
    }
    out += "}";
    return out;
}

std::optional<api_answer> parse_api_answer(std::string_view body) {
    const auto parsed = json_fields::parse_object(body);
    if (!parsed) {
        return std::nullopt;
    }
    const json::object& o = *parsed;
    const json::value* ok = o.if_contains("ok");
    if (ok == nullptr || !ok->is_bool()) {
        return std::nullopt;
    }
    api_answer a;
    a.ok = ok->get_bool();
    a.error_code = integer(o, "error_code");
    a.description = std::string(string(o, "description").value_or(""));
    if (const json::object* p = object(o, "parameters")) {
        a.retry_after = integer(*p, "retry_after");
        a.migrate_to_chat_id = integer(*p, "migrate_to_chat_id");
    }
    if (const json::object* result = object(o, "result")) {
        a.message_id = integer(*result, "message_id");
        if (const json::object* chat = object(*result, "chat")) {
            a.chat_id = integer(*chat, "id");
        }
    }
    return a;
}

std::string get_updates_body(const get_updates& g) {
    std::string out = "{";
    if (g.offset) {
        out += "\"offset\":" + std::to_string(*g.offset) + ",";
    }
    out += "\"limit\":" + std::to_string(std::clamp(g.limit, 1, 100));
    out += ",\"timeout\":" + std::to_string(std::max<std::int64_t>(0, g.timeout.count()));
    out += ",\"allowed_updates\":[\"message\"]}";
    return out;
}

poll_answer read_poll_answer(unsigned status, std::string_view body) {
    poll_answer a;
    const auto parsed = json_fields::parse_object(body);
    const json::object* o = parsed ? &*parsed : nullptr;
    if (o != nullptr && flag(*o, "ok") && status >= 200 && status < 300) {
        const json::array* result = json_fields::array(*o, "result");
        if (result == nullptr) {
            a.error = "Telegram's answer has no 'result' array";
            return a;
        }
        for (const json::value& u : *result) {
            polled_update p;
            if (u.is_object()) {
                p.update_id = integer(u.get_object(), "update_id");
            }
            p.body = json::serialize(u);
            a.updates.push_back(std::move(p));
        }
        a.what = poll_answer::outcome::updates;
        return a;
    }
    const auto answer = parse_api_answer(body);
    // Telegram answers with the HTTP status equal to error_code; trust the body when both
    // are there.
    const std::int64_t code =
        answer && answer->error_code ? *answer->error_code : static_cast<std::int64_t>(status);
    a.error = "Telegram answered " + std::to_string(code);
    if (answer && !answer->description.empty()) {
        a.error += ": " + excerpt(answer->description);
    } else if (!answer) {
        a.error += " (not a Bot API answer)";
    }
    if (code == 429) {
        a.what = poll_answer::outcome::rate_limited;
        if (answer && answer->retry_after && *answer->retry_after >= 0) {
            a.retry_after = std::chrono::seconds{*answer->retry_after};
        }
    } else if (code == 401 || code == 404) {
        a.what = poll_answer::outcome::unauthorized;
    } else if (code == 409) {
        a.what = poll_answer::outcome::conflict;
        a.webhook_is_set = answer && answer->description.find("webhook") != std::string::npos;
    }
    return a;
}

std::optional<std::int64_t> next_offset(std::optional<std::int64_t> current,
                                        const std::vector<polled_update>& updates) {
    for (const polled_update& u : updates) {
        if (u.update_id && *u.update_id < std::numeric_limits<std::int64_t>::max() &&
            (!current || *u.update_id + 1 > *current)) {
            current = *u.update_id + 1;
        }
    }
    return current;
}

std::optional<chat_message> split_message_id(std::string_view id) {
    const auto colon = id.rfind(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }
    const auto number = [](std::string_view s) -> std::optional<std::int64_t> {
        std::int64_t n = 0;
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
            return std::nullopt;
        }
        return n;
    };
    const auto chat = number(id.substr(0, colon));
    const auto message = number(id.substr(colon + 1));
    if (!chat || !message) {
        return std::nullopt;
    }
    return chat_message{*chat, *message};
}

std::optional<std::string_view> utf16_slice(std::string_view utf8,
                                            std::size_t offset,
                                            std::size_t length) {
    // Walks code points, counting UTF-16 units, and notes the byte positions where the
    // range starts and ends; a range edge inside a surrogate pair finds no position.
    std::optional<std::size_t> begin;
    std::size_t units = 0;
    std::size_t i = 0;
    const std::size_t end_units = offset + length;
    if (end_units < offset) {
        return std::nullopt;
    }
    while (true) {
        if (units == offset && !begin) {
            begin = i;
        }
        if (begin && units == end_units) {
            return utf8.substr(*begin, i - *begin);
        }
        if (i >= utf8.size() || units > end_units) {
            return std::nullopt;
        }
        const auto c = static_cast<unsigned char>(utf8[i]);
        std::size_t bytes = 1;
        if (c >= 0xF0 && c <= 0xF4) {
            bytes = 4;
        } else if (c >= 0xE0) {
            bytes = 3;
        } else if (c >= 0xC2 && c < 0xE0) {
            bytes = 2;
        }
        if (c >= 0xF5 || (c >= 0x80 && c < 0xC2)) {
            bytes = 1;
        }
        bool valid = i + bytes <= utf8.size();
        for (std::size_t k = 1; valid && k < bytes; ++k) {
            valid = (static_cast<unsigned char>(utf8[i + k]) & 0xC0) == 0x80;
        }
        if (!valid) {
            bytes = 1;
        }
        i += bytes;
        units += bytes == 4 ? 2 : 1;
    }
}

webhook_result hook_reader::read(const webhook_request& request) const {
    if (request.method != "POST") {
        return webhook_result::method_not_allowed_because("telegram webhooks are POSTed");
    }
    const auto problem = check_secret_token(webhook_secret_, request.header(secret_token_header));
    if (problem != signature_problem::none) {
        // "missing_signature" / "bad_signature", as for every platform's refusals.
        return webhook_result::rejected_because(
            std::string(to_string(problem)),
            "secret token check failed: " + std::string(to_string(problem)));
    }
    update_result update = parse_update(request.body, account_, bot_);
    webhook_result r;
    switch (update.what) {
        case update_result::outcome::message:
            r.what = webhook_result::outcome::messages;
            r.messages.push_back(std::move(*update.message));
            return r;
        case update_result::outcome::ignored:
            // Acknowledged, or Telegram would deliver it again and again.
            r.what = webhook_result::outcome::messages;
            r.ignored.push_back(std::move(update.reason));
            return r;
        case update_result::outcome::invalid:
            break;
    }
    return webhook_result::invalid_because(std::move(update.reason));
}

} // namespace rapport::adapters::telegram
