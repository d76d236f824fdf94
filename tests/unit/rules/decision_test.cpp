#include "rules/decision.hpp"

#include "rules/json_text.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {
namespace {

using namespace std::chrono_literals;

std::string to_json(const decision& d) {
    std::string out;
    append_json(out, d);
    return out;
}

std::string json_string(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

// The CONTRACT §7 example as a value.
decision contract_decision() {
    decision d;
    d.message_id = "ext-123";
    d.sentiment = -2;
    d.tags = {"complaint"};
    d.matched = {"acme-core/complaint"};
    draft_spec draft;
    draft.rule = "acme-core/complaint";
    draft.kind = draft_kind::reply;
    draft.team = "support";
    draft.priority = priority::high;
    draft.text = "Hi Sam Lee, sorry about that. Could you DM us your order number?";
    draft.is_private = false;
    draft.too_long = false;
    d.drafts = {draft};
    d.sla = 3600s;
    return d;
}

// A decision with every part filled in.
decision full_decision() {
    decision d;
    d.message_id = "ext-7";
    d.sentiment = 4;
    d.tags = {"fan", "answer"};
    d.matched = {"acme-core/delight", "acme-core/answers", "acme-core/late"};
    draft_spec offer;
    offer.rule = "acme-core/delight";
    offer.kind = draft_kind::offer;
    offer.team = "growth";
    offer.priority = priority::urgent;
    offer.text = "Here's an early look: {{offer.code}}";
    offer.is_private = true;
    offer.too_long = true;
    offer.offer = "acme-core/sneak-peek";
    draft_spec thanks;
    thanks.rule = "acme-core/answers";
    thanks.kind = draft_kind::thanks;
    thanks.priority = priority::low;
    thanks.text = "Thanks!";
    d.drafts = {offer, thanks};
    d.collect = {"organizing-apps", "colours"};
    d.sla = 90min;
    d.skipped = {{"acme-core/late", "budget"}, {"acme-core/later", "pool_empty"}};
    return d;
}

// --- append_json ----------------------------------------------------------------------------

TEST(decision, contract_example_exact_output) {
    EXPECT_EQ(to_json(contract_decision()),
              R"({"message_id":"ext-123","sentiment":-2,"tags":["complaint"],)"
              R"("matched":["acme-core/complaint"],)"
              R"("drafts":[{"rule":"acme-core/complaint","kind":"reply","team":"support",)"
              R"("priority":"high",)"
              R"("text":"Hi Sam Lee, sorry about that. Could you DM us your order number?",)"
              R"("private":false,"too_long":false}],)"
              R"("collect":[],"sla_seconds":3600})");
}

TEST(decision, full_decision_exact_output) {
    EXPECT_EQ(to_json(full_decision()),
              R"({"message_id":"ext-7","sentiment":4,"tags":["fan","answer"],)"
              R"("matched":["acme-core/delight","acme-core/answers","acme-core/late"],)"
              R"("drafts":[)"
              R"({"rule":"acme-core/delight","kind":"offer","team":"growth","priority":"urgent",)"
              R"("text":"Here's an early look: {{offer.code}}","private":true,"too_long":true,)"
              R"("offer":"sneak-peek"},)"
              R"({"rule":"acme-core/answers","kind":"thanks","team":null,"priority":"low",)"
              R"("text":"Thanks!","private":false,"too_long":false}],)"
              R"("collect":["organizing-apps","colours"],"sla_seconds":5400,)"
              R"("skipped":[{"rule":"acme-core/late","reason":"budget"},)"
              R"({"rule":"acme-core/later","reason":"pool_empty"}]})");
}

TEST(decision, empty_decision) {
    decision d;
    d.message_id = "m";
    EXPECT_EQ(to_json(d), R"({"message_id":"m","sentiment":0,"tags":[],"matched":[],"drafts":[],)"
                          R"("collect":[],"sla_seconds":null})");
}

TEST(decision, null_team_and_sla) {
    decision d = contract_decision();
    d.drafts[0].team = std::nullopt;
    d.sla = std::nullopt;
    const std::string json = to_json(d);
    EXPECT_NE(json.find(R"("kind":"reply","team":null,"priority":"high")"), std::string::npos)
        << json;
    EXPECT_TRUE(json.ends_with(R"("collect":[],"sla_seconds":null})")) << json;
}

TEST(decision, sla_in_whole_seconds) {
    decision d = contract_decision();
    d.sla = 0s;
    EXPECT_TRUE(to_json(d).ends_with(R"("sla_seconds":0})"));
    d.sla = 30 * 24h;
    EXPECT_TRUE(to_json(d).ends_with(R"("sla_seconds":2592000})"));
}

TEST(decision, skipped_only_when_not_empty) {
    decision d = contract_decision();
    EXPECT_EQ(to_json(d).find("skipped"), std::string::npos);
    d.skipped = {{"acme-core/delight", "cooldown"}};
    EXPECT_TRUE(to_json(d).ends_with(
        R"("sla_seconds":3600,"skipped":[{"rule":"acme-core/delight","reason":"cooldown"}]})"))
        << to_json(d);
}

TEST(decision, offer_only_on_offer_drafts_and_unqualified) {
    decision d = contract_decision();
    EXPECT_EQ(to_json(d).find("\"offer\""), std::string::npos);
    d.drafts[0].kind = draft_kind::offer;
    d.drafts[0].offer = "acme-core/sneak-peek";
    EXPECT_NE(to_json(d).find(R"("too_long":false,"offer":"sneak-peek"})"), std::string::npos)
        << to_json(d);
    d.drafts[0].offer = "sneak-peek"; // already unqualified
    EXPECT_NE(to_json(d).find(R"("offer":"sneak-peek"})"), std::string::npos);
}

TEST(decision, unqualified_names) {
    EXPECT_EQ(unqualified("acme-core/sneak-peek"), "sneak-peek");
    EXPECT_EQ(unqualified("sneak-peek"), "sneak-peek");
    EXPECT_EQ(unqualified("a/b/c"), "c");
    EXPECT_EQ(unqualified("acme-core/"), "");
    EXPECT_EQ(unqualified(""), "");
}

TEST(decision, every_draft_kind_and_priority) {
    EXPECT_EQ(to_string(draft_kind::reply), "reply");
    EXPECT_EQ(to_string(draft_kind::offer), "offer");
    EXPECT_EQ(to_string(draft_kind::thanks), "thanks");
    EXPECT_EQ(to_string(draft_kind::insight_question), "insight_question");
    EXPECT_EQ(to_string(priority::low), "low");
    EXPECT_EQ(to_string(priority::normal), "normal");
    EXPECT_EQ(to_string(priority::high), "high");
    EXPECT_EQ(to_string(priority::urgent), "urgent");
    for (const auto p : {priority::low, priority::normal, priority::high, priority::urgent}) {
        EXPECT_EQ(parse_priority(to_string(p)), p);
    }
    EXPECT_EQ(parse_priority("High"), std::nullopt);
    EXPECT_EQ(parse_priority(""), std::nullopt);
    EXPECT_EQ(parse_priority("critical"), std::nullopt);

    decision d = contract_decision();
    d.drafts[0].kind = draft_kind::insight_question;
    d.drafts[0].priority = priority::normal;
    EXPECT_NE(to_json(d).find(R"("kind":"insight_question","team":"support","priority":"normal")"),
              std::string::npos)
        << to_json(d);
}

TEST(decision, append_json_appends) {
    std::string out = "[";
    append_json(out, contract_decision());
    out += ",";
    append_json(out, contract_decision());
    out += "]";
    const boost::json::value v = boost::json::parse(out);
    ASSERT_TRUE(v.is_array());
    EXPECT_EQ(v.as_array().size(), 2U);
}

TEST(decision, output_parses_and_keeps_the_key_order) {
    const std::string json = to_json(full_decision());
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(json, ec);
    ASSERT_FALSE(ec) << json;
    const auto& o = v.as_object();
    const std::vector<std::string_view> keys = {"message_id",  "sentiment", "tags",
                                                "matched",     "drafts",    "collect",
                                                "sla_seconds", "skipped"};
    ASSERT_EQ(o.size(), keys.size());
    std::size_t i = 0;
    for (const auto& kv : o) {
        EXPECT_EQ(kv.key(), keys[i]) << i;
        ++i;
    }
    EXPECT_EQ(o.at("sentiment").as_int64(), 4);
    EXPECT_EQ(o.at("sla_seconds").as_int64(), 5400);
    const auto& drafts = o.at("drafts").as_array();
    ASSERT_EQ(drafts.size(), 2U);
    const std::vector<std::string_view> draft_keys = {"rule", "kind",    "team",     "priority",
                                                      "text", "private", "too_long", "offer"};
    i = 0;
    for (const auto& kv : drafts[0].as_object()) {
        ASSERT_LT(i, draft_keys.size());
        EXPECT_EQ(kv.key(), draft_keys[i]) << i;
        ++i;
    }
    EXPECT_EQ(i, draft_keys.size());
    EXPECT_EQ(drafts[0].at("offer").as_string(), "sneak-peek");
    EXPECT_TRUE(drafts[0].at("private").as_bool());
    EXPECT_TRUE(drafts[1].at("team").is_null());
    EXPECT_EQ(drafts[1].as_object().size(), 7U);
    EXPECT_EQ(o.at("skipped").as_array()[1].at("reason").as_string(), "pool_empty");
}

TEST(decision, equality_covers_every_field) {
    const decision base = full_decision();
    EXPECT_EQ(base, full_decision());
    std::vector<decision> changed(16, base);
    changed[0].message_id = "x";
    changed[1].sentiment = 0;
    changed[2].tags.pop_back();
    changed[3].matched.clear();
    changed[4].drafts.pop_back();
    changed[5].collect.clear();
    changed[6].sla = std::nullopt;
    changed[7].skipped.clear();
    changed[8].drafts[0].rule = "x";
    changed[9].drafts[0].kind = draft_kind::reply;
    changed[10].drafts[0].team = std::nullopt;
    changed[11].drafts[0].priority = priority::low;
    changed[12].drafts[0].text = "x";
    changed[13].drafts[0].is_private = false;
    changed[14].drafts[0].too_long = false;
    changed[15].drafts[0].offer = std::nullopt;
    for (std::size_t i = 0; i < changed.size(); ++i) {
        EXPECT_NE(changed[i], base) << i;
    }
}

// --- JSON escaping --------------------------------------------------------------------------

TEST(decision, json_string_escapes) {
    EXPECT_EQ(json_string(""), R"("")");
    EXPECT_EQ(json_string("plain text / slash"), R"("plain text / slash")");
    EXPECT_EQ(json_string("say \"hi\""), R"("say \"hi\"")");
    EXPECT_EQ(json_string("back\\slash"), R"("back\\slash")");
    EXPECT_EQ(json_string("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
    EXPECT_EQ(json_string(std::string_view("nul\0!", 5)), R"("nul\u0000!")");
    EXPECT_EQ(json_string("\x01\x1f\x0b"), R"("\u0001\u001f\u000b")");
    EXPECT_EQ(json_string("del \x7f stays"), "\"del \x7f stays\"");
}

TEST(decision, json_string_passes_valid_utf8) {
    for (const std::string_view s :
         {"caf\xC3\xA9", "\xE2\x82\xAC 5", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
          "\xE2\x80\xA8 line separator", "\xEF\xBB\xBF bom", "\xED\x9F\xBF"}) {
        EXPECT_EQ(json_string(s), "\"" + std::string(s) + "\"");
    }
}

TEST(decision, json_string_replaces_invalid_utf8) {
    constexpr std::string_view fffd = "\xEF\xBF\xBD";
    const auto replaced = [&](std::string_view inner) { return "\"" + std::string(inner) + "\""; };
    // A byte that never starts a sequence.
    EXPECT_EQ(json_string("a\xFF"
                          "b"),
              replaced("a" + std::string(fffd) + "b"));
    EXPECT_EQ(json_string("\xF5"), replaced(fffd));
    // A lone continuation byte.
    EXPECT_EQ(json_string("\x80"), replaced(fffd));
    // Overlong encodings (C0 AF is '/'; E0 80 AF too).
    EXPECT_EQ(json_string("\xC0\xAF"), replaced(std::string(fffd) + std::string(fffd)));
    EXPECT_EQ(json_string("\xC1\xBF"), replaced(std::string(fffd) + std::string(fffd)));
    // A surrogate (U+D800) and a code point past U+10FFFF.
    EXPECT_EQ(json_string("\xED\xA0\x80").find(fffd), 1U);
    EXPECT_EQ(json_string("\xED\xA0\x80").find("\xED"), std::string::npos);
    EXPECT_EQ(json_string("\xF4\x90\x80\x80").find("\xF4"), std::string::npos);
    // Truncated sequences, mid-string and at the end; valid text around them survives.
    for (const std::string_view s :
         {std::string_view("x\xE2\x82y"), std::string_view("x\xE2\x82"),
          std::string_view("\xF0\x9F\x98"), std::string_view("ok \xC3")}) {
        const std::string out = json_string(s);
        EXPECT_NE(out.find(fffd), std::string::npos) << out;
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(out, ec);
        EXPECT_FALSE(ec) << out;
    }
    EXPECT_EQ(json_string("x\xE2\x82y").front(), '"');
    EXPECT_TRUE(json_string("x\xE2\x82y").starts_with("\"x\xEF\xBF\xBD"));
    EXPECT_TRUE(json_string("x\xE2\x82y").ends_with("\xEF\xBF\xBDy\""));
    // A valid sequence right after an invalid byte is kept.
    EXPECT_EQ(json_string("\xFF\xC3\xA9"), replaced(std::string(fffd) + "\xC3\xA9"));
}

TEST(decision, json_string_output_always_parses_back) {
    std::vector<std::string> inputs = {
        "say \"hi\" \\ \n\t\r\b\f",
        std::string("\0\x01\x02\x1f", 4),
        "caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x80\xA8",
        "{\"json\": [1, 2]}",
    };
    // Every single byte value, alone and between letters.
    for (int b = 0; b < 256; ++b) {
        inputs.push_back(std::string(1, static_cast<char>(b)));
        inputs.push_back("a" + std::string(1, static_cast<char>(b)) + "z");
    }
    for (const auto& s : inputs) {
        const std::string out = json_string(s);
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(out, ec);
        ASSERT_FALSE(ec) << "output not JSON for input bytes of size " << s.size() << ": " << out;
        ASSERT_TRUE(v.is_string());
        const auto& parsed = v.as_string();
        const bool valid_in = std::all_of(
            s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
        if (valid_in) { // ASCII comes back byte for byte
            EXPECT_EQ(std::string_view(parsed.data(), parsed.size()), s);
        }
    }
    // Valid UTF-8 comes back unchanged.
    const std::string text = "caf\xC3\xA9 \"q\" \\ \n \xF0\x9F\x98\x80";
    EXPECT_EQ(boost::json::parse(json_string(text)).as_string(), text);
}

TEST(decision, escaping_inside_a_decision) {
    decision d;
    d.message_id = "id\"1";
    d.tags = {"a\\b"};
    d.matched = {"pb/r"};
    draft_spec draft;
    draft.rule = "pb/r";
    draft.text = "line1\nline2 \"quoted\" \x01 bad\xFF";
    d.drafts = {draft};
    const std::string json = to_json(d);
    EXPECT_EQ(json,
              "{\"message_id\":\"id\\\"1\",\"sentiment\":0,\"tags\":[\"a\\\\b\"],"
              "\"matched\":[\"pb/r\"],\"drafts\":[{\"rule\":\"pb/r\",\"kind\":\"reply\","
              "\"team\":null,\"priority\":\"normal\","
              "\"text\":\"line1\\nline2 \\\"quoted\\\" \\u0001 bad\xEF\xBF\xBD\","
              "\"private\":false,\"too_long\":false}],\"collect\":[],\"sla_seconds\":null}");
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(json, ec);
    ASSERT_FALSE(ec) << json;
    EXPECT_EQ(v.at("message_id").as_string(), "id\"1");
    EXPECT_EQ(v.at("drafts").as_array()[0].at("text").as_string(),
              "line1\nline2 \"quoted\" \x01 bad\xEF\xBF\xBD");
}

} // namespace
} // namespace rapport::rules
