#include "adapters/slack/wire.hpp"

#include "adapters/common/json_fields.hpp"
#include "adapters/slack/signing.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>

namespace rapport::adapters::slack {

namespace json = boost::json;

namespace {

using json_fields::object;
using json_fields::string;

event_result ignored(event_result r, std::string reason) {
    r.what = event_result::outcome::ignored;
    r.reason = std::move(reason);
    return r;
}

event_result invalid(event_result r, std::string reason) {
    r.what = event_result::outcome::invalid;
    r.reason = std::move(reason);
    return r;
}

// Subtypes that are still a person's message with words in it: read like plain messages.
constexpr std::array<std::string_view, 2> read_subtypes = {"file_share", "thread_broadcast"};

// The bot's user id when not configured: the installation the event is for, as Slack names it
// in `authorizations` (one entry since 2021), when that is a bot.
std::string bot_from_authorizations(const json::object& envelope) {
    const json::array* list = json_fields::array(envelope, "authorizations");
    if (list == nullptr) {
        return {};
    }
    for (const json::value& a : *list) {
        if (!a.is_object()) {
            continue;
        }
        if (json_fields::flag(a.get_object(), "is_bot")) {
            return std::string(string(a.get_object(), "user_id").value_or(""));
        }
    }
    return {};
}

// The seconds of a Slack ts ("1515449522.000016").
std::optional<rules::time_point> time_of(std::string_view ts) {
    std::int64_t seconds = 0;
    const auto dot = ts.find('.');
    const std::string_view whole = ts.substr(0, dot);
    const auto [ptr, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
    if (whole.empty() || ec != std::errc() || ptr != whole.data() + whole.size() || seconds < 0 ||
        seconds >= 253402300800) {
        return std::nullopt;
    }
    return rules::time_point{std::chrono::seconds{seconds}};
}

// One `<...>` of Slack markup (without the brackets) as plain text.
void append_markup(std::string& out, std::string_view inner, std::string_view bot_user_id) {
    const auto bar = inner.find('|');
    const std::string_view target = inner.substr(0, bar);
    const std::string_view label =
        bar == std::string_view::npos ? std::string_view{} : inner.substr(bar + 1);
    if (target.starts_with("@")) {
        if (!bot_user_id.empty() && target.substr(1) == bot_user_id) {
            return;
        }
        out += '@';
        out +=
            label.empty() ? target.substr(1) : (label.starts_with("@") ? label.substr(1) : label);
        return;
    }
    if (target.starts_with("#")) {
        out += '#';
        out += label.empty() ? target.substr(1) : label;
        return;
    }
    if (target.starts_with("!")) {
        // <!here>, <!channel>, <!everyone>, <!subteam^S123|@team>, <!date^...|fallback>.
        if (!label.empty()) {
            out += label;
        } else {
            out += '@';
            out += target.substr(1, target.find('^') - 1);
        }
        return;
    }
    out += label.empty() ? target : label;
}

void append_decoded(std::string& out, std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '&') {
            const std::string_view rest = text.substr(i);
            if (rest.starts_with("&amp;")) {
                out += '&';
                i += 4;
                continue;
            }
            if (rest.starts_with("&lt;")) {
                out += '<';
                i += 3;
                continue;
            }
            if (rest.starts_with("&gt;")) {
                out += '>';
                i += 3;
                continue;
            }
        }
        out += text[i];
    }
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Slack's ids are letters and digits ("C123ABC456"): nothing that could break "<channel>:<ts>".
bool is_slack_id(std::string_view id) {
    return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
}

// A message timestamp: digits, a dot, digits ("1515449522.000016").
bool is_slack_ts(std::string_view ts) {
    const auto dot = ts.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == ts.size()) {
        return false;
    }
    for (std::size_t i = 0; i < ts.size(); ++i) {
        if (i != dot && (ts[i] < '0' || ts[i] > '9')) {
            return false;
        }
    }
    return true;
}

// A `message` event's verdict: the kind it maps to, or why it is ignored.
struct addressing {
    std::optional<rules::message_kind> kind;
    std::string ignored_because;
};

addressing address_of(const json::object& event, std::string_view text, std::string_view bot) {
    const auto channel_type = string(event, "channel_type").value_or("");
    if (channel_type == "im") {
        return {rules::message_kind::direct, {}};
    }
    if (!bot.empty() && text.find("<@" + std::string(bot) + ">") != std::string_view::npos) {
        return {rules::message_kind::mention, {}};
    }
    const auto thread = string(event, "thread_ts");
    const auto ts = string(event, "ts");
    if (!bot.empty() && thread && thread != ts && string(event, "parent_user_id") == bot) {
        return {rules::message_kind::reply, {}};
    }
    return {std::nullopt, "not_addressed"};
}

} // namespace

std::string plain_text(std::string_view slack_text, std::string_view bot_user_id) {
    std::string out;
    out.reserve(slack_text.size());
    std::size_t i = 0;
    while (i < slack_text.size()) {
        const auto open = slack_text.find('<', i);
        const auto close = open == std::string_view::npos ? open : slack_text.find('>', open + 1);
        if (close == std::string_view::npos) {
            append_decoded(out, slack_text.substr(i));
            break;
        }
        append_decoded(out, slack_text.substr(i, open - i));
        const std::string_view inner = slack_text.substr(open + 1, close - open - 1);
        // The label of a link or mention is escaped as the text is.
        std::string decoded;
        append_decoded(decoded, inner);
        const std::size_t before = out.size();
        append_markup(out, decoded, bot_user_id);
        i = close + 1;
        if (out.size() == before) {
            // The bot's mention went: so does one space after it ("<@BOT> hi" → "hi").
            if (i < slack_text.size() && slack_text[i] == ' ') {
                ++i;
            }
        }
    }
    std::size_t begin = 0;
    while (begin < out.size() && is_space(out[begin])) {
        ++begin;
    }
    std::size_t end = out.size();
    while (end > begin && is_space(out[end - 1])) {
        --end;
    }
    return out.substr(begin, end - begin);
}

std::optional<channel_ts> split_message_id(std::string_view id) {
    const auto colon = id.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == id.size()) {
        return std::nullopt;
    }
    return channel_ts{std::string(id.substr(0, colon)), std::string(id.substr(colon + 1))};
}

event_result parse_event(std::string_view body,
                         std::string_view account,
                         std::string_view bot_user_id) {
    event_result r;
    boost::system::error_code ec;
    // Every event is parsed on the way to its acknowledgement: its nodes come from a buffer
    // on the stack instead of one heap allocation each, and go when the value does.
    alignas(std::max_align_t) unsigned char buffer[8192];
    json::monotonic_resource arena(buffer, sizeof buffer);
    const json::value v = json::parse(body, ec, json::storage_ptr(&arena));
    if (ec) {
        return invalid(std::move(r), "invalid JSON: " + ec.message());
    }
    if (!v.is_object()) {
        return invalid(std::move(r), "an Events API body is a JSON object");
    }
    const json::object& envelope = v.get_object();
    const auto type = string(envelope, "type");
    if (!type) {
        return invalid(std::move(r), "field 'type' is required (a string)");
    }
    if (*type == "url_verification") {
        const auto challenge = string(envelope, "challenge");
        if (!challenge) {
            return invalid(std::move(r), "field 'challenge' is required (a string)");
        }
        r.what = event_result::outcome::challenge;
        r.challenge = std::string(*challenge);
        return r;
    }
    if (*type == "app_rate_limited") {
        // Slack dropped events for a minute (over 30,000 an hour): nothing to store.
        return ignored(std::move(r), "app_rate_limited");
    }
    if (*type != "event_callback") {
        return ignored(std::move(r), "unsupported_event");
    }
    r.event_id = std::string(string(envelope, "event_id").value_or(""));
    const json::object* event = object(envelope, "event");
    if (event == nullptr) {
        return invalid(std::move(r), "field 'event' is required (an object)");
    }
    const auto event_type = string(*event, "type");
    if (!event_type) {
        return invalid(std::move(r), "field 'event.type' is required (a string)");
    }
    if (*event_type != "app_mention" && *event_type != "message") {
        return ignored(std::move(r), "unsupported_event");
    }
    const std::string bot =
        bot_user_id.empty() ? bot_from_authorizations(envelope) : std::string(bot_user_id);
    const auto subtype = string(*event, "subtype");
    if (subtype == "message_changed") {
        return ignored(std::move(r), "edited_message");
    }
    if (subtype == "message_deleted") {
        return ignored(std::move(r), "deleted_message");
    }
    const auto user = string(*event, "user");
    if (user && !bot.empty() && *user == bot) {
        return ignored(std::move(r), "own_message");
    }
    if (subtype == "bot_message" || event->contains("bot_id")) {
        return ignored(std::move(r), "from_bot");
    }
    // Hidden messages are changes to other messages (edits, thread bookkeeping); Slack sends
    // message_replied without its subtype, so the nested `message` gives it away.
    const bool hidden =
        event->contains("message") || (event->contains("hidden") && event->at("hidden").is_bool() &&
                                       event->at("hidden").get_bool());
    if ((subtype &&
         std::find(read_subtypes.begin(), read_subtypes.end(), *subtype) == read_subtypes.end()) ||
        hidden) {
        return ignored(std::move(r), "message_subtype");
    }
    const auto channel = string(*event, "channel");
    const auto ts = string(*event, "ts");
    if (!channel || !is_slack_id(*channel) || !ts || !is_slack_ts(*ts)) {
        return invalid(std::move(r),
                       "fields 'event.channel' (a channel id) and 'event.ts' (a message "
                       "timestamp) are required");
    }
    const auto thread = string(*event, "thread_ts");
    if (thread && !is_slack_ts(*thread)) {
        return invalid(std::move(r), "field 'event.thread_ts' is not a message timestamp");
    }
    if (!user || user->empty()) {
        // Every app_mention has its author; a message without one is a system message.
        if (*event_type == "message") {
            return ignored(std::move(r), "no_sender");
        }
        return invalid(std::move(r), "field 'event.user' is required (a string)");
    }
    const std::string_view raw_text = string(*event, "text").value_or("");

    rules::message out;
    if (*event_type == "app_mention") {
        out.kind = rules::message_kind::mention;
    } else {
        const addressing a = address_of(*event, raw_text, bot);
        if (!a.kind) {
            return ignored(std::move(r), a.ignored_because);
        }
        out.kind = *a.kind;
    }
    out.text = plain_text(raw_text, bot);
    if (out.text.empty()) {
        return ignored(std::move(r), "no_text");
    }
    const std::string where = std::string(*channel) + ":";
    out.id = where + std::string(*ts);
    out.thread_id = where + std::string(thread.value_or(*ts));
    if (thread && *thread != *ts) {
        out.in_reply_to = where + std::string(*thread);
    }
    out.author.id = std::string(*user);
    if (const json::object* profile = object(*event, "user_profile")) {
        out.author.handle = std::string(string(*profile, "name").value_or(""));
        out.author.name = std::string(string(*profile, "real_name").value_or(""));
        if (out.author.name.empty()) {
            out.author.name = std::string(string(*profile, "display_name").value_or(""));
        }
    }
    out.created_at = time_of(*ts);
    out.platform = "slack";
    out.account = std::string(account);
    r.what = event_result::outcome::message;
    r.message = std::move(out);
    return r;
}

webhook_result hook_reader::read(const webhook_request& request) const {
    if (request.method != "POST") {
        return webhook_result::method_not_allowed_because("Slack POSTs its events");
    }
    // The signature first, for every request (url_verification too): nothing unsigned is read.
    const auto problem = verify(signing_secret_, request.header(timestamp_header),
                                request.header(signature_header), request.body, request.now);
    if (problem != signature_problem::none) {
        return webhook_result::rejected_because(
            std::string(to_string(problem)),
            "Slack request signature check failed: " + std::string(to_string(problem)));
    }
    const auto content_type = request.header("Content-Type").value_or("");
    if (content_type.starts_with("application/x-www-form-urlencoded")) {
        return webhook_result::invalid_because(
            "a form body is an interactivity payload, which goes to "
            "/hooks/" +
            account_ + "/interactivity; events are JSON");
    }
    event_result event = parse_event(request.body, account_, bot_user_id_);
    webhook_result r;
    switch (event.what) {
        case event_result::outcome::challenge:
            return webhook_result::answer_with(200, "text/plain", std::move(event.challenge));
        case event_result::outcome::message:
            r.what = webhook_result::outcome::messages;
            r.messages.push_back(std::move(*event.message));
            return r;
        case event_result::outcome::ignored:
            // Acknowledged, or Slack would retry it three times and then count failures.
            r.what = webhook_result::outcome::messages;
            r.ignored.push_back(std::move(event.reason));
            return r;
        case event_result::outcome::invalid:
            break;
    }
    return webhook_result::invalid_because(std::move(event.reason));
}

} // namespace rapport::adapters::slack
