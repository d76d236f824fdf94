// Meta's way out: which Graph API call a reply becomes, the 24-hour and private-reply windows,
// and how the Graph API's answers become deliveries (PLATFORMS.md §5d-§5f;
// adapters/meta/sender.hpp).
#include "adapters/meta/sender.hpp"
#include "tests/support/scripted_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include <exception>

namespace rapport::adapters::meta {
namespace {

using namespace std::chrono_literals;
using outcome = delivery::outcome;
using testing::one_shot_server;

// The fixtures' messages were written at 10:01 on 22 Nov 2026.
const auto written = std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + 10h + 1min;
const auto soon = std::chrono::system_clock::time_point(written + 1h);
constexpr const char* page_token = "EAAGpagetoken0123456789";
constexpr const char* wa_token = "EAAGwhatsapptoken9876543210";

rules::message dm(std::string id, std::string author) {
    rules::message m;
    m.id = std::move(id);
    m.kind = rules::message_kind::direct;
    m.author.id = std::move(author);
    m.created_at = written;
    m.platform = "meta";
    return m;
}

rules::message messenger() {
    return dm("messenger:104510662458730:m_Yx8b1G0kQ3", "6834521987654321");
}

rules::message whatsapp() {
    return dm("whatsapp:106540352242922:wamid.HBgLMTY1MDM4", "16505551234");
}

rules::message fb_comment(std::optional<std::string> parent = std::nullopt) {
    rules::message m =
        dm("facebook-comment:104510662458730:122112233445566_998877665544332", "3344556677889900");
    m.kind = rules::message_kind::comment;
    m.in_reply_to = std::move(parent);
    return m;
}

rules::message ig_comment(std::optional<std::string> parent = std::nullopt) {
    rules::message m =
        dm("instagram-comment:17841405309211844:17865799348089039", "7421985536712398");
    m.kind = rules::message_kind::comment;
    m.in_reply_to = std::move(parent);
    return m;
}

outgoing_reply reply_to(rules::message m, bool is_private = false) {
    outgoing_reply r;
    r.draft_id = "d-1";
    r.account = "acme-meta";
    r.kind = "reply";
    r.text = "Sorry about that";
    r.is_private = is_private;
    r.in_reply_to = std::move(m);
    return r;
}

boost::json::value body_of(const graph_call& c) {
    return boost::json::parse(c.body);
}

TEST(meta_sender, messenger_and_instagram_dms_go_through_the_send_api_of_the_page) {
    auto c = plan_reply(reply_to(messenger()), soon);
    ASSERT_TRUE(c.error.empty()) << c.error;
    EXPECT_EQ(c.path, "/104510662458730/messages");
    EXPECT_FALSE(c.whatsapp);
    EXPECT_EQ(body_of(c), boost::json::parse(R"({"recipient":{"id":"6834521987654321"},
                  "messaging_type":"RESPONSE","message":{"text":"Sorry about that"}})"));
    c = plan_reply(reply_to(dm("instagram:17841405309211844:aWdfZAG1", "7421985536712398")), soon);
    EXPECT_EQ(c.path, "/me/messages");
    EXPECT_EQ(body_of(c).at("recipient").at("id"), "7421985536712398");
    // A DM is private already.
    EXPECT_EQ(plan_reply(reply_to(messenger(), true), soon).path, "/104510662458730/messages");
}

TEST(meta_sender, whatsapp_answers_from_the_number_threaded_to_the_message) {
    const auto c = plan_reply(reply_to(whatsapp()), soon);
    ASSERT_TRUE(c.error.empty()) << c.error;
    EXPECT_EQ(c.path, "/106540352242922/messages");
    EXPECT_TRUE(c.whatsapp);
    EXPECT_EQ(body_of(c), boost::json::parse(R"({"messaging_product":"whatsapp",
                  "recipient_type":"individual","to":"16505551234","type":"text",
                  "text":{"preview_url":false,"body":"Sorry about that"},
                  "context":{"message_id":"wamid.HBgLMTY1MDM4"}})"));
}

TEST(meta_sender, comments_are_answered_in_their_thread_publicly_or_privately) {
    auto c = plan_reply(reply_to(fb_comment()), soon);
    EXPECT_EQ(c.path, "/122112233445566_998877665544332/comments");
    EXPECT_EQ(body_of(c), boost::json::parse(R"({"message":"Sorry about that"})"));
    // A reply in a thread: the answer goes under the thread's top comment.
    c = plan_reply(reply_to(fb_comment("facebook-comment:104510662458730:122112233445566_111")),
                   soon);
    EXPECT_EQ(c.path, "/122112233445566_111/comments");
    c = plan_reply(reply_to(ig_comment()), soon);
    EXPECT_EQ(c.path, "/17865799348089039/replies");
    c = plan_reply(reply_to(ig_comment("instagram-comment:17841405309211844:1785889")), soon);
    EXPECT_EQ(c.path, "/1785889/replies");
    // Private: a message to the commenter, by comment id, from the Page or the account.
    c = plan_reply(reply_to(fb_comment(), true), soon);
    EXPECT_EQ(c.path, "/104510662458730/messages");
    EXPECT_EQ(body_of(c),
              boost::json::parse(R"({"recipient":{"comment_id":"122112233445566_998877665544332"},
                  "message":{"text":"Sorry about that"}})"));
    EXPECT_EQ(c.sent_surface, surface::messenger);
    c = plan_reply(reply_to(ig_comment(), true), soon);
    EXPECT_EQ(c.path, "/me/messages");
    EXPECT_EQ(c.sent_surface, surface::instagram);
    // A post that mentions the Page: a public comment on it, no private reply.
    rules::message post = fb_comment();
    post.id = "facebook-post:104510662458730:200300400_500600701";
    EXPECT_EQ(plan_reply(reply_to(post), soon).path, "/200300400_500600701/comments");
    EXPECT_NE(plan_reply(reply_to(post, true), soon).error.find("private replies to comments"),
              std::string::npos);
}

TEST(meta_sender, a_closed_24_hour_window_fails_before_any_call) {
    const auto late = std::chrono::system_clock::time_point(written + 24h);
    for (const auto& m : {messenger(), whatsapp()}) {
        const auto c = plan_reply(reply_to(m), late);
        EXPECT_EQ(c.error,
                  "the 24-hour messaging window closed at 2026-11-23T10:01:00Z; Meta allows only "
                  "template/tagged messages after it")
            << m.id;
    }
    EXPECT_TRUE(plan_reply(reply_to(messenger()), late - 1s).error.empty());
    // Public comment replies have no window; private ones have seven days.
    EXPECT_TRUE(plan_reply(reply_to(fb_comment()), late + 30 * 24h).error.empty());
    EXPECT_TRUE(plan_reply(reply_to(fb_comment(), true), late).error.empty());
    EXPECT_EQ(plan_reply(reply_to(ig_comment(), true), written + 7 * 24h).error,
              "the 7-day window for a private reply to this comment closed at "
              "2026-11-29T10:01:00Z; Meta accepts none after it");
    // No creation time: nothing to check, Meta decides.
    rules::message undated = messenger();
    undated.created_at.reset();
    EXPECT_TRUE(plan_reply(reply_to(undated), late).error.empty());
}

TEST(meta_sender, what_has_no_meta_id_cannot_be_sent) {
    outgoing_reply question = reply_to(messenger());
    question.in_reply_to.reset();
    EXPECT_NE(plan_reply(question, soon).error.find("insight question"), std::string::npos);
    EXPECT_NE(plan_reply(reply_to(dm("-100:5", "1")), soon).error.find("'-100:5'"),
              std::string::npos);
    // Ids go into the URL path: nothing that could leave it.
    EXPECT_FALSE(plan_reply(reply_to(dm("messenger:1/../2:m", "1")), soon).error.empty());
    rules::message odd = fb_comment();
    odd.id = "facebook-comment:104510662458730:1?x=/y";
    EXPECT_FALSE(plan_reply(reply_to(odd), soon).error.empty());
}

https_result answered(unsigned status, std::string body, https_headers headers = {}) {
    https_response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

std::string graph_error_body(int code, std::string message, std::optional<int> subcode = {}) {
    std::string body = R"({"error":{"message":")" + message +
                       R"(","type":"OAuthException","code":)" + std::to_string(code);
    if (subcode) {
        body += R"(,"error_subcode":)" + std::to_string(*subcode);
    }
    return body + R"(,"fbtrace_id":"AbCdEf"}})";
}

TEST(meta_sender, a_created_item_is_sent_with_its_id_in_our_form) {
    auto c = plan_reply(reply_to(messenger()), soon);
    auto d = classify(answered(200, R"({"recipient_id":"6834521987654321","message_id":"m_New"})"),
                      c, soon);
    EXPECT_EQ(d.what, outcome::sent);
    EXPECT_EQ(d.sent_id, "messenger:104510662458730:m_New");
    c = plan_reply(reply_to(whatsapp()), soon);
    d = classify(answered(200, R"({"messaging_product":"whatsapp","contacts":[{"input":
        "16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.NEW"}]})"),
                 c, soon);
    EXPECT_EQ(d.sent_id, "whatsapp:106540352242922:wamid.NEW");
    c = plan_reply(reply_to(ig_comment()), soon);
    d = classify(answered(200, R"({"id":"17870913679156914"})"), c, soon);
    EXPECT_EQ(d.sent_id, "instagram-comment:17841405309211844:17870913679156914");
    d = classify(answered(200, "not json"), c, soon);
    EXPECT_EQ(d.what, outcome::sent);
    EXPECT_FALSE(d.sent_id);
}

TEST(meta_sender, rate_limits_are_retried_after_the_wait_meta_names) {
    const auto c = plan_reply(reply_to(messenger()), soon);
    // HTTP 429 with Retry-After.
    auto d = classify(answered(429, "", {{"Retry-After", "7"}}), c, soon);
    EXPECT_EQ(d.what, outcome::retry);
    EXPECT_EQ(d.retry_after, 7s);
    EXPECT_EQ(d.error, "Meta answered 429");
    // Graph's throttling codes come with HTTP 400 or 403: a retry all the same.
    for (const int code : {4, 17, 32, 613, 80006, 80007, 130429, 131056}) {
        d = classify(
            answered(400, graph_error_body(code, "(#" + std::to_string(code) + ") Too many calls")),
            c, soon);
        EXPECT_EQ(d.what, outcome::retry) << code;
        EXPECT_FALSE(d.retry_after) << code;
    }
    // The Business Use Case header says how many minutes until access returns.
    d = classify(answered(403, graph_error_body(80001, "(#80001) There have been too many calls"),
                          {{"X-Business-Use-Case-Usage",
                            R"({"104510662458730":[{"type":"pages","call_count":100,)"
                            R"("total_cputime":12,"total_time":14,)"
                            R"("estimated_time_to_regain_access":4}]})"}}),
                 c, soon);
    EXPECT_EQ(d.what, outcome::retry);
    EXPECT_EQ(d.retry_after, 4min);
    EXPECT_EQ(d.error, "Meta answered 403: (#80001) There have been too many calls (code 80001)");
}

TEST(meta_sender, server_trouble_and_transient_errors_are_retried) {
    const auto c = plan_reply(reply_to(messenger()), soon);
    EXPECT_EQ(classify(answered(502, "<html>Bad Gateway</html>"), c, soon).what, outcome::retry);
    EXPECT_EQ(
        classify(answered(500, graph_error_body(2, "Service temporarily unavailable")), c, soon)
            .what,
        outcome::retry);
    EXPECT_EQ(classify(answered(400, R"({"error":{"message":"x","code":100,"is_transient":true}})"),
                       c, soon)
                  .what,
              outcome::retry);
    auto d =
        classify(https_failure{https_error::connect, send_stage::before_sending, "no"}, c, soon);
    EXPECT_EQ(d.what, outcome::retry);
    d = classify(https_failure{https_error::timeout, send_stage::after_sending, "slow"}, c, soon);
    EXPECT_EQ(d.what, outcome::unknown);
}

TEST(meta_sender, metas_window_refusals_are_explained_and_final) {
    auto c = plan_reply(reply_to(messenger()), soon);
    auto d = classify(
        answered(400, graph_error_body(10, "(#10) This message is sent outside of allowed window.",
                                       2018278)),
        c, soon);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_EQ(d.error,
              "the 24-hour messaging window has closed; Meta allows only template/tagged "
              "messages after it (Meta answered 400: (#10) This message is sent outside of "
              "allowed window. (code 10, subcode 2018278))");
    c = plan_reply(reply_to(whatsapp()), soon);
    d = classify(answered(400, graph_error_body(131047, "Re-engagement message")), c, soon);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_EQ(d.error.rfind("the 24-hour messaging window has closed", 0), 0u) << d.error;
}

TEST(meta_sender, other_refusals_fail_with_metas_message) {
    auto c = plan_reply(reply_to(messenger()), soon);
    auto d = classify(
        answered(400, graph_error_body(100, "(#100) No matching user found", 2018001)), c, soon);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_EQ(d.error,
              "Meta answered 400: (#100) No matching user found (code 100, subcode 2018001)");
    d = classify(answered(401, graph_error_body(190, "Invalid OAuth access token.")), c, soon);
    EXPECT_EQ(d.error,
              "Meta answered 401: Invalid OAuth access token. (code 190) (check the account's "
              "access_token)");
    c = plan_reply(reply_to(whatsapp()), soon);
    d = classify(answered(401, graph_error_body(190, "Invalid OAuth access token.")), c, soon);
    EXPECT_NE(d.error.find("whatsapp_token"), std::string::npos);
    d = classify(answered(404, "<html>no</html>"), c, soon);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_EQ(d.error, "Meta answered 404");
}

delivery send_with(const std::string& base_url,
                   const outgoing_reply& reply,
                   std::string whatsapp_token = wa_token,
                   std::chrono::system_clock::time_point now = soon) {
    net::io_context ioc;
    https_client client(ioc.get_executor());
    auto sender = std::make_shared<graph_sender>(client, base_url, page_token,
                                                 std::move(whatsapp_token), [now] { return now; });
    delivery out;
    net::co_spawn(ioc, sender->send(reply), [&](std::exception_ptr e, delivery d) {
        if (e) {
            std::rethrow_exception(e);
        }
        out = std::move(d);
    });
    ioc.run();
    return out;
}

std::string http_answer(const std::string& body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

TEST(meta_sender, posts_json_with_the_page_token_as_bearer_never_in_the_url) {
    one_shot_server server(
        http_answer(R"({"recipient_id":"6834521987654321","message_id":"m_9"})"));
    const auto d = send_with("http://127.0.0.1:" + std::to_string(server.port()) + "/v21.0/",
                             reply_to(messenger()));
    EXPECT_EQ(d.what, outcome::sent) << d.error;
    EXPECT_EQ(d.sent_id, "messenger:104510662458730:m_9");
    const std::string request = server.request();
    EXPECT_EQ(request.rfind("POST /v21.0/104510662458730/messages HTTP/1.1\r\n", 0), 0u) << request;
    EXPECT_NE(request.find("Authorization: Bearer " + std::string(page_token) + "\r\n"),
              std::string::npos);
    EXPECT_NE(request.find("Content-Type: application/json\r\n"), std::string::npos);
    EXPECT_EQ(request.find("access_token="), std::string::npos);
}

TEST(meta_sender, whatsapp_uses_its_own_token_or_else_the_access_token) {
    {
        one_shot_server server(http_answer(R"({"messages":[{"id":"wamid.NEW"}]})"));
        const auto d =
            send_with("http://127.0.0.1:" + std::to_string(server.port()), reply_to(whatsapp()));
        EXPECT_EQ(d.what, outcome::sent) << d.error;
        EXPECT_NE(server.request().find("Authorization: Bearer " + std::string(wa_token)),
                  std::string::npos);
    }
    one_shot_server server(http_answer(R"({"messages":[{"id":"wamid.NEW"}]})"));
    const auto d =
        send_with("http://127.0.0.1:" + std::to_string(server.port()), reply_to(whatsapp()), "");
    EXPECT_EQ(d.what, outcome::sent) << d.error;
    EXPECT_NE(server.request().find("Authorization: Bearer " + std::string(page_token)),
              std::string::npos);
}

TEST(meta_sender, a_closed_window_makes_no_call_and_errors_never_name_a_token) {
    // Nothing listens there: a call would fail otherwise than with the window's explanation.
    std::uint16_t closed = 0;
    {
        net::io_context ioc;
        net::ip::tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
        closed = a.local_endpoint().port();
    }
    const std::string base = "http://127.0.0.1:" + std::to_string(closed);
    auto d = send_with(base, reply_to(messenger()), wa_token, written + 25h);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_NE(d.error.find("24-hour messaging window closed"), std::string::npos) << d.error;
    for (const std::string& url : {base, std::string("http://192.0.2.1"), std::string("ftp://x")}) {
        d = send_with(url, reply_to(messenger()));
        EXPECT_NE(d.what, outcome::sent) << url;
        EXPECT_FALSE(d.error.empty()) << url;
        EXPECT_EQ(d.error.find("EAAG"), std::string::npos) << d.error;
    }
}

} // namespace
} // namespace rapport::adapters::meta
