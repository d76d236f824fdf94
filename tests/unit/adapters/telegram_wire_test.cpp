// How Telegram Updates become Messages (or are ignored), and the sendMessage body
// (PLATFORMS.md §6, adapters/telegram/wire.hpp). Updates come from tests/data/telegram.
#include "adapters/telegram/wire.hpp"
#include "tests/support/read_file.hpp"

#include <gtest/gtest.h>

namespace rapport::adapters::telegram {
namespace {

using outcome = update_result::outcome;

const bot_identity bot{"AcmeHelpBot", 7000000001};

std::string fixture(const std::string& name) {
    const auto text = rapport::testing::read_file(std::string(RAPPORT_SOURCE_DIR) +
                                                  "/tests/data/telegram/" + name);
    EXPECT_TRUE(text) << name;
    return text.value_or("");
}

update_result parse(const std::string& name, const bot_identity& as = bot) {
    return parse_update(fixture(name), "acme-tg", as);
}

TEST(telegram_wire, a_private_message_is_direct) {
    const auto r = parse("private_message.json");
    ASSERT_EQ(r.what, outcome::message) << r.reason;
    EXPECT_EQ(r.update_id, 861234501);
    const rules::message& m = *r.message;
    EXPECT_EQ(m.id, "111222333:52");
    EXPECT_EQ(m.kind, rules::message_kind::direct);
    EXPECT_EQ(m.text, "my acme toaster is broken");
    EXPECT_EQ(m.author.id, "111222333");
    EXPECT_EQ(m.author.handle, "samlee");
    EXPECT_EQ(m.author.name, "Sam Lee");
    EXPECT_EQ(m.thread_id, "111222333");
    EXPECT_FALSE(m.in_reply_to);
    EXPECT_EQ(m.created_at, rules::parse_timestamp("2026-11-22T10:00:00Z"));
    EXPECT_EQ(m.platform, "telegram");
    EXPECT_EQ(m.account, "acme-tg");
    EXPECT_FALSE(m.lang); // language_code is the user's app language, not the message's
}

TEST(telegram_wire, a_group_message_that_mentions_the_bot_is_a_mention) {
    // The mention follows an emoji: its offset counts UTF-16 units.
    const auto r = parse("group_mention.json");
    ASSERT_EQ(r.what, outcome::message) << r.reason;
    EXPECT_EQ(r.message->kind, rules::message_kind::mention);
    EXPECT_EQ(r.message->id, "-1001234567890:1187");
    EXPECT_EQ(r.message->thread_id, "-1001234567890");
    EXPECT_EQ(r.message->author.name, "Ana");
    // Another bot's name is not ours.
    EXPECT_EQ(parse("group_mention.json", {"OtherBot", 42}).reason, "not_addressed");
}

TEST(telegram_wire, a_reply_to_the_bot_is_a_reply_threaded_to_its_message) {
    const auto r = parse("reply_to_bot.json");
    ASSERT_EQ(r.what, outcome::message) << r.reason;
    EXPECT_EQ(r.message->kind, rules::message_kind::reply);
    EXPECT_EQ(r.message->in_reply_to, "-1001234567890:1188");
    // Without the id, the username recognises the bot.
    EXPECT_EQ(parse("reply_to_bot.json", {"acmehelpbot", std::nullopt}).message->kind,
              rules::message_kind::reply);
    EXPECT_EQ(parse("reply_to_bot.json", {"AcmeHelpBot", 99}).reason, "not_addressed");
}

TEST(telegram_wire, a_command_to_the_bot_in_a_forum_topic_is_a_mention_in_that_topic) {
    const auto r = parse("forum_topic_mention.json");
    ASSERT_EQ(r.what, outcome::message) << r.reason;
    EXPECT_EQ(r.message->kind, rules::message_kind::mention);
    EXPECT_EQ(r.message->thread_id, "-1009876543210:2290");
    EXPECT_EQ(r.message->author.name, "Lee");
    EXPECT_EQ(r.message->author.handle, "");
}

TEST(telegram_wire, a_photo_speaks_through_its_caption) {
    const auto r = parse("photo_caption_private.json");
    ASSERT_EQ(r.what, outcome::message) << r.reason;
    EXPECT_EQ(r.message->text, "this is the broken one");
    EXPECT_EQ(r.message->kind, rules::message_kind::direct);
    EXPECT_EQ(r.message->in_reply_to, "111222333:51");
}

TEST(telegram_wire, what_is_not_for_us_is_ignored_with_a_reason) {
    EXPECT_EQ(parse("group_not_addressed.json").reason, "not_addressed");
    EXPECT_EQ(parse("from_bot.json").reason, "from_bot");
    EXPECT_EQ(parse("edited_message.json").reason, "edited_message");
    EXPECT_EQ(parse("unknown_update.json").reason, "unsupported_update");
    EXPECT_EQ(parse("channel_post.json").reason, "channel_post");
    EXPECT_EQ(parse("sticker_no_text.json").reason, "no_text");
    for (const char* name : {"group_not_addressed.json", "from_bot.json", "edited_message.json",
                             "unknown_update.json", "channel_post.json", "sticker_no_text.json"}) {
        const auto r = parse(name);
        EXPECT_EQ(r.what, outcome::ignored) << name;
        EXPECT_FALSE(r.message) << name;
        EXPECT_TRUE(r.update_id) << name;
    }
    const auto anonymous = parse_update(
        R"({"update_id":1,"message":{"message_id":2,"date":3,"chat":{"id":-5,"type":"group"},
            "sender_chat":{"id":-5,"type":"group"},"text":"hi"}})",
        "a", bot);
    EXPECT_EQ(anonymous.reason, "no_sender");
}

TEST(telegram_wire, what_is_not_an_update_is_invalid) {
    const auto check = [](std::string_view body, std::string_view says) {
        const auto r = parse_update(body, "a", bot);
        EXPECT_EQ(r.what, outcome::invalid) << body;
        EXPECT_NE(r.reason.find(says), std::string::npos) << r.reason;
    };
    check("", "invalid JSON");
    check("[1]", "JSON object");
    check(R"({"message":{}})", "update_id");
    check(R"({"update_id":"7"})", "update_id");
    check(R"({"update_id":7,"message":{"chat":{"id":1,"type":"private"}}})", "message_id");
    check(R"({"update_id":7,"message":{"message_id":1,"chat":{"type":"private"}}})", "chat");
    check(R"({"update_id":7,"message":{"message_id":1,"chat":{"id":1,"type":"private"},
              "from":{"is_bot":false},"text":"x"}})",
          "from.id");
}

TEST(telegram_wire, mentions_are_matched_on_the_entity_text) {
    const auto kind_of = [](std::string_view text, std::string_view entities) {
        const std::string body =
            R"({"update_id":1,"message":{"message_id":2,"date":3,"chat":{"id":-5,"type":"group"},
                "from":{"id":9,"is_bot":false,"first_name":"X"},"text":")" +
            std::string(text) + R"(","entities":)" + std::string(entities) + "}}";
        return parse_update(body, "a", bot).reason;
    };
    EXPECT_EQ(kind_of("@acmehelpbot hi", R"([{"type":"mention","offset":0,"length":12}])"), "");
    // The entity must cover exactly the name.
    EXPECT_EQ(kind_of("@AcmeHelpBotX hi", R"([{"type":"mention","offset":0,"length":13}])"),
              "not_addressed");
    EXPECT_EQ(kind_of("@AcmeHelpBot hi", R"([{"type":"mention","offset":1,"length":12}])"),
              "not_addressed");
    EXPECT_EQ(kind_of("@AcmeHelpBot", R"([{"type":"mention","offset":0,"length":99}])"),
              "not_addressed");
    // A mention written in the text without an entity (Telegram makes one) is not trusted.
    EXPECT_EQ(kind_of("@AcmeHelpBot", "[]"), "not_addressed");
    EXPECT_EQ(kind_of("@AcmeHelpBot", R"([{"type":"bold","offset":0,"length":12}])"),
              "not_addressed");
    EXPECT_EQ(kind_of("Acme Help", R"([{"type":"text_mention","offset":0,"length":9,
                                       "user":{"id":7000000001,"is_bot":true,"first_name":"A"}}])"),
              "");
    EXPECT_EQ(kind_of("Sam", R"([{"type":"text_mention","offset":0,"length":3,
                                 "user":{"id":5,"is_bot":false,"first_name":"Sam"}}])"),
              "not_addressed");
    EXPECT_EQ(kind_of("/start@AcmeHelpBot", R"([{"type":"bot_command","offset":0,"length":18}])"),
              "");
    EXPECT_EQ(kind_of("/start", R"([{"type":"bot_command","offset":0,"length":6}])"),
              "not_addressed");
}

TEST(telegram_wire, utf16_slices_respect_surrogate_pairs) {
    const std::string text = "\xF0\x9F\x98\xA1 @a \xC3\xA9x"; // 😡 @a éx
    EXPECT_EQ(utf16_slice(text, 3, 2), "@a");
    EXPECT_EQ(utf16_slice(text, 0, 2), "\xF0\x9F\x98\xA1");
    EXPECT_EQ(utf16_slice(text, 6, 2), "\xC3\xA9x");
    EXPECT_EQ(utf16_slice(text, 8, 0), "");
    EXPECT_FALSE(utf16_slice(text, 1, 2)); // starts inside the emoji
    EXPECT_FALSE(utf16_slice(text, 0, 1)); // ends inside it
    EXPECT_FALSE(utf16_slice(text, 7, 2)); // past the end
    EXPECT_FALSE(utf16_slice(text, 9, 0));
    EXPECT_FALSE(utf16_slice(text, static_cast<std::size_t>(-1), 2));
    EXPECT_EQ(utf16_slice("a\xFF"
                          "b",
                          1, 2),
              "\xFF"
              "b");
}

TEST(telegram_wire, the_secret_token_is_compared_exactly) {
    EXPECT_EQ(check_secret_token("s3cret_-token", "s3cret_-token"), signature_problem::none);
    EXPECT_EQ(check_secret_token("s3cret_-token", std::nullopt), signature_problem::missing);
    EXPECT_EQ(check_secret_token("s3cret_-token", ""), signature_problem::missing);
    EXPECT_EQ(check_secret_token("s3cret_-token", "s3cret_-tokeN"), signature_problem::mismatch);
    EXPECT_EQ(check_secret_token("s3cret_-token", "s3cret_-token "), signature_problem::mismatch);
    EXPECT_EQ(check_secret_token("", "anything"), signature_problem::mismatch);
}

TEST(telegram_wire, bot_ids_come_from_the_token) {
    EXPECT_EQ(bot_id_from_token("7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"), 7000000001);
    EXPECT_FALSE(bot_id_from_token("AAHdq"));
    EXPECT_FALSE(bot_id_from_token(":AAHdq"));
    EXPECT_FALSE(bot_id_from_token("12x:AAHdq"));
    EXPECT_FALSE(bot_id_from_token("-5:AAHdq"));
}

TEST(telegram_wire, send_message_bodies_thread_with_reply_parameters) {
    send_message m;
    m.chat_id = "-1001234567890";
    m.text = "Sorry \"Ana\"\n";
    m.reply_to_message_id = 1187;
    EXPECT_EQ(send_message_body(m), R"({"chat_id":-1001234567890,"text":"Sorry \"Ana\"\n",)"
                                    R"("reply_parameters":{"message_id":1187}})");
    m.allow_sending_without_reply = true;
    EXPECT_EQ(send_message_body(m),
              R"({"chat_id":-1001234567890,"text":"Sorry \"Ana\"\n",)"
              R"("reply_parameters":{"message_id":1187,"allow_sending_without_reply":true}})");
    m.reply_to_message_id.reset();
    m.chat_id = "@acmenews";
    EXPECT_EQ(send_message_body(m), R"({"chat_id":"@acmenews","text":"Sorry \"Ana\"\n"})");
}

TEST(telegram_wire, api_answers_are_read) {
    auto a = parse_api_answer(
        R"({"ok":true,"result":{"message_id":1201,"chat":{"id":-100123,"type":"supergroup"},)"
        R"("date":1}})");
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->ok);
    EXPECT_EQ(a->message_id, 1201);
    EXPECT_EQ(a->chat_id, -100123);
    a = parse_api_answer(
        R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5",)"
        R"("parameters":{"retry_after":5}})");
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->ok);
    EXPECT_EQ(a->error_code, 429);
    EXPECT_EQ(a->retry_after, 5);
    EXPECT_EQ(a->description, "Too Many Requests: retry after 5");
    a = parse_api_answer(
        R"({"ok":false,"error_code":400,)"
        R"("description":"Bad Request: group chat was upgraded to a supergroup chat",)"
        R"("parameters":{"migrate_to_chat_id":-1001999}})");
    EXPECT_EQ(a->migrate_to_chat_id, -1001999);
    EXPECT_FALSE(parse_api_answer("<html>bad gateway</html>"));
    EXPECT_FALSE(parse_api_answer(R"({"result":{}})"));
}

TEST(telegram_wire, message_ids_split_into_chat_and_message) {
    const auto s = split_message_id("-1001234567890:1187");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->chat_id, -1001234567890);
    EXPECT_EQ(s->message_id, 1187);
    EXPECT_FALSE(split_message_id("1187"));
    EXPECT_FALSE(split_message_id("a:1"));
    EXPECT_FALSE(split_message_id("1:"));
    EXPECT_FALSE(split_message_id("1:2x"));
}

// ---- long polling ----

TEST(telegram_wire, the_get_updates_body_asks_for_messages_from_the_offset) {
    get_updates g;
    EXPECT_EQ(get_updates_body(g), R"({"limit":100,"timeout":25,"allowed_updates":["message"]})");
    g.offset = 861234504;
    g.timeout = std::chrono::seconds{0};
    g.limit = 500; // Telegram takes 1-100
    EXPECT_EQ(get_updates_body(g),
              R"({"offset":861234504,"limit":100,"timeout":0,"allowed_updates":["message"]})");
}

TEST(telegram_wire, a_get_updates_answer_gives_each_update_as_its_own_body) {
    const auto a = read_poll_answer(200, fixture("get_updates.json"));
    ASSERT_EQ(a.what, poll_answer::outcome::updates) << a.error;
    ASSERT_EQ(a.updates.size(), 3u);
    EXPECT_EQ(a.updates[0].update_id, 861234501);
    EXPECT_EQ(a.updates[2].update_id, 861234503);
    // Each body reads as the same Update delivered by webhook would.
    const auto first = parse_update(a.updates[0].body, "acme-tg", bot);
    const auto webhook = parse("private_message.json");
    ASSERT_EQ(first.what, outcome::message);
    EXPECT_EQ(*first.message, *webhook.message);
    const auto second = parse_update(a.updates[1].body, "acme-tg", bot);
    ASSERT_EQ(second.what, outcome::message);
    EXPECT_EQ(second.message->kind, rules::message_kind::mention);
    const auto third = parse_update(a.updates[2].body, "acme-tg", bot);
    EXPECT_EQ(third.what, outcome::ignored);
    EXPECT_EQ(third.reason, "edited_message");
    EXPECT_EQ(next_offset(std::nullopt, a.updates), 861234504);
}

TEST(telegram_wire, an_empty_poll_keeps_the_offset) {
    const auto a = read_poll_answer(200, R"({"ok":true,"result":[]})");
    ASSERT_EQ(a.what, poll_answer::outcome::updates);
    EXPECT_TRUE(a.updates.empty());
    EXPECT_EQ(next_offset(std::nullopt, a.updates), std::nullopt);
    EXPECT_EQ(next_offset(42, a.updates), 42);
}

TEST(telegram_wire, the_offset_never_goes_back_and_updates_without_an_id_do_not_move_it) {
    const auto a = read_poll_answer(200, R"({"ok":true,"result":[{"update_id":7},"odd",{}]})");
    ASSERT_EQ(a.what, poll_answer::outcome::updates);
    ASSERT_EQ(a.updates.size(), 3u);
    EXPECT_EQ(a.updates[1].update_id, std::nullopt);
    EXPECT_EQ(parse_update(a.updates[1].body, "acme-tg", bot).what, outcome::invalid);
    EXPECT_EQ(next_offset(std::nullopt, a.updates), 8);
    EXPECT_EQ(next_offset(100, a.updates), 100);
}

TEST(telegram_wire, poll_refusals_are_sorted) {
    auto a = read_poll_answer(
        429, R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7",)"
             R"("parameters":{"retry_after":7}})");
    EXPECT_EQ(a.what, poll_answer::outcome::rate_limited);
    EXPECT_EQ(a.retry_after, std::chrono::seconds{7});
    EXPECT_EQ(a.error, "Telegram answered 429: Too Many Requests: retry after 7");

    a = read_poll_answer(401, R"({"ok":false,"error_code":401,"description":"Unauthorized"})");
    EXPECT_EQ(a.what, poll_answer::outcome::unauthorized);
    a = read_poll_answer(404, R"({"ok":false,"error_code":404,"description":"Not Found"})");
    EXPECT_EQ(a.what, poll_answer::outcome::unauthorized);

    a = read_poll_answer(409, fixture("get_updates_webhook_conflict.json"));
    EXPECT_EQ(a.what, poll_answer::outcome::conflict);
    EXPECT_TRUE(a.webhook_is_set);
    a = read_poll_answer(409, fixture("get_updates_other_poller.json"));
    EXPECT_EQ(a.what, poll_answer::outcome::conflict);
    EXPECT_FALSE(a.webhook_is_set);

    a = read_poll_answer(502, "<html>Bad Gateway</html>");
    EXPECT_EQ(a.what, poll_answer::outcome::failed);
    EXPECT_EQ(a.error, "Telegram answered 502 (not a Bot API answer)");
    a = read_poll_answer(200, R"({"ok":true,"result":{}})");
    EXPECT_EQ(a.what, poll_answer::outcome::failed);
    a = read_poll_answer(200, "not json");
    EXPECT_EQ(a.what, poll_answer::outcome::failed);
}

} // namespace
} // namespace rapport::adapters::telegram
