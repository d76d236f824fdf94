// Slack's way out: where a reply goes, the chat.postMessage body, and the calls made for a
// public and a private reply (PLATFORMS.md §1e; adapters/slack/sender.hpp). Web API answers
// themselves are read by classify(), tested in slack_signing_test.cpp.
#include "adapters/slack/sender.hpp"
#include "tests/support/scripted_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <exception>

namespace rapport::adapters::slack {
namespace {

using outcome = delivery::outcome;

constexpr const char* token = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy";

rules::message channel_message() {
    rules::message m;
    m.id = "C123ABC456:1515449522.000016";
    m.thread_id = "C123ABC456:1515449522.000016";
    m.author.id = "U061F7AUR";
    m.platform = "slack";
    return m;
}

outgoing_reply reply_to(rules::message m, bool is_private = false) {
    outgoing_reply r;
    r.draft_id = "d-1";
    r.account = "acme-slack";
    r.kind = "reply";
    r.text = "Sorry \"Ana\" & co";
    r.is_private = is_private;
    r.in_reply_to = std::move(m);
    return r;
}

TEST(slack_sender, a_channel_message_is_answered_in_a_thread_under_it) {
    const auto t = target_of(reply_to(channel_message()));
    EXPECT_TRUE(t.error.empty());
    EXPECT_EQ(t.channel, "C123ABC456");
    EXPECT_EQ(t.thread_ts, "1515449522.000016");
    EXPECT_FALSE(t.dm_with);
    EXPECT_EQ(post_message_body(t, "hi \"you\""),
              R"({"channel":"C123ABC456","text":"hi \"you\"","thread_ts":"1515449522.000016",)"
              R"("unfurl_links":false,"unfurl_media":false})");
}

TEST(slack_sender, a_message_in_a_thread_is_answered_in_that_thread) {
    rules::message m = channel_message();
    m.id = "C123ABC456:1515449600.000200";
    m.thread_id = "C123ABC456:1515449522.000016";
    EXPECT_EQ(target_of(reply_to(m)).thread_ts, "1515449522.000016");
}

TEST(slack_sender, a_dm_is_answered_in_the_dm_unthreaded) {
    rules::message m = channel_message();
    m.id = "D024BE91L:1355517523.000005";
    m.thread_id = "D024BE91L:1355517523.000005";
    auto t = target_of(reply_to(m));
    EXPECT_EQ(t.channel, "D024BE91L");
    EXPECT_FALSE(t.thread_ts);
    // Private changes nothing: it is already private.
    t = target_of(reply_to(m, true));
    EXPECT_EQ(t.channel, "D024BE91L");
    EXPECT_FALSE(t.dm_with);
}

TEST(slack_sender, a_private_reply_to_a_channel_message_opens_a_dm) {
    const auto t = target_of(reply_to(channel_message(), true));
    EXPECT_TRUE(t.channel.empty());
    EXPECT_EQ(t.dm_with, "U061F7AUR");
    EXPECT_FALSE(t.thread_ts);
}

TEST(slack_sender, what_has_no_channel_cannot_be_sent) {
    outgoing_reply question = reply_to(channel_message());
    question.in_reply_to.reset();
    EXPECT_NE(target_of(question).error.find("insight question"), std::string::npos);
    rules::message odd = channel_message();
    odd.id = "C123";
    EXPECT_NE(target_of(reply_to(odd)).error.find("not a Slack"), std::string::npos);
}

TEST(slack_sender, reads_the_opened_dm) {
    EXPECT_EQ(opened_channel(R"({"ok":true,"channel":{"id":"D069C7QFK"}})"), "D069C7QFK");
    EXPECT_FALSE(opened_channel(R"({"ok":true,"channel":"D1"})"));
    EXPECT_FALSE(opened_channel("nope"));
}

// Slack's answers to the calls a test expects, in order, each a 200 with a JSON body.
class scripted_server : public testing::scripted_server {
public:
    explicit scripted_server(const std::vector<std::string>& bodies)
        : testing::scripted_server(answers(bodies)) {}
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/api"; }

private:
    static std::vector<std::string> answers(const std::vector<std::string>& bodies) {
        std::vector<std::string> out;
        for (const auto& body : bodies) {
            out.push_back(testing::json_answer(body));
        }
        return out;
    }
};

delivery send_with(const std::string& base_url, const outgoing_reply& reply) {
    net::io_context ioc;
    https_client client(ioc.get_executor());
    auto sender = std::make_shared<web_api_sender>(web_api(client, base_url, token));
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

TEST(slack_sender, posts_in_the_thread_with_the_bot_token) {
    scripted_server server({R"({"ok":true,"channel":"C123ABC456","ts":"1795500000.000100"})"});
    const auto d = send_with(server.base_url(), reply_to(channel_message()));
    EXPECT_EQ(d.what, outcome::sent) << d.error;
    EXPECT_EQ(d.sent_id, "C123ABC456:1795500000.000100");
    const auto requests = server.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].rfind("POST /api/chat.postMessage HTTP/1.1\r\n", 0), 0u) << requests[0];
    EXPECT_NE(requests[0].find("Authorization: Bearer " + std::string(token) + "\r\n"),
              std::string::npos);
    EXPECT_NE(requests[0].find("Content-Type: application/json; charset=utf-8\r\n"),
              std::string::npos);
    EXPECT_NE(requests[0].find(R"("thread_ts":"1515449522.000016")"), std::string::npos);
}

TEST(slack_sender, a_private_reply_opens_the_dm_then_posts_there) {
    scripted_server server({R"({"ok":true,"channel":{"id":"D069C7QFK"}})",
                            R"({"ok":true,"channel":"D069C7QFK","ts":"1795500000.000200"})"});
    const auto d = send_with(server.base_url(), reply_to(channel_message(), true));
    EXPECT_EQ(d.what, outcome::sent) << d.error;
    EXPECT_EQ(d.sent_id, "D069C7QFK:1795500000.000200");
    const auto requests = server.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].rfind("POST /api/conversations.open ", 0), 0u);
    EXPECT_NE(requests[0].find(R"({"users":"U061F7AUR"})"), std::string::npos);
    EXPECT_EQ(requests[1].rfind("POST /api/chat.postMessage ", 0), 0u);
    EXPECT_NE(requests[1].find(R"("channel":"D069C7QFK")"), std::string::npos);
    EXPECT_EQ(requests[1].find("thread_ts"), std::string::npos);
}

TEST(slack_sender, a_refused_dm_fails_naming_the_step_and_never_the_token) {
    scripted_server server({R"({"ok":false,"error":"cannot_dm_bot"})"});
    const auto d = send_with(server.base_url(), reply_to(channel_message(), true));
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_EQ(d.error, "conversations.open: Slack refused it: cannot_dm_bot");
    EXPECT_EQ(server.requests().size(), 1u);
    // Nothing listens on a port just given back: retry, and the token appears nowhere.
    std::string closed;
    {
        net::io_context ioc;
        net::ip::tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
        closed = "http://127.0.0.1:" + std::to_string(a.local_endpoint().port()) + "/api";
    }
    const auto unreachable = send_with(closed, reply_to(channel_message()));
    EXPECT_EQ(unreachable.what, outcome::retry);
    EXPECT_EQ(unreachable.error.find(token), std::string::npos);
}

} // namespace
} // namespace rapport::adapters::slack
