#include "adapters/meta/wire.hpp"

#include "adapters/common/json_fields.hpp"
#include "rules/json_text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>

namespace rapport::adapters::meta {

namespace json = boost::json;
using json_fields::array;
using json_fields::flag;
using json_fields::id_text;
using json_fields::integer;
using json_fields::object;
using json_fields::string;

namespace {

constexpr std::string_view signature_prefix = "sha256=";

// Meta writes times as Unix seconds, or milliseconds (Messenger's `timestamp`, some
// `entry.time`s), as numbers or, on WhatsApp, as strings of digits. Anything from 2001 on in
// milliseconds is above 1e12, which in seconds would be the year 33658: no ambiguity.
std::optional<rules::time_point> meta_time(const json::object& o, std::string_view key) {
    std::optional<std::int64_t> n = integer(o, key);
    if (!n) {
        if (const auto text = string(o, key)) {
            std::int64_t parsed = 0;
            const char* end = text->data() + text->size();
            const auto [ptr, ec] = std::from_chars(text->data(), end, parsed);
            if (!text->empty() && ec == std::errc() && ptr == end) {
                n = parsed;
            }
        }
    }
    if (!n || *n < 0) {
        return std::nullopt;
    }
    std::int64_t seconds = *n >= 1'000'000'000'000 ? *n / 1000 : *n;
    if (seconds >= 253402300800) { // format_timestamp writes four-digit years
        return std::nullopt;
    }
    return rules::time_point{std::chrono::seconds{seconds}};
}

// Collects what one POST yields.
class reader {
public:
    reader(std::string_view account, const own_ids& own) : account_(account), own_(own) {}

    notification read(std::string_view body) {
        boost::system::error_code ec;
        const json::value v = json::parse(body, ec);
        if (ec) {
            out_.invalid = "invalid JSON: " + ec.message();
            return std::move(out_);
        }
        if (!v.is_object()) {
            out_.invalid = "a notification is a JSON object";
            return std::move(out_);
        }
        const json::object& root = v.get_object();
        const auto kind = string(root, "object");
        const json::array* entries = array(root, "entry");
        if (!kind || entries == nullptr) {
            out_.invalid = "a notification needs 'object' (a string) and 'entry' (an array)";
            return std::move(out_);
        }
        if (*kind != "page" && *kind != "instagram" && *kind != "whatsapp_business_account") {
            ignore("unsupported_object");
            return std::move(out_);
        }
        for (const json::value& e : *entries) {
            if (!e.is_object()) {
                ignore("malformed");
                continue;
            }
            read_entry(*kind, e.get_object());
        }
        return std::move(out_);
    }

private:
    void ignore(std::string reason) { out_.ignored.push_back(std::move(reason)); }

    // A Page feed or mention change that adds something (no verb means add); edits and
    // removals are counted as ignored, not read.
    bool is_added(const json::object& value) {
        const auto verb = string(value, "verb").value_or("add");
        if (verb != "add") {
            ignore(verb == "edited" || verb == "edit" ? "edited" : "not_added");
            return false;
        }
        return true;
    }

    bool is_own(std::string_view id, std::string_view entry_id) const {
        return !id.empty() && (id == entry_id || id == own_.page_id || id == own_.instagram_id);
    }

    rules::message base(rules::message_kind kind) const {
        rules::message m;
        m.kind = kind;
        m.platform = "meta";
        m.account = std::string(account_);
        return m;
    }

    void read_entry(std::string_view kind, const json::object& entry) {
        const std::string entry_id = id_text(entry, "id").value_or("");
        const auto entry_time = meta_time(entry, "time");
        bool any = false;
        if (const json::array* items = array(entry, "messaging")) {
            any = true;
            for (const json::value& item : *items) {
                if (kind == "whatsapp_business_account" || !item.is_object()) {
                    ignore(item.is_object() ? "unsupported_event" : "malformed");
                    continue;
                }
                read_messaging(kind == "page" ? surface::messenger : surface::instagram, entry_id,
                               item.get_object());
            }
        }
        if (const json::array* items = array(entry, "standby")) {
            // Another app owns the conversation (handover protocol): not ours to answer.
            any = true;
            for (std::size_t i = 0; i < items->size(); ++i) {
                ignore("standby");
            }
        }
        if (const json::array* changes = array(entry, "changes")) {
            any = true;
            for (const json::value& c : *changes) {
                if (!c.is_object()) {
                    ignore("malformed");
                    continue;
                }
                const json::object& change = c.get_object();
                const auto field = string(change, "field");
                const json::object* value = object(change, "value");
                if (!field || value == nullptr) {
                    ignore("malformed");
                } else if (kind == "page" && *field == "feed") {
                    read_feed(entry_id, *value);
                } else if (kind == "page" && *field == "mention") {
                    read_page_mention(entry_id, *value);
                } else if (kind == "instagram" &&
                           (*field == "comments" || *field == "live_comments")) {
                    read_instagram_comment(entry_id, entry_time, *value);
                } else if (kind == "instagram" && *field == "mentions") {
                    // Only ids: the text takes a Graph lookup, which a webhook reader does not
                    // make.
                    ignore("mention_without_text");
                } else if (kind == "whatsapp_business_account" && *field == "messages") {
                    read_whatsapp(*value);
                } else {
                    ignore("unsupported_field");
                }
            }
        }
        if (!any) {
            ignore("unsupported_event");
        }
    }

    // Messenger and Instagram DMs: entry[].messaging[].
    void read_messaging(surface where, const std::string& entry_id, const json::object& item) {
        const json::object* message = object(item, "message");
        if (message == nullptr) {
            for (const std::string_view k :
                 {"delivery", "read", "reaction", "postback", "message_edit"}) {
                if (item.contains(k)) {
                    ignore(k == "message_edit" ? "edited" : std::string(k));
                    return;
                }
            }
            ignore("unsupported_event");
            return;
        }
        const json::object* sender = object(item, "sender");
        const json::object* recipient = object(item, "recipient");
        const auto sender_id = sender != nullptr ? id_text(*sender, "id") : std::nullopt;
        const auto mid = id_text(*message, "mid");
        if (!sender_id || !mid) {
            ignore("malformed");
            return;
        }
        if (flag(*message, "is_echo") || is_own(*sender_id, entry_id)) {
            ignore("echo");
            return;
        }
        if (flag(*message, "is_deleted")) {
            ignore("not_added");
            return;
        }
        // The owner is who received it: the Page or Instagram account (entry.id says the same).
        std::string owner = recipient != nullptr ? id_text(*recipient, "id").value_or("") : "";
        if (owner.empty()) {
            owner = entry_id;
        }
        if (!is_graph_id(owner)) {
            ignore("malformed");
            return;
        }
        const auto text = string(*message, "text");
        if (!text || text->empty()) {
            ignore("no_text");
            return;
        }
        rules::message m = base(rules::message_kind::direct);
        m.id = make_id(where, owner, *mid);
        m.text = std::string(*text);
        m.author.id = *sender_id;
        m.thread_id = make_id(where, owner, *sender_id);
        if (const json::object* reply_to = object(*message, "reply_to")) {
            if (const auto replied = id_text(*reply_to, "mid")) {
                m.in_reply_to = make_id(where, owner, *replied);
            }
        }
        m.created_at = meta_time(item, "timestamp");
        out_.messages.push_back(std::move(m));
    }

    // Page feed changes: comments on the Page's posts.
    void read_feed(const std::string& page, const json::object& value) {
        const auto item = string(value, "item");
        if (!item) {
            ignore("malformed");
            return;
        }
        if (*item == "reaction" || *item == "like") {
            ignore("reaction");
            return;
        }
        if (*item != "comment") {
            ignore("unsupported_item");
            return;
        }
        if (!is_added(value)) {
            return;
        }
        const json::object* from = object(value, "from");
        const auto author = from != nullptr ? id_text(*from, "id") : id_text(value, "sender_id");
        const auto comment = id_text(value, "comment_id");
        const auto post = id_text(value, "post_id");
        if (!comment || !post || !is_graph_id(page)) {
            ignore("malformed");
            return;
        }
        if (!author) {
            // Meta leaves `from` out when the app may not see who commented.
            ignore("no_author");
            return;
        }
        if (is_own(*author, page)) {
            ignore("echo");
            return;
        }
        const auto text = string(value, "message");
        if (!text || text->empty()) {
            ignore("no_text");
            return;
        }
        rules::message m = base(rules::message_kind::comment);
        m.id = make_id(surface::facebook_comment, page, *comment);
        m.text = std::string(*text);
        m.author.id = *author;
        if (from != nullptr) {
            m.author.name = std::string(string(*from, "name").value_or(""));
        }
        m.thread_id = make_id(surface::facebook_post, page, *post);
        // A top-level comment's parent is the post itself.
        if (const auto parent = id_text(value, "parent_id"); parent && *parent != *post) {
            m.in_reply_to = make_id(surface::facebook_comment, page, *parent);
        }
        m.created_at = meta_time(value, "created_time");
        out_.messages.push_back(std::move(m));
    }

    // The Page `mention` field: the Page was tagged in someone's post or comment.
    void read_page_mention(const std::string& page, const json::object& value) {
        if (!is_added(value)) {
            return;
        }
        const json::object* from = object(value, "from");
        const auto author = from != nullptr ? id_text(*from, "id") : id_text(value, "sender_id");
        const auto post = id_text(value, "post_id");
        const auto comment = id_text(value, "comment_id");
        const auto item = string(value, "item").value_or(comment ? "comment" : "post");
        if (!author || !post || !is_graph_id(page) || (item == "comment" && !comment)) {
            ignore("malformed");
            return;
        }
        if (is_own(*author, page)) {
            ignore("echo");
            return;
        }
        const auto text = string(value, "message");
        if (!text || text->empty()) {
            ignore("mention_without_text");
            return;
        }
        rules::message m = base(rules::message_kind::mention);
        m.id = item == "comment" ? make_id(surface::facebook_comment, page, *comment)
                                 : make_id(surface::facebook_post, page, *post);
        m.text = std::string(*text);
        m.author.id = *author;
        m.author.name = std::string(
            (from != nullptr ? string(*from, "name") : string(value, "sender_name")).value_or(""));
        m.thread_id = make_id(surface::facebook_post, page, *post);
        m.created_at = meta_time(value, "created_time");
        out_.messages.push_back(std::move(m));
    }

    // Instagram `comments` / `live_comments`: a comment on the account's media.
    void read_instagram_comment(const std::string& account_id,
                                std::optional<rules::time_point> entry_time,
                                const json::object& value) {
        const json::object* from = object(value, "from");
        const auto author = from != nullptr ? id_text(*from, "id") : std::nullopt;
        const auto comment = id_text(value, "id");
        if (!comment || !is_graph_id(account_id)) {
            ignore("malformed");
            return;
        }
        if (!author) {
            ignore("no_author");
            return;
        }
        if (is_own(*author, account_id)) {
            ignore("echo");
            return;
        }
        const auto text = string(value, "text");
        if (!text || text->empty()) {
            ignore("no_text");
            return;
        }
        rules::message m = base(rules::message_kind::comment);
        m.id = make_id(surface::instagram_comment, account_id, *comment);
        m.text = std::string(*text);
        m.author.id = *author;
        m.author.handle = std::string(string(*from, "username").value_or(""));
        if (const json::object* media = object(value, "media")) {
            if (const auto media_id = id_text(*media, "id")) {
                m.thread_id = "instagram-media:" + account_id + ":" + *media_id;
            }
        }
        if (const auto parent = id_text(value, "parent_id")) {
            m.in_reply_to = make_id(surface::instagram_comment, account_id, *parent);
        }
        // The notification names no creation time; it is sent as the comment is made.
        m.created_at = entry_time;
        out_.messages.push_back(std::move(m));
    }

    // WhatsApp `messages`: value.messages[] from customers, value.statuses[] about our sends.
    void read_whatsapp(const json::object& value) {
        if (const json::array* statuses = array(value, "statuses")) {
            for (std::size_t i = 0; i < statuses->size(); ++i) {
                ignore("status");
            }
        }
        const json::array* messages = array(value, "messages");
        if (messages == nullptr) {
            if (!value.contains("statuses")) {
                ignore("unsupported_event");
            }
            return;
        }
        const json::object* metadata = object(value, "metadata");
        const auto number =
            metadata != nullptr ? id_text(*metadata, "phone_number_id") : std::nullopt;
        const json::array* contacts = array(value, "contacts");
        for (const json::value& v : *messages) {
            if (!v.is_object() || !number || !is_graph_id(*number)) {
                ignore("malformed");
                continue;
            }
            read_whatsapp_message(*number, contacts, v.get_object());
        }
    }

    void read_whatsapp_message(const std::string& number,
                               const json::array* contacts,
                               const json::object& message) {
        const auto from = id_text(message, "from");
        const auto wamid = id_text(message, "id");
        if (!from || !wamid) {
            ignore("malformed");
            return;
        }
        if (message.contains("group_id")) {
            ignore("group_message");
            return;
        }
        const auto type = string(message, "type").value_or("");
        if (type == "reaction") {
            ignore("reaction");
            return;
        }
        // Text, a media caption or a quick-reply button's label.
        std::optional<std::string_view> text;
        if (type == "text") {
            const json::object* t = object(message, "text");
            text = t != nullptr ? string(*t, "body") : std::nullopt;
        } else if (type == "image" || type == "video" || type == "document") {
            const json::object* media = object(message, type);
            text = media != nullptr ? string(*media, "caption") : std::nullopt;
        } else if (type == "button") {
            const json::object* b = object(message, "button");
            text = b != nullptr ? string(*b, "text") : std::nullopt;
        }
        if (!text || text->empty()) {
            ignore("no_text");
            return;
        }
        rules::message m = base(rules::message_kind::direct);
        m.id = make_id(surface::whatsapp, number, *wamid);
        m.text = std::string(*text);
        m.author.id = *from;
        if (contacts != nullptr) {
            for (const json::value& c : *contacts) {
                if (!c.is_object() || id_text(c.get_object(), "wa_id") != from) {
                    continue;
                }
                if (const json::object* profile = object(c.get_object(), "profile")) {
                    m.author.name = std::string(string(*profile, "name").value_or(""));
                }
            }
        }
        m.thread_id = make_id(surface::whatsapp, number, *from);
        if (const json::object* context = object(message, "context")) {
            if (const auto replied = id_text(*context, "id")) {
                m.in_reply_to = make_id(surface::whatsapp, number, *replied);
            }
        }
        m.created_at = meta_time(message, "timestamp");
        out_.messages.push_back(std::move(m));
    }

    std::string_view account_;
    const own_ids& own_;
    notification out_;
};

constexpr std::array<std::pair<surface, std::string_view>, 6> surface_names = {{
    {surface::messenger, "messenger"},
    {surface::instagram, "instagram"},
    {surface::whatsapp, "whatsapp"},
    {surface::facebook_comment, "facebook-comment"},
    {surface::facebook_post, "facebook-post"},
    {surface::instagram_comment, "instagram-comment"},
}};

// Hashes both sides under one fixed key before comparing, so that the comparison's time
// depends neither on where they differ nor on the secret's length.
bool secret_equal(std::string_view configured, std::string_view presented) {
    constexpr std::string_view key = "rapport meta verify_token";
    return constant_time_equal(hmac_sha256_hex(key, configured), hmac_sha256_hex(key, presented));
}

} // namespace

signature_problem check_signature(std::string_view app_secret,
                                  std::optional<std::string_view> header,
                                  std::string_view body) {
    if (!header || header->empty()) {
        return signature_problem::missing;
    }
    if (!header->starts_with(signature_prefix) || header->size() != signature_prefix.size() + 64) {
        return signature_problem::malformed;
    }
    std::string presented(header->substr(signature_prefix.size()));
    for (char& c : presented) {
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex) {
            return signature_problem::malformed;
        }
        if (c >= 'A' && c <= 'F') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    // No app secret must refuse everything rather than accept what an empty key signs.
    if (app_secret.empty() || !constant_time_equal(hmac_sha256_hex(app_secret, body), presented)) {
        return signature_problem::mismatch;
    }
    return signature_problem::none;
}

std::string sign(std::string_view app_secret, std::string_view body) {
    return std::string(signature_prefix) + hmac_sha256_hex(app_secret, body);
}

signature_problem check_verify_token(std::string_view configured,
                                     std::optional<std::string_view> presented) {
    if (!presented || presented->empty()) {
        return signature_problem::missing;
    }
    if (configured.empty() || !secret_equal(configured, *presented)) {
        return signature_problem::mismatch;
    }
    return signature_problem::none;
}

notification parse_notification(std::string_view body,
                                std::string_view account,
                                const own_ids& own) {
    return reader(account, own).read(body);
}

webhook_result hook_reader::read(const webhook_request& request) const {
    if (request.method == "GET") {
        // The verification handshake Meta makes when the callback URL is saved.
        const auto mode = request.query("hub.mode");
        const auto problem = check_verify_token(verify_token_, request.query("hub.verify_token"));
        if (problem != signature_problem::none) {
            const std::string reason =
                problem == signature_problem::missing ? "missing_verify_token" : "bad_verify_token";
            return webhook_result::forbidden_because(
                reason, "verification failed: hub.verify_token is " +
                            std::string(problem == signature_problem::missing
                                            ? "missing"
                                            : "not this account's verify_token"));
        }
        if (mode != "subscribe") {
            return webhook_result::forbidden_because(
                "bad_verify_mode", "verification failed: hub.mode must be 'subscribe'");
        }
        const auto challenge = request.query("hub.challenge");
        if (!challenge || challenge->empty()) {
            return webhook_result::invalid_because("hub.challenge is missing");
        }
        return webhook_result::answer_with(200, "text/plain", std::string(*challenge));
    }
    if (request.method != "POST") {
        return webhook_result::method_not_allowed_because(
            "Meta verifies with GET and notifies with POST");
    }
    const auto problem =
        check_signature(app_secret_, request.header(signature_header), request.body);
    if (problem != signature_problem::none) {
        return webhook_result::rejected_because(
            std::string(to_string(problem)),
            "X-Hub-Signature-256 check failed: " + std::string(to_string(problem)));
    }
    notification n = parse_notification(request.body, account_, own_);
    if (!n.invalid.empty()) {
        return webhook_result::invalid_because(std::move(n.invalid));
    }
    webhook_result r;
    r.what = webhook_result::outcome::messages;
    r.messages = std::move(n.messages);
    r.ignored = std::move(n.ignored);
    return r;
}

std::string_view to_string(surface s) {
    for (const auto& [value, name] : surface_names) {
        if (value == s) {
            return name;
        }
    }
    return "messenger";
}

bool is_graph_id(std::string_view id) {
    return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '_' || c == '.' || c == '-';
    });
}

std::string make_id(surface s, std::string_view owner, std::string_view item) {
    std::string id(to_string(s));
    id.append(":").append(owner).append(":").append(item);
    return id;
}

std::optional<item_ref> split_id(std::string_view id) {
    const auto first = id.find(':');
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    const auto second = id.find(':', first + 1);
    if (second == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view name = id.substr(0, first);
    const auto known = std::find_if(surface_names.begin(), surface_names.end(),
                                    [name](const auto& p) { return p.second == name; });
    item_ref ref;
    ref.owner = std::string(id.substr(first + 1, second - first - 1));
    ref.item = std::string(id.substr(second + 1));
    if (known == surface_names.end() || !is_graph_id(ref.owner) || ref.item.empty()) {
        return std::nullopt;
    }
    ref.surface = known->first;
    return ref;
}

std::string send_api_body(std::string_view recipient_id, std::string_view text) {
    std::string out = R"({"recipient":{"id":)";
    rules::append_json_string(out, recipient_id);
    out += R"(},"messaging_type":"RESPONSE","message":{"text":)";
    rules::append_json_string(out, text);
    out += "}}";
    return out;
}

std::string private_reply_body(std::string_view comment_id, std::string_view text) {
    std::string out = R"({"recipient":{"comment_id":)";
    rules::append_json_string(out, comment_id);
    out += R"(},"message":{"text":)";
    rules::append_json_string(out, text);
    out += "}}";
    return out;
}

std::string whatsapp_text_body(std::string_view to,
                               std::string_view text,
                               std::optional<std::string_view> context_message_id) {
    std::string out = R"({"messaging_product":"whatsapp","recipient_type":"individual","to":)";
    rules::append_json_string(out, to);
    out += R"(,"type":"text","text":{"preview_url":false,"body":)";
    rules::append_json_string(out, text);
    out += "}";
    if (context_message_id) {
        out += R"(,"context":{"message_id":)";
        rules::append_json_string(out, *context_message_id);
        out += "}";
    }
    out += "}";
    return out;
}

std::string comment_body(std::string_view text) {
    std::string out = R"({"message":)";
    rules::append_json_string(out, text);
    out += "}";
    return out;
}

std::optional<graph_answer> parse_graph_answer(std::string_view body) {
    const auto parsed = json_fields::parse_object(body);
    if (!parsed) {
        return std::nullopt;
    }
    const json::object& o = *parsed;
    graph_answer a;
    if (const json::object* e = object(o, "error")) {
        graph_error error;
        error.code = integer(*e, "code");
        error.subcode = integer(*e, "error_subcode");
        error.message = std::string(string(*e, "message").value_or(""));
        error.type = std::string(string(*e, "type").value_or(""));
        error.is_transient = flag(*e, "is_transient");
        a.error = std::move(error);
        return a;
    }
    a.created_id = id_text(o, "message_id");
    if (!a.created_id) {
        a.created_id = id_text(o, "id");
    }
    if (const json::array* messages = array(o, "messages"); !a.created_id && messages != nullptr) {
        if (!messages->empty() && messages->front().is_object()) {
            a.created_id = id_text(messages->front().get_object(), "id");
        }
    }
    return a;
}

std::optional<std::int64_t> regain_access_minutes(std::string_view header) {
    const auto parsed = json_fields::parse_object(header);
    if (!parsed) {
        return std::nullopt;
    }
    std::optional<std::int64_t> longest;
    for (const auto& [id, usages] : *parsed) {
        if (!usages.is_array()) {
            continue;
        }
        for (const json::value& u : usages.get_array()) {
            if (!u.is_object()) {
                continue;
            }
            const auto minutes = integer(u.get_object(), "estimated_time_to_regain_access");
            if (minutes && *minutes > 0 && (!longest || *minutes > *longest)) {
                longest = minutes;
            }
        }
    }
    return longest;
}

} // namespace rapport::adapters::meta
