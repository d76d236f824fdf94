// rapportctl drafts: the approval API (CONTRACT §5) from a terminal. Each request runs on a
// private io_context until it completes, through the HTTPS client the dispatcher uses, so
// certificates are verified the same way and plain http:// goes to loopback only.
#include "tools/commands.hpp"

#include "adapters/common/https_client.hpp"
#include "rules/time.hpp"

#include <utf8proc.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <utility>
#include <variant>
#include <vector>

namespace rapport::tools {
namespace {

namespace json = boost::json;
using adapters::https_error;
using adapters::https_result;

constexpr std::string_view default_url = "http://127.0.0.1:8080";
constexpr std::string_view prefix = "rapportctl drafts: ";

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
}

// ---- text for people ------------------------------------------------------------------------

// Bidirectional overrides and isolates: they reorder what follows them on screen, so a draft
// could show one text and contain another.
bool is_bidi_control(utf8proc_int32_t c) {
    return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/// `text` made safe to print: drafts and messages come from strangers, and an escape sequence
/// could rewrite or hide what an approver sees. Control characters and invalid UTF-8 become
/// U+FFFD; tabs become a space; line breaks stay only when `keep_newlines` (else a space).
std::string printable(std::string_view text, bool keep_newlines) {
    std::string out;
    out.reserve(text.size());
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
    auto left = static_cast<utf8proc_ssize_t>(text.size());
    while (left > 0) {
        utf8proc_int32_t c = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
        if (n <= 0) {
            out += "\xEF\xBF\xBD";
            ++p;
            --left;
            continue;
        }
        if (c == '\n' && keep_newlines) {
            out += '\n';
        } else if (c == '\t' || c == '\n' || c == '\r') {
            out += ' ';
        } else if (utf8proc_category(c) == UTF8PROC_CATEGORY_CC || is_bidi_control(c)) {
            out += "\xEF\xBF\xBD";
        } else {
            out.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
        }
        p += n;
        left -= n;
    }
    return out;
}

/// One line for a table cell: printable, runs of spaces collapsed, no leading or trailing ones.
std::string one_line(std::string_view text) {
    std::string out;
    for (const char c : printable(text, false)) {
        if (c != ' ' || (!out.empty() && out.back() != ' ')) {
            out += c;
        }
    }
    while (!out.empty() && out.back() == ' ') {
        out.pop_back();
    }
    return out;
}

/// Terminal columns `text` (valid UTF-8, as printable() makes it) takes: wide characters count
/// two, combining marks none.
std::size_t columns_of(std::string_view text) {
    std::size_t width = 0;
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
    auto left = static_cast<utf8proc_ssize_t>(text.size());
    while (left > 0) {
        utf8proc_int32_t c = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
        if (n <= 0) {
            break;
        }
        width += static_cast<std::size_t>(std::max(0, utf8proc_charwidth(c)));
        p += n;
        left -= n;
    }
    return width;
}

/// `text` cut to at most `width` columns, ending in "…" when cut (never in a character).
std::string fit(std::string_view text, std::size_t width) {
    if (columns_of(text) <= width) {
        return std::string(text);
    }
    std::string out;
    std::size_t used = 0;
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
    auto left = static_cast<utf8proc_ssize_t>(text.size());
    while (left > 0) {
        utf8proc_int32_t c = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
        if (n <= 0) {
            break;
        }
        const auto w = static_cast<std::size_t>(std::max(0, utf8proc_charwidth(c)));
        if (used + w + 1 > width) {
            break;
        }
        out.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
        used += w;
        p += n;
        left -= n;
    }
    return out + "\xE2\x80\xA6";
}

std::string pad(std::string text, std::size_t width) {
    const std::size_t w = columns_of(text);
    if (w < width) {
        text.append(width - w, ' ');
    }
    return text;
}

/// ANSI colours, or nothing at all when output is not for a terminal.
class painter {
public:
    explicit painter(bool on) : on_(on) {}
    [[nodiscard]] std::string operator()(std::string text, std::string_view sgr) const {
        if (!on_ || sgr.empty()) {
            return text;
        }
        return "\x1b[" + std::string(sgr) + "m" + text + "\x1b[0m";
    }

private:
    bool on_;
};

std::string_view state_colour(std::string_view state) {
    if (state == "pending" || state == "needs_review") {
        return "1;33";
    }
    if (state == "approved" || state == "sending") {
        return "36";
    }
    if (state == "sent") {
        return "32";
    }
    if (state == "failed") {
        return "1;31";
    }
    return "2"; // rejected, expired: done with, dimmed
}

std::string_view priority_colour(std::string_view priority) {
    if (priority == "urgent") {
        return "1;31";
    }
    if (priority == "high") {
        return "31";
    }
    if (priority == "low") {
        return "2";
    }
    return "";
}

/// "45s", "12m", "3h", "2d": how long ago `timestamp` was, or "?" when it is not one.
std::string age(std::string_view timestamp, rules::time_point now) {
    const auto t = rules::parse_timestamp(timestamp);
    if (!t) {
        return "?";
    }
    const auto s = std::max<std::int64_t>(0, (now - *t).count());
    if (s < 60) {
        return std::to_string(s) + "s";
    }
    if (s < 3600) {
        return std::to_string(s / 60) + "m";
    }
    if (s < 86400) {
        return std::to_string(s / 3600) + "h";
    }
    return std::to_string(s / 86400) + "d";
}

// ---- JSON -----------------------------------------------------------------------------------

/// The string at `key`, or "" when it is missing, null or not a string: a view tolerates
/// fields a newer or older server adds or leaves out.
std::string_view text_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

std::optional<std::int64_t> number_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_int64() ? std::optional(v->get_int64()) : std::nullopt;
}

const json::object* object_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr ? v->if_object() : nullptr;
}

std::optional<json::value> parse_json(std::string_view body) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) {
        return std::nullopt;
    }
    return v;
}

// ---- views ----------------------------------------------------------------------------------

void print_indented(std::ostream& out, std::string_view text) {
    std::istringstream lines(printable(text, true));
    for (std::string line; std::getline(lines, line);) {
        out << "  " << line << '\n';
    }
}

/// One draft, several lines, the fields an approver decides on first.
void print_draft(const json::object& d,
                 std::ostream& out,
                 const painter& paint,
                 rules::time_point now) {
    const auto row = [&](std::string_view label, const std::string& value) {
        out << paint(pad(std::string(label), 11), "2") << value << '\n';
    };
    const auto id = printable(text_at(d, "id"), false);
    const auto state = std::string(text_at(d, "state"));
    std::string heading = id;
    if (const auto version = number_at(d, "version")) {
        heading += ", version " + std::to_string(*version);
    }
    row("draft", paint(heading, "1"));

    std::string decided = paint(printable(state, false), state_colour(state));
    if (const auto by = text_at(d, "decided_by"); !by.empty()) {
        decided += " by " + printable(by, false);
        if (const auto at = text_at(d, "decided_at"); !at.empty()) {
            decided += " at " + printable(at, false);
        }
    } else if (state == "pending") {
        decided += " (nobody has decided yet)";
    }
    row("state", decided);
    if (const auto note = text_at(d, "note"); !note.empty()) {
        row(state == "rejected" ? "reason" : "note", printable(note, false));
    }

    std::string route =
        printable(text_at(d, "kind"), false) + " on " + printable(text_at(d, "account"), false);
    if (const auto platform = text_at(d, "platform"); !platform.empty()) {
        route += " (" + printable(platform, false) + ")";
    }
    if (const auto team = text_at(d, "team"); !team.empty()) {
        route += ", team " + printable(team, false);
    }
    if (const auto priority = text_at(d, "priority"); !priority.empty()) {
        route += ", priority " + paint(printable(priority, false), priority_colour(priority));
    }
    if (const auto rule = text_at(d, "rule"); !rule.empty()) {
        route += ", rule " + printable(rule, false);
    }
    if (const auto* v = d.if_contains("private"); v != nullptr && v->is_bool() && v->get_bool()) {
        route += ", private";
    }
    row("route", route);

    const auto created = text_at(d, "created_at");
    std::string when = printable(created, false) + " (" + age(created, now) + " ago)";
    if (const auto due = text_at(d, "sla_due_at"); !due.empty()) {
        when += ", answer due " + printable(due, false);
    }
    if (const auto expires = text_at(d, "expires_at"); !expires.empty() && state == "pending") {
        when += ", expires " + printable(expires, false);
    }
    row("created", when);
    if (const auto sent_at = text_at(d, "sent_at"); !sent_at.empty()) {
        std::string sent = printable(sent_at, false);
        if (const auto sent_id = text_at(d, "sent_id"); !sent_id.empty()) {
            sent += " as " + printable(sent_id, false);
        }
        row("sent", sent);
    }
    if (const auto attempts = number_at(d, "attempts"); attempts && *attempts > 0) {
        std::string tries = std::to_string(*attempts);
        if (const auto next = text_at(d, "next_attempt_at"); !next.empty()) {
            tries += ", next at " + printable(next, false);
        }
        row("attempts", tries);
    }
    if (const auto error = text_at(d, "last_error"); !error.empty()) {
        row("last error", paint(printable(error, false), "31"));
    }
    if (const auto* v = d.if_contains("too_long"); v != nullptr && v->is_bool() && v->get_bool()) {
        row("warning", paint("longer than the platform allows: shorten it before approving", "31"));
    }

    const auto text = text_at(d, "text");
    out << '\n' << paint("text", "1") << '\n';
    print_indented(out, text);
    if (const auto original = text_at(d, "original_text"); !original.empty() && original != text) {
        out << paint("as first drafted", "2") << '\n';
        print_indented(out, original);
    }
    if (const auto* message = object_at(d, "in_reply_to")) {
        std::string who = "someone";
        if (const auto* author = object_at(*message, "author")) {
            const auto name = text_at(*author, "name");
            const auto handle = text_at(*author, "handle");
            who = printable(!name.empty()    ? name
                            : handle.empty() ? text_at(*author, "id")
                                             : handle,
                            false);
            if (!name.empty() && !handle.empty()) {
                who += " (@" + printable(handle, false) + ")";
            }
        }
        std::string about = "in reply to " + who;
        if (const auto at = text_at(*message, "created_at"); !at.empty()) {
            about += ", " + printable(at, false);
        }
        out << '\n' << paint(about, "1") << '\n';
        print_indented(out, text_at(*message, "text"));
    }
}

/// Drafts as a table, one a line; the text takes what is left of `width` (0: all of it).
void print_table(const std::vector<json::object>& drafts,
                 std::ostream& out,
                 const painter& paint,
                 std::size_t width,
                 rules::time_point now) {
    if (drafts.empty()) {
        out << "no drafts\n";
        return;
    }
    struct cell_row {
        std::vector<std::string> cells;
        std::string text;
    };
    const std::vector<std::string> headings{"ID", "STATE", "PRIORITY", "TEAM", "ACCOUNT", "AGE"};
    std::vector<std::size_t> widths;
    for (const auto& h : headings) {
        widths.push_back(h.size());
    }
    std::vector<cell_row> rows;
    for (const auto& d : drafts) {
        const auto or_dash = [](std::string_view s) {
            return s.empty() ? std::string("-") : one_line(s);
        };
        cell_row r{{or_dash(text_at(d, "id")), or_dash(text_at(d, "state")),
                    or_dash(text_at(d, "priority")), or_dash(text_at(d, "team")),
                    or_dash(text_at(d, "account")), age(text_at(d, "created_at"), now)},
                   one_line(text_at(d, "text"))};
        for (std::size_t i = 0; i < r.cells.size(); ++i) {
            widths[i] = std::max(widths[i], columns_of(r.cells[i]));
        }
        rows.push_back(std::move(r));
    }
    std::size_t used = 0;
    for (const auto w : widths) {
        used += w + 2;
    }
    // A narrow terminal still gets some text; the line wraps rather than showing nothing.
    const std::size_t text_width =
        width == 0 ? 0 : std::max<std::size_t>(width - std::min(width, used), 12);

    std::string heading;
    for (std::size_t i = 0; i < headings.size(); ++i) {
        heading += pad(headings[i], widths[i] + 2);
    }
    out << paint(heading + "TEXT", "1") << '\n';
    for (auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.cells.size(); ++i) {
            std::string cell = pad(r.cells[i], widths[i] + 2);
            if (i == 1) {
                cell = paint(std::move(cell), state_colour(r.cells[i]));
            } else if (i == 2) {
                cell = paint(std::move(cell), priority_colour(r.cells[i]));
            }
            line += cell;
        }
        out << line << (text_width == 0 ? r.text : fit(r.text, text_width)) << '\n';
    }
}

// ---- the client -----------------------------------------------------------------------------

/// Query strings and path segments: everything but RFC 3986's unreserved characters is
/// percent-encoded, so an id or a team name cannot change the request's shape.
std::string encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    return out;
}

/// The refused-request line's message: the server's own words when the body is the §5.1 shape,
/// else the start of whatever came back (a proxy's error page, say).
std::string server_message(std::string_view body) {
    if (const auto v = parse_json(body); v && v->is_object()) {
        if (const auto message = text_at(v->get_object(), "message"); !message.empty()) {
            return printable(message, false);
        }
    }
    std::string first = one_line(body.substr(0, body.find('\n')));
    return first.empty() ? std::string() : fit(first, 200);
}

/// A temporary file, removed when this goes unless kept.
class temp_file {
public:
    explicit temp_file(std::string path) : path_(std::move(path)) {}
    temp_file(temp_file&& other) noexcept : path_(std::exchange(other.path_, {})) {}
    temp_file& operator=(temp_file&&) = delete;
    ~temp_file() {
        if (!path_.empty()) {
            ::unlink(path_.c_str());
        }
    }
    [[nodiscard]] const std::string& path() const { return path_; }
    /// Leaves the file where it is; returns its path.
    std::string keep() { return std::exchange(path_, {}); }

private:
    std::string path_;
};

/// An exit code and what to say; an empty line for success.
struct outcome {
    int code = exit_ok;
    std::string line;
};

class drafts_client {
public:
    drafts_client(const drafts_options& o, std::ostream& out, std::ostream& err)
        : o_(o),
          out_(out),
          err_(err),
          paint_(o.colour),
          now_(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())) {
        base_ = !o.url.empty() ? o.url : env("RAPPORT_URL");
        if (base_.empty()) {
            base_ = default_url;
        }
        while (base_.ends_with('/')) {
            base_.pop_back();
        }
    }

    int run() {
        if (o_.action != drafts_action::list && o_.id.empty()) {
            return usage("give a draft id");
        }
        if (o_.text && o_.edit) {
            return usage("--text and --edit cannot be used together");
        }
        if (const auto problem = read_token(); problem.code != exit_ok) {
            return report(problem);
        }
        switch (o_.action) {
            case drafts_action::list:
                return report(list());
            case drafts_action::show:
                return report(show());
            case drafts_action::approve:
                return report(approve());
            case drafts_action::reject:
                return report(reject());
        }
        return exit_usage;
    }

private:
    int usage(const std::string& what) {
        err_ << prefix << what << '\n';
        return exit_usage;
    }

    int report(const outcome& o) {
        if (!o.line.empty()) {
            err_ << prefix << o.line << '\n';
        }
        return o.code;
    }

    outcome read_token() {
        if (!o_.token_file.empty()) {
            std::ifstream in(o_.token_file, std::ios::binary);
            if (!in) {
                return {exit_problems, "cannot read the token file " + o_.token_file + ": " +
                                           std::strerror(errno)};
            }
            std::ostringstream s;
            s << in.rdbuf();
            token_ = s.str();
        } else {
            token_ = env("RAPPORT_TOKEN");
        }
        // As secrets files are read (CONTRACT §2): the newline an editor or `echo` leaves.
        while (!token_.empty() && (token_.back() == '\n' || token_.back() == '\r')) {
            token_.pop_back();
        }
        if (token_.empty() && !o_.token_file.empty()) {
            return {exit_problems, "the token file " + o_.token_file + " is empty"};
        }
        if (token_.empty()) {
            return {exit_usage, "no token: set RAPPORT_TOKEN or pass --token-file FILE"};
        }
        return {};
    }

    /// One request, run to completion. A failure to talk to the server at all becomes the
    /// outcome; an answer of any status is returned.
    std::variant<adapters::https_response, outcome> call(std::string method,
                                                         std::string path,
                                                         std::string body = {}) {
        adapters::https_request request;
        request.method = std::move(method);
        request.url = base_ + path;
        request.headers.add("Authorization", "Bearer " + token_);
        request.headers.add("Accept", "application/json");
        if (request.method == "POST") {
            request.headers.add("Content-Type", "application/json");
            request.body = std::move(body);
        }
        net::io_context io;
        adapters::https_client_options options;
        options.user_agent = "rapportctl";
        adapters::https_client client(io.get_executor(), std::move(options));
        auto answer = net::co_spawn(io, client.send(std::move(request)), net::use_future);
        io.run();
        https_result result = answer.get();
        if (result.has_value()) {
            return std::move(result.value());
        }
        const auto& failure = result.error();
        switch (failure.kind) {
            case https_error::invalid_url:
            case https_error::plain_http_refused:
                return outcome{exit_usage, "--url " + base_ + ": " + failure.message};
            case https_error::invalid_request:
                // The only part a person supplies verbatim is the token; never echo it.
                return outcome{exit_usage, "the token has characters an HTTP header cannot carry"};
            case https_error::connect:
                return outcome{exit_problems,
                               failure.message +
                                   " (is rapportd running there? --url or RAPPORT_URL says "
                                   "where it is)"};
            case https_error::resolve:
                return outcome{exit_problems, failure.message + " (check --url or RAPPORT_URL)"};
            default:
                return outcome{exit_problems,
                               "talking to rapportd at " + base_ + ": " + failure.message};
        }
    }

    /// The answer's body when it is a 2xx, else the outcome that explains the refusal.
    std::variant<std::string, outcome> expect_ok(
        std::variant<adapters::https_response, outcome> answer) {
        if (auto* failed = std::get_if<outcome>(&answer)) {
            return *failed;
        }
        auto& response = std::get<adapters::https_response>(answer);
        if (response.status / 100 != 2) {
            return outcome{exit_problems, describe_refusal(response.status, response.body, o_.id)};
        }
        return std::move(response.body);
    }

    outcome unexpected() const {
        return {exit_problems, "rapportd at " + base_ + " answered with something that is not " +
                                   "a draft; is --url right?"};
    }

    /// Prints a single draft answer: the JSON as it came, or the view.
    outcome print_one(const std::string& body) {
        const auto v = parse_json(body);
        if (!v || !v->is_object()) {
            return unexpected();
        }
        if (o_.json) {
            out_ << body << '\n';
        } else {
            print_draft(v->get_object(), out_, paint_, now_);
        }
        return {};
    }

    outcome list() {
        std::vector<json::object> drafts;
        json::value next = nullptr;
        std::string after = o_.after;
        std::string only_body; // the answer, when one page held it all
        int pages = 0;
        bool empty_page = false;
        do {
            std::string query = "?";
            const auto add = [&](std::string_view key, const std::string& value) {
                if (!value.empty()) {
                    query += std::string(key) + "=" + encode(value) + "&";
                }
            };
            add("state", o_.state);
            add("team", o_.team);
            add("account", o_.account);
            if (o_.limit > 0) {
                const int want = o_.limit - static_cast<int>(drafts.size());
                add("limit", std::to_string(std::min(want, o_.page_size_for_test)));
            }
            add("after", after);
            query.pop_back();
            auto answer = expect_ok(call("GET", "/v1/drafts" + query));
            if (auto* failed = std::get_if<outcome>(&answer)) {
                return *failed;
            }
            only_body = std::move(std::get<std::string>(answer));
            const auto v = parse_json(only_body);
            const auto* page = v ? v->if_object() : nullptr;
            const auto* list = page != nullptr ? page->if_contains("drafts") : nullptr;
            if (list == nullptr || !list->is_array()) {
                return unexpected();
            }
            for (const auto& d : list->get_array()) {
                if (d.is_object()) {
                    drafts.push_back(d.get_object());
                }
            }
            const auto* cursor = page->if_contains("next");
            next = cursor != nullptr && cursor->is_string() ? *cursor : json::value(nullptr);
            after = next.is_string() ? std::string(next.get_string()) : std::string();
            ++pages;
            // An empty page with a cursor would be a server bug; never loop on it.
            empty_page = list->get_array().empty();
        } while (o_.limit > 0 && static_cast<int>(drafts.size()) < o_.limit && !after.empty() &&
                 !empty_page);

        if (o_.json) {
            if (pages == 1) {
                out_ << only_body << '\n';
            } else {
                // Pages joined into one document of the same shape; `next` continues from it.
                json::array all;
                for (auto& d : drafts) {
                    all.emplace_back(std::move(d));
                }
                out_ << json::serialize(json::object{{"drafts", std::move(all)}, {"next", next}})
                     << '\n';
            }
            return {};
        }
        print_table(drafts, out_, paint_, o_.width, now_);
        if (!after.empty()) {
            // On stderr: a hint for the person, not a row for a script reading the table.
            err_ << "more drafts match than the " << drafts.size()
                 << " shown: raise --limit, or continue with --after " << after << '\n';
        }
        return {};
    }

    outcome show() {
        auto answer = expect_ok(call("GET", "/v1/drafts/" + encode(o_.id)));
        if (auto* failed = std::get_if<outcome>(&answer)) {
            return *failed;
        }
        return print_one(std::get<std::string>(answer));
    }

    outcome approve() {
        json::object body;
        if (o_.text) {
            body["text"] = *o_.text;
        }
        if (o_.note) {
            body["note"] = *o_.note;
        }
        if (o_.version) {
            body["version"] = *o_.version;
        }
        std::optional<temp_file> edited_file;
        if (o_.edit) {
            auto edited = edit();
            if (auto* failed = std::get_if<outcome>(&edited)) {
                return *failed;
            }
            auto& e = std::get<edit_result>(edited);
            body["text"] = e.text;
            // Approve the version that was edited: a change made meanwhile is a 409, not lost.
            if (!o_.version) {
                body["version"] = e.version;
            }
            edited_file.emplace(std::move(e.file));
        }
        auto answer = expect_ok(
            call("POST", "/v1/drafts/" + encode(o_.id) + "/approve", json::serialize(body)));
        if (auto* failed = std::get_if<outcome>(&answer)) {
            // A refused edit (a conflict, a blocked phrase) is work the person may want back.
            if (edited_file) {
                failed->line += "; the edited text is kept in " + edited_file->keep();
            }
            return *failed;
        }
        return print_one(std::get<std::string>(answer));
    }

    outcome reject() {
        json::object body;
        if (o_.reason) {
            body["reason"] = *o_.reason;
        }
        auto answer = expect_ok(
            call("POST", "/v1/drafts/" + encode(o_.id) + "/reject", json::serialize(body)));
        if (auto* failed = std::get_if<outcome>(&answer)) {
            return *failed;
        }
        return print_one(std::get<std::string>(answer));
    }

    struct edit_result {
        std::string text;
        std::int64_t version = 0;
        temp_file file; ///< what the editor saved
    };

    /// Fetches the draft, lets the person edit its text in their editor, and returns the new
    /// text with the version it was based on. Unchanged or emptied text abandons the approval.
    std::variant<edit_result, outcome> edit() {
        auto answer = expect_ok(call("GET", "/v1/drafts/" + encode(o_.id)));
        if (auto* failed = std::get_if<outcome>(&answer)) {
            return *failed;
        }
        const auto v = parse_json(std::get<std::string>(answer));
        if (!v || !v->is_object()) {
            return unexpected();
        }
        const auto& d = v->get_object();
        const auto state = text_at(d, "state");
        if (state != "pending" && state != "needs_review") {
            return outcome{exit_problems, "draft " + o_.id + " is " + printable(state, false) +
                                              ", so its text can no longer be edited; see "
                                              "`rapportctl drafts show " +
                                              o_.id + "`"};
        }
        const std::string original(text_at(d, "text"));
        auto edited = run_editor(original);
        if (auto* failed = std::get_if<outcome>(&edited)) {
            return *failed;
        }
        auto& file = std::get<temp_file>(edited);
        std::ifstream in(file.path(), std::ios::binary);
        std::ostringstream content;
        content << in.rdbuf();
        std::string text = content.str();
        // Editors end files with a newline; trailing blanks are never meant as part of a reply.
        const auto trim = [](std::string s) {
            s.erase(s.find_last_not_of(" \t\r\n") + 1);
            return s;
        };
        text = trim(std::move(text));
        if (text.empty()) {
            return outcome{exit_problems,
                           "the edited text is empty; draft " + o_.id + " was not approved"};
        }
        if (text == trim(original)) {
            return outcome{exit_problems, "the text is unchanged; draft " + o_.id +
                                              " was not approved (to approve it as it is: "
                                              "rapportctl drafts approve " +
                                              o_.id + ")"};
        }
        return edit_result{std::move(text), number_at(d, "version").value_or(0), std::move(file)};
    }

    /// Writes `text` to a private temporary file, runs $VISUAL / $EDITOR / vi on it through the
    /// shell (so "code --wait" works, as git allows) and returns the file once the editor exits.
    std::variant<temp_file, outcome> run_editor(const std::string& text) {
        std::string dir = env("TMPDIR");
        if (dir.empty()) {
            dir = "/tmp";
        }
        std::string safe_id;
        for (const char c : o_.id) {
            safe_id += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' ? c : '_';
        }
        // The .txt suffix tells editors this is plain text; mkstemps makes the file 0600.
        std::string path = dir + "/rapport-" + safe_id.substr(0, 40) + "-XXXXXX.txt";
        const int fd = ::mkstemps(path.data(), 4);
        if (fd < 0) {
            return outcome{exit_problems, "cannot create a temporary file in " + dir + ": " +
                                              std::strerror(errno)};
        }
        temp_file file(path);
        const std::string content = text + "\n";
        const bool written =
            ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
        ::close(fd);
        if (!written) {
            return outcome{exit_problems, "cannot write " + path + ": " + std::strerror(errno)};
        }

        std::string editor = env("VISUAL");
        if (editor.empty()) {
            editor = env("EDITOR");
        }
        if (editor.empty()) {
            editor = "vi";
        }
        out_.flush();
        err_.flush();
        // Like git: Ctrl-C and Ctrl-\ belong to the editor while it runs, not to us.
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        struct sigaction old_int {};
        struct sigaction old_quit {};
        ::sigaction(SIGINT, &ignore, &old_int);
        ::sigaction(SIGQUIT, &ignore, &old_quit);
        const std::string script = editor + " \"$@\"";
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::sigaction(SIGINT, &old_int, nullptr);
            ::sigaction(SIGQUIT, &old_quit, nullptr);
            ::execl("/bin/sh", "sh", "-c", script.c_str(), editor.c_str(), path.c_str(),
                    static_cast<char*>(nullptr));
            ::_exit(127);
        }
        int status = 0;
        if (pid > 0) {
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
        ::sigaction(SIGINT, &old_int, nullptr);
        ::sigaction(SIGQUIT, &old_quit, nullptr);
        if (pid < 0) {
            return outcome{exit_problems,
                           std::string("cannot start the editor: ") + std::strerror(errno)};
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            const std::string how =
                WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                  : "was stopped by a signal";
            return outcome{exit_problems, "the editor (" + editor + ") " + how + "; draft " +
                                              o_.id + " was not approved"};
        }
        return file;
    }

    const drafts_options& o_;
    std::ostream& out_;
    std::ostream& err_;
    painter paint_;
    rules::time_point now_;
    std::string base_;
    std::string token_;
};

} // namespace

void detect_terminal(drafts_options& options) {
    const bool terminal = ::isatty(STDOUT_FILENO) == 1;
    options.colour = terminal && env("NO_COLOR").empty() && env("TERM") != "dumb";
    options.width = 0;
    const std::string columns = env("COLUMNS");
    if (!columns.empty()) {
        const long n = std::strtol(columns.c_str(), nullptr, 10);
        options.width = n > 0 ? static_cast<std::size_t>(n) : 0;
    } else if (terminal) {
        winsize size{};
        options.width =
            ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0 ? size.ws_col : 80;
    }
}

int run_drafts(const drafts_options& options, std::ostream& out, std::ostream& err) {
    try {
        return drafts_client(options, out, err).run();
    } catch (const std::exception& e) {
        // The TLS context could not be set up, HTTPS_PROXY is malformed, or memory ran out:
        // nothing a retry would fix.
        err << prefix << e.what() << '\n';
        return exit_problems;
    }
}

std::string describe_refusal(unsigned status, std::string_view body, std::string_view id) {
    const std::string message = server_message(body);
    const std::string draft = "draft " + std::string(id);
    const auto with = [&](std::string text) {
        return message.empty() ? text : text + ": " + message;
    };
    switch (status) {
        case 400:
            return with("rapportd refused the request");
        case 401:
            return "the token was refused: check RAPPORT_TOKEN or --token-file";
        case 403:
            return with("not your team");
        case 404:
            return id.empty() ? with("not found") + " (does --url point at rapportd?)"
                              : "no such draft: " + std::string(id);
        case 409:
            return with("conflict: someone decided or edited " + draft + " since") +
                   "; see `rapportctl drafts show " + std::string(id) + "`";
        case 413:
            return with("the request is too large");
        case 422:
            return with(draft + " cannot be approved as is") + "; change it with `rapportctl " +
                   "drafts approve " + std::string(id) + " --edit`";
        case 429:
            return with("rapportd is rate limiting") + "; try again in a moment";
        case 503:
            return with("rapportd is not ready") + "; try again in a moment";
        default:
            break;
    }
    if (status >= 500 && status < 600) {
        return with("rapportd failed (HTTP " + std::to_string(status) + ")");
    }
    return with("unexpected answer from rapportd (HTTP " + std::to_string(status) + ")");
}

} // namespace rapport::tools
