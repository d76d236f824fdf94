// The integration tests' rapportd: a real process on loopback with its config and playbooks in
// a temporary directory, and rapport-reply-sink as the account's reply_url and the approval
// notification receiver. Shared by the test files of tests/integration.
#pragma once

#include "adapters/common/signature.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace rapport::testing::integration {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using rapport::testing::daemon_process;
using rapport::testing::http_call;
using rapport::testing::http_reply;

constexpr const char* secret = "site-hmac-value";
// Signs notifications to the sink (approval.notify) and decisions from tools
// (approval.webhook_secret).
constexpr const char* notify_secret = "notify-hmac-value";
constexpr const char* decision_secret = "decision-hmac-value";

const char* const config_yaml = R"(server:
  listen: 127.0.0.1:0
  max_body_bytes: 65536
state: ./state
playbooks: ./playbooks
approvers:
  - {name: alice, token_secret: alice-token, teams: ["*"], admin: true}
  - {name: bob, token_secret: bob-token, teams: [social]}
  - {name: carol, token_secret: carol-token, teams: [support]}
approval:
  webhook_secret: decision-hmac
  expire_after: EXPIRE_AFTER
  notify:
    - {url: "http://127.0.0.1:SINK_PORT/notify", secret: notify-hmac}
guardrails:
  blocked_phrases: ["guaranteed", "lawsuit"]
accounts:
  - {id: site, platform: generic, secret: site-hmac, reply_url: "http://127.0.0.1:SINK_PORT/replies",
     sends_per_minute: 6000}
)";

const char* const complaint_playbook = R"(playbook: care
rules:
  - id: complaint
    when: {query: broken}
    then: {tag: [complaint], team: support, reply: "Sorry {{author.name}}"}
)";

// A rapportd with its own directory, stopped at the end of the test.
class rapportd_fixture : public ::testing::Test {
protected:
    void SetUp() override {
        write("playbooks/care.yaml", complaint_playbook);
        // The account's reply_url: a receiver that checks signatures and keeps the replies.
        start_sink();
        write_config();
    }

    // The receiver of replies and notifications; on `port` when given (a restarted sink
    // comes back where rapportd expects it).
    void start_sink(std::uint16_t port = 0) {
        sink_ = std::make_unique<daemon_process>(
            std::vector<std::string>{REPLY_SINK_PATH, "--port", std::to_string(port),
                                     "--secret-env", "SINK_SECRET", "--notify-secret-env",
                                     "NOTIFY_SECRET", "--quiet"},
            dir_,
            std::vector<std::string>{"SINK_SECRET=" + std::string(secret),
                                     "NOTIFY_SECRET=" + std::string(notify_secret)},
            dir_ / "sink.log");
        const auto line = sink_->wait_for_log("listening port=", 20s);
        ASSERT_TRUE(line) << sink_->log_text();
        sink_port_ = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind('=') + 1)));
    }

    void write_config(const std::string& expire_after = "72h") {
        std::string yaml = config_yaml;
        for (auto at = yaml.find("SINK_PORT"); at != std::string::npos;
             at = yaml.find("SINK_PORT")) {
            yaml.replace(at, 9, std::to_string(sink_port_));
        }
        yaml.replace(yaml.find("EXPIRE_AFTER"), 12, expire_after);
        write("rapport.yaml", yaml);
    }

    void TearDown() override {
        daemon_.reset();
        sink_.reset();
    }

    void write(const std::string& name, const std::string& text) { temp_.write(name, text); }

    void start(std::vector<std::string> extra_env = {}) {
        std::vector<std::string> env{"RAPPORT_SECRET_SITE_HMAC=" + std::string(secret),
                                     "RAPPORT_SECRET_ALICE_TOKEN=alice",
                                     "RAPPORT_SECRET_BOB_TOKEN=bob",
                                     "RAPPORT_SECRET_CAROL_TOKEN=carol",
                                     "RAPPORT_SECRET_DECISION_HMAC=" + std::string(decision_secret),
                                     "RAPPORT_SECRET_NOTIFY_HMAC=" + std::string(notify_secret)};
        env.insert(env.end(), extra_env.begin(), extra_env.end());
        daemon_ = std::make_unique<daemon_process>(
            std::vector<std::string>{RAPPORTD_PATH, "--config", "rapport.yaml"}, dir_, env,
            dir_ / "rapportd.log");
        const auto line = daemon_->wait_for_log("listening address=127.0.0.1:", 20s);
        ASSERT_TRUE(line) << daemon_->log_text();
        port_ = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
    }

    http_reply post_signed(const std::string& body,
                           std::chrono::seconds skew = 0s,
                           const std::string& key = secret) {
        return post_signed_to(port_, body, skew, key);
    }

    // A signed webhook to the daemon on `port` (streams of posts run on their own threads,
    // which must not read port_ while start() writes it).
    static http_reply post_signed_to(std::uint16_t port,
                                     const std::string& body,
                                     std::chrono::seconds skew = 0s,
                                     const std::string& key = secret) {
        const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        const auto s = rapport::adapters::sign_rapport(key, body, now + skew);
        return http_call(
            port, "POST", "/hooks/site", body,
            {{"X-Rapport-Timestamp", s.timestamp}, {"X-Rapport-Signature", s.signature}});
    }

    static std::string message(const std::string& id, const std::string& text) {
        return R"({"id":")" + id + R"(","text":")" + text +
               R"(","author":{"id":"u1","name":"Sam"}})";
    }

    std::string metrics() { return http_call(port_, "GET", "/metrics").body; }

    // What the reply sink received, oldest first.
    boost::json::array sink_replies() {
        const auto r = http_call(sink_port_, "GET", "/_sink/replies");
        EXPECT_EQ(r.status, 200);
        return boost::json::parse(r.body).as_array();
    }

    // The notifications the sink received, oldest first.
    boost::json::array sink_notifications() {
        const auto r = http_call(sink_port_, "GET", "/_sink/notifications");
        EXPECT_EQ(r.status, 200);
        return boost::json::parse(r.body).as_array();
    }

    // The parsed bodies of the notifications that the sink answered 2xx, for `event` ("" =
    // all), oldest first.
    std::vector<boost::json::object> notified(std::string_view event = "") {
        std::vector<boost::json::object> out;
        for (const auto& n : sink_notifications()) {
            const auto& o = n.as_object();
            if (o.at("answered").as_int64() / 100 != 2) {
                continue;
            }
            auto body = boost::json::parse(o.at("body").as_string()).as_object();
            if (event.empty() || body.at("event").as_string() == event) {
                out.push_back(std::move(body));
            }
        }
        return out;
    }

    // Polls until `done()` holds (20 s at most: a bound for a hung test, not a timing claim).
    static bool eventually(const std::function<bool()>& done) {
        for (int i = 0; i < 400; ++i) {
            if (done()) {
                return true;
            }
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }

    // How the sink answers the next replies, e.g. {"status": 503, "count": 1}.
    void sink_answers(const std::string& rule) {
        ASSERT_EQ(http_call(sink_port_, "POST", "/_sink/answer", rule).status, 200);
    }

    boost::json::object draft(const std::string& id) {
        const auto r = http_call(port_, "GET", "/v1/drafts/" + id, {}, as_alice);
        EXPECT_EQ(r.status, 200) << r.body;
        return boost::json::parse(r.body).as_object();
    }

    // Polls until the draft is in `state` (20 s at most: a bound for a hung test, not a
    // timing claim).
    bool draft_reaches(const std::string& id, std::string_view state) {
        for (int i = 0; i < 400; ++i) {
            if (draft(id).at("state").as_string() == state) {
                return true;
            }
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }

    // Polls until the sink has received `n` replies.
    bool sink_receives(std::size_t n) {
        return eventually([&] { return sink_replies().size() >= n; });
    }

    // A signed decision, as a tool acting for an approver sends it (CONTRACT §5.3).
    http_reply post_decision(const std::string& draft_id,
                             const std::string& action,
                             const std::string& body,
                             std::chrono::seconds skew = 0s) {
        const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        const auto s = rapport::adapters::sign_rapport(decision_secret, body, now + skew);
        return http_call(
            port_, "POST", "/v1/drafts/" + draft_id + "/" + action, body,
            {{"X-Rapport-Timestamp", s.timestamp}, {"X-Rapport-Signature", s.signature}});
    }

    // Posts a message and returns the id of its first draft.
    std::string draft_for(const std::string& id, const std::string& text) {
        const auto r = post_signed(message(id, text));
        EXPECT_EQ(r.status, 200) << r.body;
        const auto drafts = boost::json::parse(r.body).at("drafts").as_array();
        EXPECT_FALSE(drafts.empty()) << r.body;
        return drafts.empty() ? std::string{} : std::string(drafts.at(0).as_string());
    }

    const std::vector<std::pair<std::string, std::string>> as_alice = {
        {"Authorization", "Bearer alice"}};

    rapport::testing::temp_dir temp_{"rapportd-test"};
    const fs::path dir_ = temp_.path();
    std::unique_ptr<daemon_process> daemon_;
    std::unique_ptr<daemon_process> sink_;
    std::uint16_t port_ = 0;
    std::uint16_t sink_port_ = 0;
};

} // namespace rapport::testing::integration
