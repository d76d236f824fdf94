#include "rules/message.hpp"

#include "rules/time.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {
namespace {

// CONTRACT §6, verbatim.
constexpr std::string_view contract_example =
    R"({"id": "ext-123", "kind": "mention", "text": "my acme toaster is broken",
 "author": {"id": "u1", "handle": "sam", "name": "Sam Lee", "followers": 120},
 "thread_id": "t-9", "in_reply_to": "ext-100", "created_at": "2026-11-22T10:00:00Z", "lang": "en",
 "platform": "x", "account": "acme-site"})";

// The error for `json`, or a failure when it parsed.
std::string error_of(std::string_view json) {
    const message_parse_result r = parse_message_json(json);
    EXPECT_FALSE(r.message.has_value()) << "parsed, but should not have: " << json;
    EXPECT_FALSE(r.error.empty()) << json;
    return r.error;
}

// The message of `json`, or a failure showing the error.
message parsed(std::string_view json) {
    const message_parse_result r = parse_message_json(json);
    EXPECT_TRUE(r.message.has_value()) << json << "\nerror: " << r.error;
    EXPECT_TRUE(r.error.empty()) << r.error;
    return r.message.value_or(message{});
}

// A minimal valid message with `fields` added at the top level (each starting with a comma).
std::string minimal_with(std::string_view fields) {
    return std::string(R"({"id":"a","text":"t","author":{"id":"u"})") + std::string(fields) + "}";
}

// A minimal valid message whose author object is `author`.
std::string with_author(std::string_view author) {
    return std::string(R"({"id":"a","text":"t","author":)") + std::string(author) + "}";
}

std::string to_json(const message& m) {
    std::string out;
    append_json(out, m);
    return out;
}

message full_message() {
    message m;
    m.id = "ext-123";
    m.kind = message_kind::reply;
    m.text = "my \"acme\" toaster\nis broken \\ caf\xC3\xA9 \xF0\x9F\x98\x80";
    m.author.id = "u1";
    m.author.handle = "sam";
    m.author.name = "Sam Lee";
    m.author.followers = 120;
    m.thread_id = "t-9";
    m.in_reply_to = "ext-100";
    m.created_at = parse_timestamp("2026-11-22T10:00:00Z");
    m.lang = "en";
    m.platform = "x";
    m.account = "acme-site";
    m.insight = "organizing-apps";
    return m;
}

// --- Parsing --------------------------------------------------------------------------------

TEST(message, parses_the_contract_example) {
    const message m = parsed(contract_example);
    EXPECT_EQ(m.id, "ext-123");
    EXPECT_EQ(m.kind, message_kind::mention);
    EXPECT_EQ(m.text, "my acme toaster is broken");
    EXPECT_EQ(m.author.id, "u1");
    EXPECT_EQ(m.author.handle, "sam");
    EXPECT_EQ(m.author.name, "Sam Lee");
    EXPECT_EQ(m.author.followers, 120);
    EXPECT_EQ(m.thread_id, "t-9");
    EXPECT_EQ(m.in_reply_to, "ext-100");
    ASSERT_TRUE(m.created_at.has_value());
    EXPECT_EQ(format_timestamp(*m.created_at), "2026-11-22T10:00:00Z");
    EXPECT_EQ(m.created_at->time_since_epoch().count(), 1795341600);
    EXPECT_EQ(m.lang, "en");
    EXPECT_EQ(m.platform, "x");
    EXPECT_EQ(m.account, "acme-site");
    EXPECT_EQ(m.insight, std::nullopt);
}

TEST(message, optional_fields_default) {
    const message m = parsed(R"({"id":"a","text":"","author":{"id":"u"}})");
    EXPECT_EQ(m.id, "a");
    EXPECT_EQ(m.kind, message_kind::mention);
    EXPECT_EQ(m.text, "");
    EXPECT_EQ(m.author.id, "u");
    EXPECT_EQ(m.author.handle, "");
    EXPECT_EQ(m.author.name, "");
    EXPECT_EQ(m.author.followers, std::nullopt);
    EXPECT_EQ(m.thread_id, std::nullopt);
    EXPECT_EQ(m.in_reply_to, std::nullopt);
    EXPECT_EQ(m.created_at, std::nullopt);
    EXPECT_EQ(m.lang, std::nullopt);
    EXPECT_EQ(m.platform, "");
    EXPECT_EQ(m.account, "");
    EXPECT_EQ(m.insight, std::nullopt);
}

TEST(message, null_optional_fields_are_absent) {
    const message m = parsed(
        R"({"id":"a","text":"t","author":{"id":"u","handle":null,"name":null,"followers":null},
            "kind":null,"thread_id":null,"in_reply_to":null,"created_at":null,"lang":null,
            "platform":null,"account":null,"insight":null})");
    EXPECT_EQ(m.kind, message_kind::mention);
    EXPECT_EQ(m.author.followers, std::nullopt);
    EXPECT_EQ(m.thread_id, std::nullopt);
    EXPECT_EQ(m.created_at, std::nullopt);
    EXPECT_EQ(m.lang, std::nullopt);
    EXPECT_EQ(m.insight, std::nullopt);
}

TEST(message, every_kind) {
    const std::vector<std::pair<std::string_view, message_kind>> kinds = {
        {"mention", message_kind::mention}, {"direct", message_kind::direct},
        {"reply", message_kind::reply},     {"comment", message_kind::comment},
        {"post", message_kind::post},
    };
    for (const auto& [name, kind] : kinds) {
        EXPECT_EQ(parsed(minimal_with(R"(,"kind":")" + std::string(name) + "\"")).kind, kind)
            << name;
        EXPECT_EQ(to_string(kind), name);
        EXPECT_EQ(parse_message_kind(name), kind);
    }
    EXPECT_EQ(parse_message_kind("Mention"), std::nullopt);
    EXPECT_EQ(parse_message_kind(""), std::nullopt);
}

TEST(message, numeric_ids_are_accepted_as_strings) {
    message m = parsed(R"({"id":123,"text":"t","author":{"id":456}})");
    EXPECT_EQ(m.id, "123");
    EXPECT_EQ(m.author.id, "456");
    m = parsed(R"({"id":18446744073709551615,"text":"t","author":{"id":-7}})");
    EXPECT_EQ(m.id, "18446744073709551615");
    EXPECT_EQ(m.author.id, "-7");
    m = parsed(R"({"id":0,"text":"t","author":{"id":"u"},"thread_id":9,"in_reply_to":10})");
    EXPECT_EQ(m.id, "0");
    EXPECT_EQ(m.thread_id, "9");
    EXPECT_EQ(m.in_reply_to, "10");
}

TEST(message, timestamps_with_offsets_and_fractions) {
    EXPECT_EQ(parsed(minimal_with(R"(,"created_at":"2026-11-22T12:00:00+02:00")")).created_at,
              parse_timestamp("2026-11-22T10:00:00Z"));
    EXPECT_EQ(parsed(minimal_with(R"(,"created_at":"2026-11-22T10:00:00.789Z")")).created_at,
              parse_timestamp("2026-11-22T10:00:00Z"));
}

TEST(message, followers_bounds) {
    EXPECT_EQ(parsed(with_author(R"({"id":"u","followers":0})")).author.followers, 0);
    EXPECT_EQ(parsed(with_author(R"({"id":"u","followers":9223372036854775807})")).author.followers,
              INT64_MAX);
}

TEST(message, unknown_fields_are_ignored) {
    const message m = parsed(
        R"({"id":"a","text":"t","extra":{"nested":[1,2,3]},"retweets":5,"source":null,
            "author":{"id":"u","avatar":"https://example.com/a.png","verified":true}})");
    EXPECT_EQ(m.id, "a");
    EXPECT_EQ(m.author.id, "u");
    EXPECT_EQ(m, parsed(R"({"id":"a","text":"t","author":{"id":"u"}})"));
}

TEST(message, unicode_text_and_escapes) {
    const message m = parsed(
        R"({"id":"a","text":"caf\u00e9 \ud83d\ude00 \"q\" \\ \n\t end","author":{"id":"u"}})");
    EXPECT_EQ(m.text, "caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\" \\ \n\t end");
}

// --- Errors ---------------------------------------------------------------------------------

TEST(message, invalid_json) {
    for (const std::string_view json :
         {std::string_view(""), std::string_view("{"), std::string_view("not json"),
          std::string_view(R"({"id":"a",})"), std::string_view(R"({"id":"a"} trailing)"),
          std::string_view(R"({"id": 'a'})"), std::string_view("{\"id\":\"\xff\"}"),
          std::string_view(R"({"id":"a","text":"t","author":{"id":"u"}} {})")}) {
        const std::string error = error_of(json);
        EXPECT_TRUE(error.starts_with("invalid JSON: ")) << json << " -> " << error;
        EXPECT_GT(error.size(), std::string_view("invalid JSON: ").size()) << error;
    }
}

TEST(message, not_an_object) {
    for (const std::string_view json :
         {"[]", "\"text\"", "42", "null", "true", "[{\"id\":\"a\"}]"}) {
        EXPECT_EQ(error_of(json), "a message must be a JSON object") << json;
    }
}

TEST(message, id_errors) {
    EXPECT_EQ(error_of(R"({"text":"t","author":{"id":"u"}})"), "field 'id' is required");
    EXPECT_EQ(error_of(R"({"id":null,"text":"t","author":{"id":"u"}})"), "field 'id' is required");
    EXPECT_EQ(error_of(R"({"id":"","text":"t","author":{"id":"u"}})"),
              "field 'id' must not be empty");
    EXPECT_EQ(error_of(R"({"id":1.5,"text":"t","author":{"id":"u"}})"),
              "field 'id' must be a string");
    EXPECT_EQ(error_of(R"({"id":true,"text":"t","author":{"id":"u"}})"),
              "field 'id' must be a string");
    EXPECT_EQ(error_of(R"({"id":["a"],"text":"t","author":{"id":"u"}})"),
              "field 'id' must be a string");
    // The first problem is reported: id before text before author.
    EXPECT_EQ(error_of("{}"), "field 'id' is required");
    EXPECT_EQ(error_of(R"({"id":"a"})"), "field 'text' is required");
}

TEST(message, text_errors) {
    EXPECT_EQ(error_of(R"({"id":"a","author":{"id":"u"}})"), "field 'text' is required");
    EXPECT_EQ(error_of(R"({"id":"a","text":null,"author":{"id":"u"}})"),
              "field 'text' is required");
    EXPECT_EQ(error_of(R"({"id":"a","text":5,"author":{"id":"u"}})"),
              "field 'text' must be a string");
    EXPECT_EQ(error_of(R"({"id":"a","text":{"body":"t"},"author":{"id":"u"}})"),
              "field 'text' must be a string");
}

TEST(message, author_errors) {
    EXPECT_EQ(error_of(R"({"id":"a","text":"t"})"), "field 'author.id' is required");
    EXPECT_EQ(error_of(R"({"id":"a","text":"t","author":null})"), "field 'author.id' is required");
    EXPECT_EQ(error_of(with_author("{}")), "field 'author.id' is required");
    EXPECT_EQ(error_of(with_author(R"({"id":null,"handle":"sam"})")),
              "field 'author.id' is required");
    EXPECT_EQ(error_of(with_author(R"({"id":""})")), "field 'author.id' must not be empty");
    EXPECT_EQ(error_of(with_author(R"({"id":2.5})")), "field 'author.id' must be a string");
    EXPECT_EQ(error_of(with_author(R"("sam")")), "field 'author' must be an object");
    EXPECT_EQ(error_of(with_author(R"(["u"])")), "field 'author' must be an object");
    EXPECT_EQ(error_of(with_author("7")), "field 'author' must be an object");
    EXPECT_EQ(error_of(with_author(R"({"id":"u","handle":5})")),
              "field 'author.handle' must be a string");
    EXPECT_EQ(error_of(with_author(R"({"id":"u","name":["Sam"]})")),
              "field 'author.name' must be a string");
}

TEST(message, followers_errors) {
    for (const std::string_view followers :
         {"-1", "1.5", "\"12\"", "true", "18446744073709551615", "[]", "1e3"}) {
        EXPECT_EQ(error_of(with_author(R"({"id":"u","followers":)" + std::string(followers) + "}")),
                  "field 'author.followers' must be a whole number of at least 0")
            << followers;
    }
}

TEST(message, kind_errors) {
    for (const std::string_view kind : {"tweet", "Mention", "DIRECT", "mentions", " post"}) {
        EXPECT_EQ(error_of(minimal_with(R"(,"kind":")" + std::string(kind) + "\"")),
                  "field 'kind' must be one of mention, direct, reply, comment, post")
            << kind;
    }
    EXPECT_EQ(error_of(minimal_with(R"(,"kind":3)")), "field 'kind' must be a string");
}

TEST(message, empty_kind_is_rejected) {
    const message_parse_result r = parse_message_json(minimal_with(R"(,"kind":"")"));
    EXPECT_EQ(r.error, "field 'kind' must be one of mention, direct, reply, comment, post");
}

TEST(message, created_at_errors) {
    for (const std::string_view ts :
         {"yesterday", "2026-11-22", "2026-11-22 10:00:00", "2026-13-01T00:00:00Z",
          "2026-11-22T10:00:00", "2026-11-22T25:00:00Z", "1795341600"}) {
        EXPECT_EQ(error_of(minimal_with(R"(,"created_at":")" + std::string(ts) + "\"")),
                  "field 'created_at' is not an RFC 3339 timestamp")
            << ts;
    }
    EXPECT_EQ(error_of(minimal_with(R"(,"created_at":1795341600)")),
              "field 'created_at' must be a string");
}

TEST(message, empty_created_at_is_rejected) {
    const message_parse_result r = parse_message_json(minimal_with(R"(,"created_at":"")"));
    EXPECT_EQ(r.error, "field 'created_at' is not an RFC 3339 timestamp");
}

TEST(message, other_field_type_errors) {
    EXPECT_EQ(error_of(minimal_with(R"(,"platform":5)")), "field 'platform' must be a string");
    EXPECT_EQ(error_of(minimal_with(R"(,"account":{})")), "field 'account' must be a string");
    EXPECT_EQ(error_of(minimal_with(R"(,"lang":true)")), "field 'lang' must be a string");
    EXPECT_EQ(error_of(minimal_with(R"(,"thread_id":[])")), "field 'thread_id' must be a string");
    EXPECT_EQ(error_of(minimal_with(R"(,"in_reply_to":1.5)")),
              "field 'in_reply_to' must be a string");
    EXPECT_EQ(error_of(minimal_with(R"(,"insight":false)")), "field 'insight' must be a string");
}

TEST(message, a_failed_parse_does_not_affect_the_next) {
    EXPECT_TRUE(error_of("{\"id\":").starts_with("invalid JSON: "));
    EXPECT_EQ(error_of("[1,2]"), "a message must be a JSON object");
    EXPECT_EQ(parsed(contract_example).id, "ext-123");
    EXPECT_EQ(error_of(R"({"id":"a"})"), "field 'text' is required");
    EXPECT_EQ(parsed(contract_example).author.name, "Sam Lee");
}

// --- Writing --------------------------------------------------------------------------------

TEST(message, append_json_exact_output) {
    const message m = parsed(contract_example);
    EXPECT_EQ(to_json(m),
              R"({"id":"ext-123","kind":"mention","text":"my acme toaster is broken",)"
              R"("author":{"id":"u1","handle":"sam","name":"Sam Lee","followers":120},)"
              R"("thread_id":"t-9","in_reply_to":"ext-100","created_at":"2026-11-22T10:00:00Z",)"
              R"("lang":"en","platform":"x","account":"acme-site"})");
    // Absent optionals are omitted; handle, name, platform and account are always written.
    message minimal;
    minimal.id = "a";
    minimal.author.id = "u";
    EXPECT_EQ(to_json(minimal),
              R"({"id":"a","kind":"mention","text":"","author":{"id":"u","handle":"","name":""},)"
              R"("platform":"","account":""})");
    // insight comes last.
    message answer = minimal;
    answer.insight = "organizing-apps";
    answer.kind = message_kind::comment;
    EXPECT_EQ(to_json(answer),
              R"({"id":"a","kind":"comment","text":"","author":{"id":"u","handle":"","name":""},)"
              R"("platform":"","account":"","insight":"organizing-apps"})");
}

TEST(message, append_json_appends) {
    std::string out = "prefix ";
    append_json(out, parsed(contract_example));
    EXPECT_TRUE(out.starts_with("prefix {\"id\":\"ext-123\"")) << out;
    EXPECT_TRUE(out.ends_with("}")) << out;
}

TEST(message, append_json_round_trips) {
    std::vector<message> messages;
    messages.push_back(full_message());
    messages.push_back(parsed(contract_example));
    message minimal;
    minimal.id = "a";
    minimal.author.id = "u";
    messages.push_back(minimal);
    message zero = full_message();
    zero.author.followers = 0;
    zero.lang = ""; // present but empty stays present
    static constexpr char raw[] = "nul \0 byte and \x01 control";
    zero.text = std::string(raw, sizeof(raw) - 1);
    zero.kind = message_kind::post;
    messages.push_back(zero);
    for (const auto& kind : {message_kind::mention, message_kind::direct, message_kind::reply,
                             message_kind::comment, message_kind::post}) {
        message k = minimal;
        k.kind = kind;
        messages.push_back(k);
    }
    for (const auto& m : messages) {
        const std::string json = to_json(m);
        const message_parse_result r = parse_message_json(json);
        ASSERT_TRUE(r.message.has_value()) << json << "\n" << r.error;
        EXPECT_EQ(*r.message, m) << json;
        EXPECT_EQ(to_json(*r.message), json);
        // Also valid JSON to a third-party parser.
        boost::system::error_code ec;
        (void)boost::json::parse(json, ec);
        EXPECT_FALSE(ec) << json;
    }
}

TEST(message, append_json_output_is_valid_json_with_the_contract_fields) {
    const message m = full_message();
    const boost::json::value v = boost::json::parse(to_json(m));
    const auto& o = v.as_object();
    EXPECT_EQ(o.at("id").as_string(), "ext-123");
    EXPECT_EQ(o.at("kind").as_string(), "reply");
    EXPECT_EQ(o.at("text").as_string(), m.text);
    EXPECT_EQ(o.at("author").at("followers").as_int64(), 120);
    EXPECT_EQ(o.at("created_at").as_string(), "2026-11-22T10:00:00Z");
    EXPECT_EQ(o.at("insight").as_string(), "organizing-apps");
    EXPECT_EQ(o.size(), 11U);
}

TEST(message, invalid_utf8_text_is_written_as_valid_json) {
    message m = parsed(contract_example);
    m.text = "bad \xff byte";
    const std::string json = to_json(m);
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(json, ec);
    ASSERT_FALSE(ec) << json;
    EXPECT_EQ(v.at("text").as_string(), "bad \xEF\xBF\xBD byte");
}

// --- Author ---------------------------------------------------------------------------------

TEST(message, author_display_name_and_first_name) {
    author a;
    a.handle = "sam";
    a.name = "Sam Lee";
    EXPECT_EQ(a.display_name(), "Sam Lee");
    EXPECT_EQ(a.first_name(), "Sam");
    a.name = "Madonna";
    EXPECT_EQ(a.display_name(), "Madonna");
    EXPECT_EQ(a.first_name(), "Madonna");
    a.name = "  Ana\tMaria Souza ";
    EXPECT_EQ(a.first_name(), "Ana");
    a.name = "Zo\xC3\xAB Kravitz";
    EXPECT_EQ(a.first_name(), "Zo\xC3\xAB");
    a.name = "";
    EXPECT_EQ(a.display_name(), "sam");
    EXPECT_EQ(a.first_name(), "sam");
    a.name = " \t ";
    EXPECT_EQ(a.first_name(), "sam");
    a.handle = "";
    a.name = "";
    EXPECT_EQ(a.display_name(), "");
    EXPECT_EQ(a.first_name(), "");
}

TEST(message, equality_covers_every_field) {
    const message base = full_message();
    EXPECT_EQ(base, full_message());
    std::vector<message> changed(12, base);
    changed[0].id = "other";
    changed[1].kind = message_kind::post;
    changed[2].text = "other";
    changed[3].author.id = "other";
    changed[4].author.followers = std::nullopt;
    changed[5].thread_id = std::nullopt;
    changed[6].in_reply_to = "other";
    changed[7].created_at = std::nullopt;
    changed[8].lang = "de";
    changed[9].platform = "mastodon";
    changed[10].account = "other";
    changed[11].insight = std::nullopt;
    for (std::size_t i = 0; i < changed.size(); ++i) {
        EXPECT_NE(changed[i], base) << i;
    }
}

} // namespace
} // namespace rapport::rules
