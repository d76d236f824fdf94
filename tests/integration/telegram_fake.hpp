// rapport-telegram-fake (tests/fakes/telegram_fake.cpp) run for an integration test: the Bot
// API a telegram account's api_base_url points at, with what the tests ask of it.
#pragma once

#include "tests/support/daemon_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/read_file.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace rapport::testing::integration {

// The token the fake accepts; the bot's user id is the part before ':'.
constexpr const char* telegram_bot_token = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

// An Update of tests/data/telegram.
inline std::string telegram_fixture_file(const std::string& name) {
    const auto text = rapport::testing::read_file(std::string(RAPPORT_SOURCE_DIR) +
                                                  "/tests/data/telegram/" + name);
    EXPECT_TRUE(text) << name;
    return text.value_or("");
}

class telegram_fake {
public:
    /// Starts the fake in `dir` with `extra_args` (e.g. "--batch-limit", "1").
    telegram_fake(const std::filesystem::path& dir, std::vector<std::string> extra_args = {}) {
        std::vector<std::string> argv{TELEGRAM_FAKE_PATH, "--token-env", "FAKE_TOKEN", "--quiet"};
        argv.insert(argv.end(), extra_args.begin(), extra_args.end());
        process_ = std::make_unique<daemon_process>(
            argv, dir, std::vector<std::string>{"FAKE_TOKEN=" + std::string(telegram_bot_token)},
            dir / "telegram-fake.log");
        const auto line = process_->wait_for_log("listening port=", std::chrono::seconds(20));
        EXPECT_TRUE(line) << process_->log_text();
        if (line) {
            port_ = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind('=') + 1)));
        }
    }

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    /// Every call the fake received, oldest first.
    boost::json::array calls() {
        const auto r = http_call(port_, "GET", "/_fake/calls");
        EXPECT_EQ(r.status, 200);
        return boost::json::parse(r.body).as_array();
    }

    /// The calls of one Bot API method, oldest first.
    std::vector<boost::json::object> calls_of(std::string_view method) {
        std::vector<boost::json::object> out;
        for (const auto& c : calls()) {
            if (c.at("method").as_string() == method) {
                out.push_back(c.as_object());
            }
        }
        return out;
    }

    /// How the fake answers the next calls, e.g. {"error_code": 429, "retry_after": 5}.
    void answers(const std::string& rule) {
        ASSERT_EQ(http_call(port_, "POST", "/_fake/answer", rule).status, 200);
    }

    /// Queues Updates for getUpdates (an Update or an array of them); their new update_ids.
    std::vector<std::int64_t> queue(const std::string& updates) {
        const auto r = http_call(port_, "POST", "/_fake/updates", updates);
        EXPECT_EQ(r.status, 200) << r.body;
        std::vector<std::int64_t> ids;
        const auto answer = boost::json::parse(r.body);
        for (const auto& id : answer.at("update_ids").as_array()) {
            ids.push_back(id.as_int64());
        }
        return ids;
    }

    /// Calls a Bot API method with the right token; the parsed answer.
    boost::json::value call(const std::string& method, const std::string& body = "{}") {
        const auto r =
            http_call(port_, "POST", "/bot" + std::string(telegram_bot_token) + "/" + method, body,
                      {{"Content-Type", "application/json"}});
        return boost::json::parse(r.body);
    }

private:
    std::unique_ptr<daemon_process> process_;
    std::uint16_t port_ = 0;
};

} // namespace rapport::testing::integration
