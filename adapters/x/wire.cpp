#include "adapters/x/wire.hpp"

#include "adapters/common/json_fields.hpp"
#include "rules/json_text.hpp"
#include "rules/time.hpp"

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <cstdint>

namespace rapport::adapters::x {

namespace {

namespace json = boost::json;

using json_fields::array;
using json_fields::integer;
using json_fields::object;
using json_fields::string;

// X writes some flags as JSON booleans and some as the strings "true"/"false".
bool flag(const json::object& o, std::string_view key) {
    return json_fields::flag(o, key) || string(o, key) == "true";
}

// A whole number written as a string ("1516403560557"), as X writes timestamps in ms.
std::optional<std::int64_t> number_in(std::string_view s) {
    std::int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return n;
}

std::optional<rules::time_point> from_milliseconds(std::int64_t ms) {
    // Years 1970-9999, which the store and format_timestamp can hold.
    if (ms < 0 || ms >= 253402300800000) {
        return std::nullopt;
    }
    return std::chrono::floor<std::chrono::seconds>(rules::time_point{} +
                                                    std::chrono::milliseconds{ms});
}

// v1.1's `created_at`: "Mon May 19 14:01:46 +0000 2025".
std::optional<rules::time_point> parse_v1_time(std::string_view s) {
    static constexpr std::array<std::string_view, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (s.size() != 30 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[13] != ':' ||
        s[16] != ':' || s[19] != ' ' || s[25] != ' ' || (s[20] != '+' && s[20] != '-')) {
        return std::nullopt;
    }
    const auto digits = [&s](std::size_t at, std::size_t n) -> std::optional<int> {
        int v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (s[i] < '0' || s[i] > '9') {
                return std::nullopt;
            }
            v = v * 10 + (s[i] - '0');
        }
        return v;
    };
    unsigned month = 0;
    for (unsigned i = 0; i < months.size(); ++i) {
        if (s.substr(4, 3) == months[i]) {
            month = i + 1;
        }
    }
    const auto d = digits(8, 2);
    const auto h = digits(11, 2);
    const auto m = digits(14, 2);
    const auto sec = digits(17, 2);
    const auto off_h = digits(21, 2);
    const auto off_m = digits(23, 2);
    const auto y = digits(26, 4);
    // Years 1970-9998, so that the offset cannot push the instant out of what the store and
    // format_timestamp can hold.
    if (month == 0 || !d || !h || !m || !sec || !off_h || !off_m || !y || *y < 1970 || *y > 9998 ||
        *h > 23 || *m > 59 || *sec > 60 || *off_h > 23 || *off_m > 59) {
        return std::nullopt;
    }
    const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{month},
                                          std::chrono::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    const auto offset = std::chrono::hours{*off_h} + std::chrono::minutes{*off_m};
    auto t = rules::time_point{std::chrono::sys_days{ymd}} + std::chrono::hours{*h} +
             std::chrono::minutes{*m} + std::chrono::seconds{*sec};
    t += s[20] == '+' ? -offset : offset;
    return t;
}

// The user objects of a delivery come bare (AAA: {"id_str", "screen_name", "name",
// "followers_count"}) or, in XAA, as {"data": {"id", "username", "name", "public_metrics"}}.
const json::object& unwrap_user(const json::object& user) {
    const json::object* data = object(user, "data");
    return data != nullptr ? *data : user;
}

rules::author author_from(const json::object* user, std::string_view id) {
    rules::author a;
    a.id = std::string(id);
    if (user == nullptr) {
        return a;
    }
    const json::object& u = unwrap_user(*user);
    a.handle = std::string(string(u, "screen_name").value_or(string(u, "username").value_or("")));
    a.name = std::string(string(u, "name").value_or(""));
    a.followers = integer(u, "followers_count");
    if (const json::object* metrics = object(u, "public_metrics"); metrics != nullptr) {
        a.followers = integer(*metrics, "followers_count");
    }
    return a;
}

std::optional<std::string> lang_of(const json::object& post) {
    const auto lang = string(post, "lang");
    if (!lang || lang->empty() || *lang == "und") {
        return std::nullopt;
    }
    return std::string(*lang);
}

// Whether a list of user mentions (v1.1 `user_mentions[].id_str`, v2 `mentions[].id`) names
// `user_id`.
bool mentions(const json::array* list, std::string_view user_id) {
    if (list == nullptr) {
        return false;
    }
    for (const json::value& v : *list) {
        if (!v.is_object()) {
            continue;
        }
        const auto id = string(v.get_object(), "id_str");
        const auto v2_id = string(v.get_object(), "id");
        if ((id && *id == user_id) || (v2_id && *v2_id == user_id)) {
            return true;
        }
    }
    return false;
}

struct reader {
    std::string_view account;
    std::string_view user_id;
    activity_result out;

    void ignore(std::string reason) { out.ignored.push_back(std::move(reason)); }

    bool fail(std::string error) {
        out.error = std::move(error);
        return false;
    }

    rules::message message_for_us() const {
        rules::message m;
        m.platform = "x";
        m.account = std::string(account);
        return m;
    }

    // One v1.1 Tweet object of `tweet_create_events`.
    bool aaa_tweet(const json::value& v, bool user_has_blocked) {
        if (!v.is_object()) {
            return fail("tweet_create_events holds Tweet objects");
        }
        const json::object& tweet = v.get_object();
        const auto id = string(tweet, "id_str");
        const json::object* user = object(tweet, "user");
        const auto author_id = user != nullptr ? string(*user, "id_str") : std::nullopt;
        if (!id || !is_numeric_id(*id) || !author_id) {
            return fail("a Tweet needs 'id_str' (digits) and 'user.id_str'");
        }
        if (*author_id == user_id) {
            ignore("own_post");
            return true;
        }
        if (tweet.contains("retweeted_status")) {
            ignore("retweet");
            return true;
        }
        if (user_has_blocked || flag(tweet, "is_blocked_by")) {
            ignore("blocked_user");
            return true;
        }
        // A long Post's `text` is cut at 140 characters; the whole of it, and its entities,
        // are in `extended_tweet`.
        const json::object* extended =
            flag(tweet, "truncated") ? object(tweet, "extended_tweet") : nullptr;
        std::string_view text;
        const json::object* entities = object(tweet, "entities");
        if (extended != nullptr && string(*extended, "full_text")) {
            text = *string(*extended, "full_text");
            entities = object(*extended, "entities");
        } else if (const auto full = string(tweet, "full_text")) {
            text = *full;
        } else {
            text = string(tweet, "text").value_or("");
        }
        rules::message m = message_for_us();
        const auto replied_user = string(tweet, "in_reply_to_user_id_str");
        const json::object* quoted = object(tweet, "quoted_status");
        const json::object* quoted_user = quoted != nullptr ? object(*quoted, "user") : nullptr;
        if (replied_user && *replied_user == user_id) {
            m.kind = rules::message_kind::reply;
        } else if (mentions(entities != nullptr ? array(*entities, "user_mentions") : nullptr,
                            user_id) ||
                   (quoted_user != nullptr && string(*quoted_user, "id_str") == user_id)) {
            m.kind = rules::message_kind::mention;
        } else {
            ignore("not_addressed");
            return true;
        }
        if (text.empty()) {
            ignore("no_text");
            return true;
        }
        m.id = std::string(*id);
        m.text = std::string(text);
        m.author = author_from(user, *author_id);
        if (const auto replied = string(tweet, "in_reply_to_status_id_str"); replied) {
            m.in_reply_to = std::string(*replied);
        } else {
            // A Post that replies to nothing starts its own conversation.
            m.thread_id = m.id;
        }
        if (const auto created = string(tweet, "created_at")) {
            m.created_at = parse_v1_time(*created);
        }
        if (!m.created_at) {
            if (const auto ms = string(tweet, "timestamp_ms")) {
                if (const auto n = number_in(*ms)) {
                    m.created_at = from_milliseconds(*n);
                }
            }
        }
        m.lang = lang_of(tweet);
        out.messages.push_back(std::move(m));
        return true;
    }

    // One event of `direct_message_events` (AAA, and XAA's dm.* payloads).
    bool dm_event(const json::value& v, const json::object* users) {
        if (!v.is_object()) {
            return fail("direct_message_events holds event objects");
        }
        const json::object& event = v.get_object();
        if (string(event, "type") != "message_create") {
            ignore("unsupported_event");
            return true;
        }
        const auto id = string(event, "id");
        const json::object* create = object(event, "message_create");
        const auto sender = create != nullptr ? string(*create, "sender_id") : std::nullopt;
        if (!id || id->empty() || !sender) {
            return fail("a message_create event needs 'id' and 'message_create.sender_id'");
        }
        if (*sender == user_id) {
            // Our own DMs (the replies Rapport sent) come back too.
            ignore("echo");
            return true;
        }
        const json::object* target = object(*create, "target");
        const auto recipient = target != nullptr ? string(*target, "recipient_id") : std::nullopt;
        if (recipient && *recipient != user_id) {
            ignore("other_user");
            return true;
        }
        const json::object* data = object(*create, "message_data");
        const std::string_view text =
            data != nullptr ? string(*data, "text").value_or("") : std::string_view{};
        if (text.empty()) {
            ignore("no_text");
            return true;
        }
        rules::message m = message_for_us();
        m.kind = rules::message_kind::direct;
        m.id = std::string(*id);
        m.text = std::string(text);
        m.author = author_from(users != nullptr ? object(*users, *sender) : nullptr, *sender);
        if (const auto ms = string(event, "created_timestamp")) {
            if (const auto n = number_in(*ms)) {
                m.created_at = from_milliseconds(*n);
            }
        }
        out.messages.push_back(std::move(m));
        return true;
    }

    // XAA `post.mention.create`: a v2 Post, its author in `includes.users`.
    bool xaa_mention(const json::object& post, const json::object* includes) {
        const auto id = string(post, "id");
        const auto author_id = string(post, "author_id");
        if (!id || !is_numeric_id(*id) || !author_id) {
            return fail("a post.mention.create payload needs 'id' (digits) and 'author_id'");
        }
        if (*author_id == user_id) {
            ignore("own_post");
            return true;
        }
        std::optional<std::string_view> replied_to;
        if (const json::array* refs = array(post, "referenced_tweets")) {
            for (const json::value& r : *refs) {
                if (!r.is_object()) {
                    continue;
                }
                const auto type = string(r.get_object(), "type");
                if (type == "retweeted") {
                    ignore("retweet");
                    return true;
                }
                if (type == "replied_to") {
                    replied_to = string(r.get_object(), "id");
                }
            }
        }
        std::string_view text = string(post, "text").value_or("");
        if (const json::object* note = object(post, "note_tweet")) {
            text = string(*note, "text").value_or(text);
        }
        if (text.empty()) {
            ignore("no_text");
            return true;
        }
        rules::message m = message_for_us();
        m.kind = string(post, "in_reply_to_user_id") == user_id ? rules::message_kind::reply
                                                                : rules::message_kind::mention;
        m.id = std::string(*id);
        m.text = std::string(text);
        const json::object* author = nullptr;
        if (const json::array* list = includes != nullptr ? array(*includes, "users") : nullptr) {
            for (const json::value& u : *list) {
                if (u.is_object() && string(unwrap_user(u.get_object()), "id") == *author_id) {
                    author = &u.get_object();
                    break;
                }
            }
        }
        m.author = author_from(author, *author_id);
        if (const auto conversation = string(post, "conversation_id")) {
            m.thread_id = std::string(*conversation);
        }
        if (replied_to) {
            m.in_reply_to = std::string(*replied_to);
        }
        if (const auto created = string(post, "created_at")) {
            m.created_at = rules::parse_timestamp(*created);
        }
        m.lang = lang_of(post);
        out.messages.push_back(std::move(m));
        return true;
    }

    bool xaa(const json::object& data) {
        const auto type = string(data, "event_type");
        if (!type) {
            return fail("field 'data.event_type' is required (a string)");
        }
        const json::object* filter = object(data, "filter");
        const auto filtered = filter != nullptr ? string(*filter, "user_id") : std::nullopt;
        if (filtered && *filtered != user_id) {
            ignore("other_user");
            return true;
        }
        const json::object* payload = object(data, "payload");
        if (*type == "post.mention.create" || *type == "dm.received") {
            if (payload == nullptr) {
                return fail("field 'data.payload' is required (an object)");
            }
            if (!filtered) {
                return fail("field 'data.filter.user_id' is required (a string)");
            }
        }
        if (*type == "post.mention.create") {
            return xaa_mention(*payload, object(data, "includes"));
        }
        if (*type == "dm.received") {
            const json::array* events = array(*payload, "direct_message_events");
            if (events == nullptr) {
                return fail("a dm.received payload needs 'direct_message_events' (an array)");
            }
            for (const json::value& e : *events) {
                if (!dm_event(e, object(*payload, "users"))) {
                    return false;
                }
            }
            return true;
        }
        if (*type == "dm.sent") {
            ignore("echo");
            return true;
        }
        ignore("unsupported_event");
        return true;
    }

    bool aaa(const json::object& body) {
        // The keys of AAA deliveries that Rapport skips, each counted under its own name.
        static constexpr std::array<std::string_view, 14> skipped = {
            "favorite_events",
            "follow_events",
            "unfollow_events",
            "block_events",
            "unblock_events",
            "mute_events",
            "unmute_events",
            "user_event",
            "direct_message_indicate_typing_events",
            "direct_message_mark_read_events",
            "tweet_delete_events",
            "spaces_events",
            "replay_job_status",
            "revoke_events",
        };
        const json::array* tweets = array(body, "tweet_create_events");
        const json::array* dms = array(body, "direct_message_events");
        const json::value* for_user = body.if_contains("for_user_id");
        if (for_user != nullptr && !for_user->is_string()) {
            return fail("field 'for_user_id' must be a string");
        }
        if (for_user == nullptr && (tweets != nullptr || dms != nullptr)) {
            return fail("field 'for_user_id' is required (a string)");
        }
        if (for_user != nullptr && for_user->get_string() != user_id) {
            ignore("other_user");
            return true;
        }
        bool any = false;
        if (tweets != nullptr) {
            any = true;
            // Mentions by users the brand has blocked are flagged on the delivery: X's payload
            // examples write `user_has_blocked`, its field table `is_blocked_by`.
            const bool blocked = flag(body, "user_has_blocked") || flag(body, "is_blocked_by");
            for (const json::value& t : *tweets) {
                if (!aaa_tweet(t, blocked)) {
                    return false;
                }
            }
        }
        if (dms != nullptr) {
            any = true;
            for (const json::value& e : *dms) {
                if (!dm_event(e, object(body, "users"))) {
                    return false;
                }
            }
        }
        for (const auto key : skipped) {
            if (body.contains(key)) {
                any = true;
                ignore(std::string(key));
            }
        }
        if (!any) {
            ignore("unsupported_event");
        }
        return true;
    }
};

} // namespace

std::string webhook_signature(std::string_view consumer_secret, std::string_view data) {
    return "sha256=" + base64(hmac_sha256(consumer_secret, data));
}

bool is_acceptable_crc_token(std::string_view crc_token) {
    if (crc_token.empty() || crc_token.size() > 512) {
        return false;
    }
    for (const char c : crc_token) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') ||
                        std::string_view("-_.~+/=: ").find(c) != std::string_view::npos;
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::string crc_response_body(std::string_view consumer_secret, std::string_view crc_token) {
    std::string body = "{\"response_token\":";
    rules::append_json_string(body, webhook_signature(consumer_secret, crc_token));
    body += "}";
    return body;
}

signature_problem check_webhook_signature(std::string_view consumer_secret,
                                          std::optional<std::string_view> header,
                                          std::string_view body) {
    if (!header || header->empty()) {
        return signature_problem::missing;
    }
    if (!header->starts_with("sha256=")) {
        return signature_problem::malformed;
    }
    // A missing secret refuses everything rather than accepting what an empty key signs.
    if (consumer_secret.empty() ||
        !constant_time_equal(webhook_signature(consumer_secret, body), *header)) {
        return signature_problem::mismatch;
    }
    return signature_problem::none;
}

activity_result parse_activity(std::string_view body,
                               std::string_view account,
                               std::string_view user_id) {
    reader r{account, user_id, {}};
    boost::system::error_code ec;
    const json::value v = json::parse(body, ec);
    if (ec) {
        r.out.error = "invalid JSON: " + ec.message();
        return std::move(r.out);
    }
    if (!v.is_object()) {
        r.out.error = "a webhook delivery is a JSON object";
        return std::move(r.out);
    }
    const json::object& o = v.get_object();
    const json::object* data = object(o, "data");
    const bool ok = data != nullptr && data->contains("event_type") ? r.xaa(*data) : r.aaa(o);
    if (!ok) {
        r.out.messages.clear();
        r.out.ignored.clear();
    }
    return std::move(r.out);
}

webhook_result hook_reader::read(const webhook_request& request) const {
    if (request.method == "GET") {
        const auto token = request.query("crc_token");
        if (!token) {
            return webhook_result::invalid_because(
                "X's GET is a CRC challenge: it carries a crc_token");
        }
        if (!is_acceptable_crc_token(*token)) {
            return webhook_result::invalid_because(
                "crc_token must be 1-512 characters of A-Z a-z 0-9 - _ . ~ + / = : and space");
        }
        return webhook_result::answer_with(200, "application/json",
                                           crc_response_body(consumer_secret_, *token));
    }
    if (request.method != "POST") {
        return webhook_result::method_not_allowed_because(
            "X sends CRC challenges with GET and events with POST");
    }
    const auto problem =
        check_webhook_signature(consumer_secret_, request.header(signature_header), request.body);
    if (problem != signature_problem::none) {
        return webhook_result::rejected_because(
            std::string(to_string(problem)),
            "x-twitter-webhooks-signature check failed: " + std::string(to_string(problem)));
    }
    activity_result activity = parse_activity(request.body, account_, user_id_);
    if (!activity.error.empty()) {
        return webhook_result::invalid_because(std::move(activity.error));
    }
    webhook_result r;
    r.what = webhook_result::outcome::messages;
    r.messages = std::move(activity.messages);
    r.ignored = std::move(activity.ignored);
    return r;
}

std::string create_post_body(std::string_view text,
                             std::optional<std::string_view> in_reply_to_tweet_id) {
    std::string out = "{\"text\":";
    rules::append_json_string(out, text);
    if (in_reply_to_tweet_id) {
        out += ",\"reply\":{\"in_reply_to_tweet_id\":";
        rules::append_json_string(out, *in_reply_to_tweet_id);
        out += "}";
    }
    out += "}";
    return out;
}

std::string direct_message_body(std::string_view text) {
    std::string out = "{\"text\":";
    rules::append_json_string(out, text);
    out += "}";
    return out;
}

std::optional<api_answer> parse_api_answer(std::string_view body) {
    const auto parsed = json_fields::parse_object(body);
    if (!parsed) {
        return std::nullopt;
    }
    const json::object& o = *parsed;
    api_answer a;
    if (const json::object* data = object(o, "data")) {
        if (const auto id = string(*data, "id")) {
            a.id = std::string(*id);
        } else if (const auto event = string(*data, "dm_event_id")) {
            a.id = std::string(*event);
        }
    }
    std::string problem(string(o, "detail").value_or(string(o, "title").value_or("")));
    if (const json::array* errors = array(o, "errors"); errors != nullptr && !errors->empty()) {
        const json::value& first = errors->front();
        const auto message =
            first.is_object() ? string(first.get_object(), "message") : std::nullopt;
        if (message && !message->empty() && problem.find(*message) == std::string::npos) {
            problem += problem.empty() ? "" : ": ";
            problem += *message;
        }
    }
    a.problem = std::move(problem);
    return a;
}

bool is_numeric_id(std::string_view id) {
    if (id.empty() || id.size() > 20) {
        return false;
    }
    for (const char c : id) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

} // namespace rapport::adapters::x
