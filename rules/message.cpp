#include "rules/message.hpp"

#include "rules/json_text.hpp"

#include <boost/json.hpp>

#include <array>

namespace rapport::rules {

namespace json = boost::json;

namespace {
constexpr std::array<std::string_view, 5> kind_names = {"mention", "direct", "reply", "comment",
                                                        "post"};
}

std::string_view to_string(message_kind k) {
    return kind_names[static_cast<std::size_t>(k)];
}

std::optional<message_kind> parse_message_kind(std::string_view s) {
    for (std::size_t i = 0; i < kind_names.size(); ++i) {
        if (kind_names[i] == s) {
            return static_cast<message_kind>(i);
        }
    }
    return std::nullopt;
}

std::string_view author::display_name() const {
    return name.empty() ? handle : name;
}

std::string_view author::first_name() const {
    std::string_view n = name;
    const auto start = n.find_first_not_of(" \t\n");
    if (start == std::string_view::npos) {
        return handle;
    }
    n.remove_prefix(start);
    return n.substr(0, n.find_first_of(" \t\n"));
}

namespace {

// Reads one field of a JSON object into a value, recording the first problem in `error`.
class field_reader {
public:
    field_reader(const json::object& object, std::string prefix, std::string& error)
        : object_(object), prefix_(std::move(prefix)), error_(error) {}

    // Ids may arrive as JSON numbers from senders that think of them as numbers.
    bool id(std::string_view key, std::string& out, bool required) {
        const json::value* v = object_.if_contains(key);
        if (v == nullptr || v->is_null()) {
            return !required || fail(key, "is required");
        }
        if (v->is_string()) {
            out.assign(v->get_string().data(), v->get_string().size());
        } else if (v->is_int64()) {
            out = std::to_string(v->get_int64());
        } else if (v->is_uint64()) {
            out = std::to_string(v->get_uint64());
        } else {
            return fail(key, "must be a string");
        }
        if (required && out.empty()) {
            return fail(key, "must not be empty");
        }
        return true;
    }

    bool text(std::string_view key, std::string& out, bool required) {
        const json::value* v = object_.if_contains(key);
        if (v == nullptr || v->is_null()) {
            return !required || fail(key, "is required");
        }
        if (!v->is_string()) {
            return fail(key, "must be a string");
        }
        out.assign(v->get_string().data(), v->get_string().size());
        return true;
    }

    // A string field that may be absent or null, but not empty.
    bool optional_string(std::string_view key, std::optional<std::string>& out) {
        const json::value* v = object_.if_contains(key);
        if (v == nullptr || v->is_null()) {
            return true;
        }
        if (!v->is_string()) {
            return fail(key, "must be a string");
        }
        out.emplace(v->get_string().data(), v->get_string().size());
        return true;
    }

    bool optional_text(std::string_view key, std::optional<std::string>& out) {
        std::string s;
        const json::value* v = object_.if_contains(key);
        if (v == nullptr || v->is_null()) {
            return true;
        }
        if (!id(key, s, false)) {
            return false;
        }
        out = std::move(s);
        return true;
    }

    bool count(std::string_view key, std::optional<std::int64_t>& out) {
        const json::value* v = object_.if_contains(key);
        if (v == nullptr || v->is_null()) {
            return true;
        }
        if (v->is_int64() && v->get_int64() >= 0) {
            out = v->get_int64();
        } else if (v->is_uint64() && v->get_uint64() <= INT64_MAX) {
            out = static_cast<std::int64_t>(v->get_uint64());
        } else {
            return fail(key, "must be a whole number of at least 0");
        }
        return true;
    }

    bool fail(std::string_view key, std::string_view problem) {
        error_ = "field '" + prefix_ + std::string(key) + "' " + std::string(problem);
        return false;
    }

private:
    const json::object& object_;
    std::string prefix_;
    std::string& error_;
};

bool read_message(const json::object& o, message& m, std::string& error) {
    field_reader r(o, "", error);
    if (!r.id("id", m.id, true) || !r.text("text", m.text, true)) {
        return false;
    }
    const json::value* a = o.if_contains("author");
    if (a == nullptr || a->is_null()) {
        return r.fail("author.id", "is required");
    }
    if (!a->is_object()) {
        return r.fail("author", "must be an object");
    }
    field_reader ar(a->get_object(), "author.", error);
    if (!ar.id("id", m.author.id, true) || !ar.text("handle", m.author.handle, false) ||
        !ar.text("name", m.author.name, false) || !ar.count("followers", m.author.followers)) {
        return false;
    }
    // Present but empty is a mistake worth reporting, not a default.
    std::optional<std::string> kind;
    if (!r.optional_string("kind", kind)) {
        return false;
    }
    if (kind) {
        const auto k = parse_message_kind(*kind);
        if (!k) {
            return r.fail("kind", "must be one of mention, direct, reply, comment, post");
        }
        m.kind = *k;
    }
    std::optional<std::string> created;
    if (!r.optional_string("created_at", created)) {
        return false;
    }
    if (created) {
        m.created_at = parse_timestamp(*created);
        if (!m.created_at) {
            return r.fail("created_at", "is not an RFC 3339 timestamp");
        }
    }
    return r.optional_text("thread_id", m.thread_id) &&
           r.optional_text("in_reply_to", m.in_reply_to) && r.optional_text("lang", m.lang) &&
           r.text("platform", m.platform, false) && r.text("account", m.account, false) &&
           r.optional_text("insight", m.insight);
}

} // namespace

message_parse_result parse_message_json(std::string_view text) {
    // One parser and arena buffer per thread: simulate parses hundreds of thousands of lines.
    // The arena itself is made anew each call: Boost 1.81's monotonic_resource::release()
    // leaves it throwing bad_alloc after a few dozen reuses.
    thread_local json::parser parser;
    alignas(std::max_align_t) thread_local unsigned char buffer[16384];
    json::monotonic_resource arena(buffer, sizeof buffer);
    message_parse_result result;
    parser.reset(json::storage_ptr(&arena));
    boost::system::error_code ec;
    parser.write(text.data(), text.size(), ec);
    if (ec) {
        result.error = "invalid JSON: " + ec.message();
        return result;
    }
    const json::value v = parser.release();
    if (!v.is_object()) {
        result.error = "a message must be a JSON object";
    } else if (message m; read_message(v.get_object(), m, result.error)) {
        result.message = std::move(m);
    }
    parser.reset(); // drop the parser's hold on the arena before it goes
    return result;
}

namespace {
void append_optional(std::string& out, std::string_view key, const std::optional<std::string>& v) {
    if (v) {
        out.append(",\"");
        out.append(key);
        out.append("\":");
        append_json_string(out, *v);
    }
}
} // namespace

void append_json(std::string& out, const message& m) {
    out.append("{\"id\":");
    append_json_string(out, m.id);
    out.append(",\"kind\":\"");
    out.append(to_string(m.kind));
    out.append("\",\"text\":");
    append_json_string(out, m.text);
    out.append(",\"author\":{\"id\":");
    append_json_string(out, m.author.id);
    out.append(",\"handle\":");
    append_json_string(out, m.author.handle);
    out.append(",\"name\":");
    append_json_string(out, m.author.name);
    if (m.author.followers) {
        out.append(",\"followers\":");
        out.append(std::to_string(*m.author.followers));
    }
    out.push_back('}');
    append_optional(out, "thread_id", m.thread_id);
    append_optional(out, "in_reply_to", m.in_reply_to);
    if (m.created_at) {
        out.append(",\"created_at\":");
        append_json_string(out, format_timestamp(*m.created_at));
    }
    append_optional(out, "lang", m.lang);
    out.append(",\"platform\":");
    append_json_string(out, m.platform);
    out.append(",\"account\":");
    append_json_string(out, m.account);
    append_optional(out, "insight", m.insight);
    out.push_back('}');
}

} // namespace rapport::rules
