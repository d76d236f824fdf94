// Telegram's way out: where a reply goes, the sendMessage request, and how the Bot API's answers
// become deliveries (PLATFORMS.md §6e, §6f; adapters/telegram/sender.hpp).
#include "adapters/telegram/sender.hpp"
#include "tests/support/scripted_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <exception>

namespace rapport::adapters::telegram {
namespace {

using namespace std::chrono_literals;
using outcome = delivery::outcome;
using testing::one_shot_server;

const auto now = std::chrono::sys_days{std::chrono::year{2026} / 11 / 24} + 10h;
constexpr const char* token = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

rules::message group_message() {
    rules::message m;
    m.id = "-1001234567890:1187";
    m.author.id = "444555666";
    m.thread_id = "-1001234567890";
    m.platform = "telegram";
    return m;
}

outgoing_reply reply_to(rules::message m, bool is_private = false) {
    outgoing_reply r;
    r.draft_id = "d-1";
    r.account = "acme-tg";
    r.kind = "reply";
    r.text = "Sorry Ana";
    r.is_private = is_private;
    r.in_reply_to = std::move(m);
    return r;
}

https_result answered(unsigned status, std::string body, https_headers headers = {}) {
    https_response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

TEST(telegram_sender, a_reply_goes_to_the_chat_threaded_to_the_message) {
    const auto t = target_of(reply_to(group_message()));
    EXPECT_TRUE(t.error.empty());
    EXPECT_EQ(t.message.chat_id, "-1001234567890");
    EXPECT_EQ(t.message.reply_to_message_id, 1187);
    EXPECT_EQ(t.message.text, "Sorry Ana");
    EXPECT_FALSE(t.private_from_group);
}

TEST(telegram_sender, a_private_reply_goes_to_the_authors_own_chat) {
    auto t = target_of(reply_to(group_message(), true));
    EXPECT_EQ(t.message.chat_id, "444555666");
    EXPECT_FALSE(t.message.reply_to_message_id); // the message is in another chat
    EXPECT_TRUE(t.private_from_group);
    rules::message direct = group_message();
    direct.id = "444555666:52";
    t = target_of(reply_to(direct, true));
    EXPECT_EQ(t.message.chat_id, "444555666");
    EXPECT_EQ(t.message.reply_to_message_id, 52);
    EXPECT_FALSE(t.private_from_group);
}

TEST(telegram_sender, what_has_no_chat_cannot_be_sent) {
    outgoing_reply question = reply_to(group_message());
    question.in_reply_to.reset();
    EXPECT_NE(target_of(question).error.find("insight question"), std::string::npos);
    rules::message odd = group_message();
    odd.id = "abc";
    EXPECT_NE(target_of(reply_to(odd)).error.find("'abc'"), std::string::npos);
}

TEST(telegram_sender, a_text_over_4096_utf16_code_units_is_refused_before_sending) {
    const std::string emoji = "\xF0\x9F\x98\x80"; // two UTF-16 code units
    std::string text;
    for (int i = 0; i < 2048; ++i) {
        text += emoji;
    }
    auto r = reply_to(group_message());
    r.text = text; // 4096 units: the limit itself
    EXPECT_EQ(target_of(r).error, "");
    r.text = text + "a";
    EXPECT_EQ(target_of(r).error,
              "the text is 4097 UTF-16 code units, over Telegram's limit of 4096: shorten it and "
              "approve again");
    std::string cjk;
    for (int i = 0; i < 4097; ++i) {
        cjk += "\xE6\x97\xA5"; // U+65E5, one unit
    }
    r.text = cjk;
    EXPECT_NE(target_of(r).error.find("4097 UTF-16 code units"), std::string::npos);
    r.text = "";
    EXPECT_NE(target_of(r).error.find("empty"), std::string::npos);
}

TEST(telegram_sender, ok_is_sent_with_the_chat_and_message_id) {
    const auto t = target_of(reply_to(group_message()));
    auto d = classify(
        answered(
            200,
            R"({"ok":true,"result":{"message_id":1201,"chat":{"id":-1001234567890},"date":1}})"),
        t, now);
    EXPECT_EQ(d.what, outcome::sent);
    EXPECT_EQ(d.sent_id, "-1001234567890:1201");
    d = classify(answered(200, R"({"ok":true,"result":{"message_id":7}})"), t, now);
    EXPECT_EQ(d.sent_id, "-1001234567890:7");
    d = classify(answered(200, "not json"), t, now);
    EXPECT_EQ(d.what, outcome::sent);
    EXPECT_FALSE(d.sent_id);
}

TEST(telegram_sender, 429_waits_as_long_as_telegram_says) {
    const auto t = target_of(reply_to(group_message()));
    auto d = classify(
        answered(429,
                 R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5",)"
                 R"("parameters":{"retry_after":5}})"),
        t, now);
    EXPECT_EQ(d.what, outcome::retry);
    EXPECT_EQ(d.retry_after, 5s);
    EXPECT_EQ(d.error, "Telegram answered 429: Too Many Requests: retry after 5");
    // A proxy's 429 without Telegram's body: its Retry-After.
    d = classify(answered(429, "", {{"Retry-After", "7"}}), t, now);
    EXPECT_EQ(d.what, outcome::retry);
    EXPECT_EQ(d.retry_after, 7s);
    d = classify(answered(502, "<html>Bad Gateway</html>"), t, now);
    EXPECT_EQ(d.what, outcome::retry);
    EXPECT_FALSE(d.retry_after);
    EXPECT_EQ(d.error, "Telegram answered 502");
}

TEST(telegram_sender, other_refusals_fail_with_telegrams_description) {
    auto t = target_of(reply_to(group_message()));
    auto d =
        classify(answered(400, R"({"ok":false,"error_code":400,)"
                               R"("description":"Bad Request: message to be replied not found"})"),
                 t, now);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_EQ(d.error, "Telegram answered 400: Bad Request: message to be replied not found");
    d = classify(answered(401, R"({"ok":false,"error_code":401,"description":"Unauthorized"})"), t,
                 now);
    EXPECT_EQ(d.error, "Telegram answered 401: Unauthorized (check the account's bot_token)");
    t = target_of(reply_to(group_message(), true));
    d = classify(
        answered(403, R"({"ok":false,"error_code":403,)"
                      R"("description":"Forbidden: bot can't initiate conversation with a user"})"),
        t, now);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_NE(d.error.find("bot can't initiate conversation"), std::string::npos);
    EXPECT_NE(d.error.find("started a chat with the bot"), std::string::npos);
}

TEST(telegram_sender, no_connection_retries_and_an_unanswered_request_is_unknown) {
    const auto t = target_of(reply_to(group_message()));
    auto d =
        classify(https_failure{https_error::connect, send_stage::before_sending, "no"}, t, now);
    EXPECT_EQ(d.what, outcome::retry);
    d = classify(https_failure{https_error::timeout, send_stage::after_sending, "slow"}, t, now);
    EXPECT_EQ(d.what, outcome::unknown);
    d = classify(https_failure{https_error::plain_http_refused, send_stage::before_sending, "x"}, t,
                 now);
    EXPECT_EQ(d.what, outcome::failed);
}

delivery send_with(const std::string& base_url, const outgoing_reply& reply) {
    net::io_context ioc;
    https_client client(ioc.get_executor());
    auto sender = std::make_shared<bot_api_sender>(client, base_url, token);
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

TEST(telegram_sender, posts_json_to_the_bots_send_message_method) {
    const std::string body =
        R"({"ok":true,"result":{"message_id":1201,"chat":{"id":-1001234567890}}})";
    one_shot_server server("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    const auto d = send_with("http://127.0.0.1:" + std::to_string(server.port()) + "/",
                             reply_to(group_message()));
    EXPECT_EQ(d.what, outcome::sent) << d.error;
    EXPECT_EQ(d.sent_id, "-1001234567890:1201");
    const std::string request = server.request();
    EXPECT_EQ(request.rfind("POST /bot" + std::string(token) + "/sendMessage HTTP/1.1\r\n", 0), 0u)
        << request;
    EXPECT_NE(request.find("Content-Type: application/json\r\n"), std::string::npos);
    EXPECT_NE(request.find(R"({"chat_id":-1001234567890,"text":"Sorry Ana",)"
                           R"("reply_parameters":{"message_id":1187}})"),
              std::string::npos)
        << request;
}

TEST(telegram_sender, a_text_too_long_fails_without_calling_the_api) {
    // Nothing listens there: had the sender tried, the outcome would be a retry.
    std::uint16_t closed = 0;
    {
        net::io_context ioc;
        net::ip::tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
        closed = a.local_endpoint().port();
    }
    auto r = reply_to(group_message());
    r.text = std::string(4097, 'a');
    const auto d = send_with("http://127.0.0.1:" + std::to_string(closed), r);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_NE(d.error.find("over Telegram's limit of 4096"), std::string::npos) << d.error;
}

TEST(telegram_sender, failures_never_name_the_token) {
    // Nothing listens on a port we just gave back; and plain http to a public host is refused.
    std::uint16_t closed = 0;
    {
        net::io_context ioc;
        net::ip::tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
        closed = a.local_endpoint().port();
    }
    for (const std::string& base : {"http://127.0.0.1:" + std::to_string(closed),
                                    std::string("http://192.0.2.1"), std::string("ftp://x")}) {
        const auto d = send_with(base, reply_to(group_message()));
        EXPECT_NE(d.what, outcome::sent) << base;
        EXPECT_FALSE(d.error.empty()) << base;
        EXPECT_EQ(d.error.find("AAHdq"), std::string::npos) << d.error;
        EXPECT_EQ(d.error.find("7000000001"), std::string::npos) << d.error;
    }
}

} // namespace
} // namespace rapport::adapters::telegram
