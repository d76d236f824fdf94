// How Meta's notifications become Messages (or are ignored), the signature and verification
// checks, and the Graph API bodies (PLATFORMS.md §5, adapters/meta/wire.hpp). Notifications
// come from tests/data/meta.
#include "adapters/meta/wire.hpp"
#include "tests/support/read_file.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <map>

namespace rapport::adapters::meta {
namespace {

const own_ids own{"104510662458730", "17841405309211844"};
constexpr const char* app_secret = "test_app_secret";
constexpr const char* verify_token = "verify-me_0123";

std::string fixture(const std::string& name) {
    const auto text =
        rapport::testing::read_file(std::string(RAPPORT_SOURCE_DIR) + "/tests/data/meta/" + name);
    EXPECT_TRUE(text) << name;
    return text.value_or("");
}

notification parse(const std::string& name) {
    return parse_notification(fixture(name), "acme-meta", own);
}

TEST(meta_wire, the_signature_is_hmac_sha256_of_the_raw_body_with_the_app_secret) {
    // PLATFORMS.md §5b's worked example.
    const std::string body = R"({"object":"page","entry":[]})";
    const std::string expected =
        "sha256=5da47c9c7409e70d7a1851f0cfd9bc27786bd99587a9bf1dd5b51e23a2de03cf";
    EXPECT_EQ(sign(app_secret, body), expected);
    EXPECT_EQ(check_signature(app_secret, expected, body), signature_problem::none);
    std::string upper = expected;
    for (std::size_t i = 7; i < upper.size(); ++i) {
        upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
    }
    EXPECT_EQ(check_signature(app_secret, upper, body), signature_problem::none);
    // One byte changed anywhere: the body, the secret, the signature.
    EXPECT_EQ(check_signature(app_secret, expected, body + " "), signature_problem::mismatch);
    EXPECT_EQ(check_signature("other", expected, body), signature_problem::mismatch);
    EXPECT_EQ(check_signature("", sign("", body), body), signature_problem::mismatch);
    EXPECT_EQ(check_signature(app_secret, std::nullopt, body), signature_problem::missing);
    EXPECT_EQ(check_signature(app_secret, "", body), signature_problem::missing);
    // The legacy SHA-1 header's form, a short digest, a non-hex digit: malformed.
    EXPECT_EQ(check_signature(app_secret, "sha1=0123", body), signature_problem::malformed);
    EXPECT_EQ(check_signature(app_secret, expected.substr(0, 70), body),
              signature_problem::malformed);
    EXPECT_EQ(check_signature(app_secret, expected.substr(0, 70) + "g", body),
              signature_problem::malformed);
}

TEST(meta_wire, a_messenger_message_is_direct_with_our_id_form) {
    const auto n = parse("messenger_message.json");
    ASSERT_TRUE(n.invalid.empty()) << n.invalid;
    EXPECT_TRUE(n.ignored.empty());
    ASSERT_EQ(n.messages.size(), 1u);
    const rules::message& m = n.messages.front();
    EXPECT_EQ(m.id, "messenger:104510662458730:m_Yx8b1G0kQ3nQh2S7fN6oZ8s1vWcE2aJkT4rLp9dUe0xHq5m3");
    EXPECT_EQ(m.kind, rules::message_kind::direct);
    // Meta's \u escapes are text once parsed.
    EXPECT_EQ(m.text, "Hi, my toaster is broken \xE2\x80\x94 the caf\xC3\xA9 model. Can you help?");
    EXPECT_EQ(m.author.id, "6834521987654321");
    EXPECT_EQ(m.author.name, "");
    EXPECT_EQ(m.thread_id, "messenger:104510662458730:6834521987654321");
    EXPECT_FALSE(m.in_reply_to);
    // Messenger's timestamp is in milliseconds.
    EXPECT_EQ(m.created_at, rules::parse_timestamp("2026-11-22T10:01:00Z"));
    EXPECT_EQ(m.platform, "meta");
    EXPECT_EQ(m.account, "acme-meta");
}

TEST(meta_wire, echoes_of_our_own_sends_are_ignored) {
    auto n = parse("messenger_echo.json");
    EXPECT_TRUE(n.messages.empty());
    EXPECT_EQ(n.ignored, std::vector<std::string>{"echo"});
    // Without is_echo, a message from the Page itself is still ours.
    std::string body = fixture("messenger_echo.json");
    body.replace(body.find("\"is_echo\": true,"), 16, "");
    n = parse_notification(body, "acme-meta", own);
    EXPECT_EQ(n.ignored, std::vector<std::string>{"echo"});
    // Even with no page_id configured: entry.id names the Page.
    n = parse_notification(body, "acme-meta", own_ids{});
    EXPECT_EQ(n.ignored, std::vector<std::string>{"echo"});
}

TEST(meta_wire, a_batch_yields_every_message_and_names_every_ignored_item) {
    const auto n = parse("messenger_batch.json");
    ASSERT_EQ(n.messages.size(), 2u);
    EXPECT_EQ(n.messages[0].text, "The lid is broken too");
    EXPECT_EQ(n.messages[0].in_reply_to,
              "messenger:104510662458730:m_Yx8b1G0kQ3nQh2S7fN6oZ8s1vWcE2aJkT4rLp9dUe0xHq5m3");
    EXPECT_EQ(n.messages[1].author.id, "5512098765432109");
    EXPECT_EQ(n.messages[1].thread_id, "messenger:104510662458730:5512098765432109");
    EXPECT_EQ(n.ignored, (std::vector<std::string>{"delivery", "read", "no_text"}));
}

TEST(meta_wire, an_instagram_dm_is_direct_from_the_instagram_account) {
    const auto n = parse("instagram_dm.json");
    ASSERT_EQ(n.messages.size(), 1u);
    const rules::message& m = n.messages.front();
    EXPECT_EQ(m.id.rfind("instagram:17841405309211844:aWdfZAG1faXRlbT", 0), 0u) << m.id;
    EXPECT_EQ(m.kind, rules::message_kind::direct);
    EXPECT_EQ(m.author.id, "7421985536712398");
    EXPECT_EQ(m.thread_id, "instagram:17841405309211844:7421985536712398");
}

TEST(meta_wire, an_instagram_comment_is_a_comment_on_its_media_thread) {
    const auto n = parse("instagram_comment.json");
    ASSERT_EQ(n.messages.size(), 1u) << (n.ignored.empty() ? "" : n.ignored.front());
    const rules::message& m = n.messages.front();
    EXPECT_EQ(m.id, "instagram-comment:17841405309211844:17865799348089039");
    EXPECT_EQ(m.kind, rules::message_kind::comment);
    EXPECT_EQ(m.text, "the handle on mine is broken already");
    EXPECT_EQ(m.author.id, "7421985536712398");
    EXPECT_EQ(m.author.handle, "lina.makes");
    EXPECT_EQ(m.thread_id, "instagram-media:17841405309211844:17895695668004550");
    EXPECT_EQ(m.in_reply_to, "instagram-comment:17841405309211844:17858893269000001");
    // No creation time in the value: the notification's, in seconds here.
    EXPECT_EQ(m.created_at, rules::parse_timestamp("2026-11-22T10:01:00Z"));
    // The account's own comment is an echo.
    std::string own_comment = fixture("instagram_comment.json");
    own_comment.replace(own_comment.find("7421985536712398"), 16, "17841405309211844");
    EXPECT_EQ(parse_notification(own_comment, "acme-meta", own).ignored,
              std::vector<std::string>{"echo"});
}

TEST(meta_wire, an_instagram_mention_carries_no_text_and_is_ignored) {
    const auto n = parse("instagram_mention.json");
    EXPECT_TRUE(n.messages.empty());
    EXPECT_EQ(n.ignored, std::vector<std::string>{"mention_without_text"});
}

TEST(meta_wire, a_page_feed_comment_is_a_comment_on_its_post) {
    const auto n = parse("facebook_feed_comment.json");
    ASSERT_EQ(n.messages.size(), 1u);
    const rules::message& m = n.messages.front();
    EXPECT_EQ(m.id, "facebook-comment:104510662458730:122112233445566_998877665544332");
    EXPECT_EQ(m.kind, rules::message_kind::comment);
    EXPECT_EQ(m.author.id, "3344556677889900");
    EXPECT_EQ(m.author.name, "Jonas Weber");
    EXPECT_EQ(m.thread_id, "facebook-post:104510662458730:104510662458730_122112233445566");
    EXPECT_FALSE(m.in_reply_to); // its parent is the post
    EXPECT_EQ(m.created_at, rules::parse_timestamp("2026-11-22T10:01:00Z"));

    // A reply in a comment thread points at its parent comment.
    std::string reply = fixture("facebook_feed_comment.json");
    reply.replace(reply.find(R"("parent_id": "104510662458730_122112233445566")"), 46,
                  R"("parent_id": "122112233445566_111111111111111")");
    auto r = parse_notification(reply, "acme-meta", own);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].in_reply_to,
              "facebook-comment:104510662458730:122112233445566_111111111111111");
    EXPECT_EQ(r.messages[0].kind, rules::message_kind::comment);

    // Edits, removals, likes, other feed items, the Page's own comments.
    std::map<std::string, std::string> variants{
        {R"("verb": "edited")", "edited"},
        {R"("verb": "remove")", "not_added"},
    };
    for (const auto& [verb, reason] : variants) {
        std::string body = fixture("facebook_feed_comment.json");
        body.replace(body.find(R"("verb": "add")"), 13, verb);
        EXPECT_EQ(parse_notification(body, "acme-meta", own).ignored,
                  std::vector<std::string>{reason});
    }
    std::string like = fixture("facebook_feed_comment.json");
    like.replace(like.find(R"("item": "comment")"), 17, R"("item": "reaction")");
    EXPECT_EQ(parse_notification(like, "acme-meta", own).ignored,
              std::vector<std::string>{"reaction"});
    std::string status = fixture("facebook_feed_comment.json");
    status.replace(status.find(R"("item": "comment")"), 17, R"("item": "status")");
    EXPECT_EQ(parse_notification(status, "acme-meta", own).ignored,
              std::vector<std::string>{"unsupported_item"});
    std::string anonymous = fixture("facebook_feed_comment.json");
    anonymous.replace(
        anonymous.find(R"("from": {"id": "3344556677889900", "name": "Jonas Weber"},)"), 58, "");
    EXPECT_EQ(parse_notification(anonymous, "acme-meta", own).ignored,
              std::vector<std::string>{"no_author"});
    std::string by_page = fixture("facebook_feed_comment.json");
    by_page.replace(by_page.find("3344556677889900"), 16, "104510662458730");
    EXPECT_EQ(parse_notification(by_page, "acme-meta", own).ignored,
              std::vector<std::string>{"echo"});
}

TEST(meta_wire, a_page_mention_with_text_is_a_mention) {
    const std::string body = R"({"object":"page","entry":[{"id":"104510662458730","time":1795341670,
        "changes":[{"field":"mention","value":{"item":"comment","verb":"add",
        "post_id":"200300400_500600700","comment_id":"500600700_900","sender_id":"42",
        "sender_name":"Ines","message":"@Acme mine is broken","created_time":1795341670}},
        {"field":"mention","value":{"item":"post","verb":"add","post_id":"200300400_500600701",
        "sender_id":"43","sender_name":"Ole","message":"loving my @Acme kettle"}},
        {"field":"mention","value":{"item":"post","verb":"add","post_id":"200300400_500600702",
        "sender_id":"44"}}]}]})";
    const auto n = parse_notification(body, "acme-meta", own);
    ASSERT_EQ(n.messages.size(), 2u);
    EXPECT_EQ(n.messages[0].id, "facebook-comment:104510662458730:500600700_900");
    EXPECT_EQ(n.messages[0].kind, rules::message_kind::mention);
    EXPECT_EQ(n.messages[0].author.name, "Ines");
    EXPECT_EQ(n.messages[0].thread_id, "facebook-post:104510662458730:200300400_500600700");
    EXPECT_EQ(n.messages[1].id, "facebook-post:104510662458730:200300400_500600701");
    EXPECT_EQ(n.ignored, std::vector<std::string>{"mention_without_text"});
}

TEST(meta_wire, a_whatsapp_message_names_its_number_and_its_sender) {
    const auto n = parse("whatsapp_message.json");
    ASSERT_EQ(n.messages.size(), 1u);
    const rules::message& m = n.messages.front();
    EXPECT_EQ(m.id,
              "whatsapp:106540352242922:"
              "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=");
    EXPECT_EQ(m.kind, rules::message_kind::direct);
    EXPECT_EQ(m.text, "Hello! My kettle is broken, can I get a replacement?");
    EXPECT_EQ(m.author.id, "16505551234");
    EXPECT_EQ(m.author.name, "Sheena Nelson");
    EXPECT_EQ(m.thread_id, "whatsapp:106540352242922:16505551234");
    EXPECT_EQ(m.created_at, rules::parse_timestamp("2026-11-22T10:01:00Z"));

    // A reply to one of ours keeps its context; captions count as text; reactions do not.
    const std::string more = R"({"object":"whatsapp_business_account","entry":[{"id":"1",
        "changes":[{"field":"messages","value":{"messaging_product":"whatsapp",
        "metadata":{"phone_number_id":"106540352242922"},
        "messages":[
          {"from":"16505551234","id":"wamid.A","timestamp":"1795341667","type":"text",
           "text":{"body":"still broken"},"context":{"from":"15550783881","id":"wamid.OURS"}},
          {"from":"16505551234","id":"wamid.B","timestamp":"1795341667","type":"image",
           "image":{"caption":"see, broken","mime_type":"image/jpeg","id":"1"}},
          {"from":"16505551234","id":"wamid.C","timestamp":"1795341667","type":"reaction",
           "reaction":{"message_id":"wamid.OURS","emoji":"\ud83d\udc4d"}},
          {"from":"16505551234","id":"wamid.D","timestamp":"1795341667","type":"sticker",
           "sticker":{"id":"2"}},
          {"from":"16505551234","id":"wamid.E","timestamp":"1795341667","type":"text",
           "group_id":"g1","text":{"body":"group chat"}}]}}]}]})";
    const auto r = parse_notification(more, "acme-meta", own);
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(r.messages[0].in_reply_to, "whatsapp:106540352242922:wamid.OURS");
    EXPECT_EQ(r.messages[0].author.name, ""); // no contacts[] in this one
    EXPECT_EQ(r.messages[1].text, "see, broken");
    EXPECT_EQ(r.ignored, (std::vector<std::string>{"reaction", "no_text", "group_message"}));
}

TEST(meta_wire, whatsapp_statuses_and_other_objects_are_acknowledged_and_ignored) {
    auto n = parse("whatsapp_status.json");
    EXPECT_TRUE(n.messages.empty());
    EXPECT_EQ(n.ignored, std::vector<std::string>{"status"});
    n = parse("unsupported_object.json");
    EXPECT_TRUE(n.invalid.empty());
    EXPECT_EQ(n.ignored, std::vector<std::string>{"unsupported_object"});
    n = parse_notification(R"({"object":"page","entry":[]})", "acme-meta", own);
    EXPECT_TRUE(n.invalid.empty());
    EXPECT_TRUE(n.messages.empty());
    EXPECT_TRUE(n.ignored.empty());
}

TEST(meta_wire, what_is_not_a_notification_is_invalid) {
    for (const char* body : {"", "{", "[]", R"({"object":"page"})", R"({"entry":[]})",
                             R"({"object":"page","entry":{}})"}) {
        EXPECT_FALSE(parse_notification(body, "acme-meta", own).invalid.empty()) << body;
    }
    // An item without the ids a message needs does not hold back the rest of the batch.
    const auto n = parse_notification(
        R"({"object":"page","entry":[{"id":"104510662458730","messaging":[
            {"recipient":{"id":"104510662458730"},"message":{"mid":"m_1","text":"hi"}},
            {"sender":{"id":"9"},"recipient":{"id":"104510662458730"},
             "message":{"mid":"m_2","text":"broken"}}]}, 7]})",
        "acme-meta", own);
    EXPECT_EQ(n.messages.size(), 1u);
    EXPECT_EQ(n.ignored, (std::vector<std::string>{"malformed", "malformed"}));
    // An owner id that could not be told apart from the rest of our id form (found by fuzzing).
    const auto colon = parse_notification(
        R"({"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"9"},
            "recipient":{"id":":104510662458730"},"message":{"mid":"m_3","text":"broken"}}]}]})",
        "acme-meta", own);
    EXPECT_TRUE(colon.messages.empty());
    EXPECT_EQ(colon.ignored, std::vector<std::string>{"malformed"});
}

webhook_request request_of(std::string_view method,
                           std::string_view body,
                           std::map<std::string, std::string> headers,
                           std::map<std::string, std::string> query) {
    webhook_request r;
    r.method = method;
    r.body = body;
    r.header = [headers](std::string_view name) -> std::optional<std::string_view> {
        for (const auto& [k, v] : headers) {
            if (k.size() == name.size() &&
                std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) ==
                           std::tolower(static_cast<unsigned char>(b));
                })) {
                // The map outlives the request in these tests.
                return std::string_view(v);
            }
        }
        return std::nullopt;
    };
    r.query = [query](std::string_view name) -> std::optional<std::string_view> {
        const auto it = query.find(std::string(name));
        return it == query.end() ? std::nullopt : std::optional<std::string_view>(it->second);
    };
    r.now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return r;
}

TEST(meta_wire, the_verification_get_echoes_the_challenge_only_for_our_token) {
    const hook_reader reader("acme-meta", app_secret, verify_token, own);
    const std::map<std::string, std::string> good{{"hub.mode", "subscribe"},
                                                  {"hub.challenge", "1158201444"},
                                                  {"hub.verify_token", verify_token}};
    auto r = reader.read(request_of("GET", "", {}, good));
    ASSERT_EQ(r.what, webhook_result::outcome::answer);
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type, "text/plain");
    EXPECT_EQ(r.body, "1158201444");

    auto wrong = good;
    wrong["hub.verify_token"] = "verify-me_0124";
    r = reader.read(request_of("GET", "", {}, wrong));
    EXPECT_EQ(r.what, webhook_result::outcome::forbidden);
    EXPECT_EQ(r.reason, "bad_verify_token");
    EXPECT_EQ(r.detail.find(verify_token), std::string::npos);
    wrong.erase("hub.verify_token");
    r = reader.read(request_of("GET", "", {}, wrong));
    EXPECT_EQ(r.what, webhook_result::outcome::forbidden);
    EXPECT_EQ(r.reason, "missing_verify_token");
    auto mode = good;
    mode["hub.mode"] = "unsubscribe";
    r = reader.read(request_of("GET", "", {}, mode));
    EXPECT_EQ(r.what, webhook_result::outcome::forbidden);
    EXPECT_EQ(r.reason, "bad_verify_mode");
    auto no_challenge = good;
    no_challenge.erase("hub.challenge");
    EXPECT_EQ(reader.read(request_of("GET", "", {}, no_challenge)).what,
              webhook_result::outcome::invalid);
}

TEST(meta_wire, a_post_is_read_only_with_a_good_signature) {
    const hook_reader reader("acme-meta", app_secret, verify_token, own);
    const std::string body = fixture("messenger_batch.json");
    auto r = reader.read(
        request_of("POST", body, {{"X-Hub-Signature-256", sign(app_secret, body)}}, {}));
    ASSERT_EQ(r.what, webhook_result::outcome::messages);
    EXPECT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(r.ignored.size(), 3u);

    r = reader.read(request_of("POST", body, {}, {}));
    EXPECT_EQ(r.what, webhook_result::outcome::rejected);
    EXPECT_EQ(r.reason, "missing_signature");
    r = reader.read(
        request_of("POST", body + "\n", {{"x-hub-signature-256", sign(app_secret, body)}}, {}));
    EXPECT_EQ(r.what, webhook_result::outcome::rejected);
    EXPECT_EQ(r.reason, "bad_signature");
    EXPECT_TRUE(r.messages.empty());
    // Signed but not a notification: 400.
    r = reader.read(
        request_of("POST", "{}", {{"X-Hub-Signature-256", sign(app_secret, "{}")}}, {}));
    EXPECT_EQ(r.what, webhook_result::outcome::invalid);
    EXPECT_EQ(reader.read(request_of("PUT", body, {}, {})).what,
              webhook_result::outcome::method_not_allowed);
}

TEST(meta_wire, ids_split_back_into_surface_owner_and_item) {
    const auto ref = split_id("messenger:104510662458730:mid.1457764197618:41d102a3e1ae206a38");
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref->surface, surface::messenger);
    EXPECT_EQ(ref->owner, "104510662458730");
    EXPECT_EQ(ref->item, "mid.1457764197618:41d102a3e1ae206a38"); // Messenger mids hold ':'
    for (const surface s :
         {surface::messenger, surface::instagram, surface::whatsapp, surface::facebook_comment,
          surface::facebook_post, surface::instagram_comment}) {
        const auto back = split_id(make_id(s, "1", "2"));
        ASSERT_TRUE(back) << to_string(s);
        EXPECT_EQ(back->surface, s);
    }
    for (const char* bad : {"", "messenger", "messenger:1", "messenger::2",
                            "messenger:1:", "telegram:1:2", "-100:5"}) {
        EXPECT_FALSE(split_id(bad)) << bad;
    }
}

TEST(meta_wire, graph_bodies_are_the_documented_json) {
    using boost::json::parse;
    EXPECT_EQ(parse(send_api_body("6834521987654321", "Sorry \"Sam\"")),
              parse(R"({"recipient":{"id":"6834521987654321"},"messaging_type":"RESPONSE",
                        "message":{"text":"Sorry \"Sam\""}})"));
    EXPECT_EQ(parse(private_reply_body("17865799348089039", "DM")),
              parse(R"({"recipient":{"comment_id":"17865799348089039"},
                        "message":{"text":"DM"}})"));
    EXPECT_EQ(parse(whatsapp_text_body("16505551234", "Hi", "wamid.X")),
              parse(R"({"messaging_product":"whatsapp","recipient_type":"individual",
                        "to":"16505551234","type":"text",
                        "text":{"preview_url":false,"body":"Hi"},
                        "context":{"message_id":"wamid.X"}})"));
    EXPECT_FALSE(
        parse(whatsapp_text_body("1", "Hi", std::nullopt)).as_object().contains("context"));
    EXPECT_EQ(parse(comment_body("Thanks!")), parse(R"({"message":"Thanks!"})"));
}

TEST(meta_wire, graph_answers_give_the_created_id_or_the_error) {
    auto a = parse_graph_answer(R"({"recipient_id":"1","message_id":"m_AbC"})");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->created_id, "m_AbC");
    a = parse_graph_answer(R"({"id":"17870913679156914"})");
    EXPECT_EQ(a->created_id, "17870913679156914");
    a = parse_graph_answer(R"({"messaging_product":"whatsapp","contacts":[{"input":"1",
        "wa_id":"1"}],"messages":[{"id":"wamid.NEW"}]})");
    EXPECT_EQ(a->created_id, "wamid.NEW");
    a = parse_graph_answer(
        R"({"error":{"message":"(#10) This message is sent outside of allowed window.",)"
        R"("type":"OAuthException","code":10,"error_subcode":2018278,"fbtrace_id":"AbC"}})");
    ASSERT_TRUE(a && a->error);
    EXPECT_EQ(a->error->code, 10);
    EXPECT_EQ(a->error->subcode, 2018278);
    EXPECT_EQ(a->error->type, "OAuthException");
    EXPECT_FALSE(parse_graph_answer("<html>"));
    EXPECT_EQ(regain_access_minutes(R"({"104510662458730":[{"type":"pages","call_count":100,
        "total_cputime":25,"total_time":25,"estimated_time_to_regain_access":3},
        {"type":"messenger","estimated_time_to_regain_access":0}]})"),
              3);
    EXPECT_FALSE(regain_access_minutes(R"({"1":[{"estimated_time_to_regain_access":0}]})"));
    EXPECT_FALSE(regain_access_minutes("nonsense"));
}

} // namespace
} // namespace rapport::adapters::meta
