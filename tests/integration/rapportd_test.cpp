// rapportd as it runs in production: a real process on loopback, its config and playbooks in
// a temporary directory, signed webhooks from outside, signals to reload and stop.
#include "adapters/common/signature.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/http_client.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using rapport::testing::daemon_process;
using rapport::testing::http_call;
using rapport::testing::http_reply;

constexpr const char* secret = "site-hmac-value";

const char* const config_yaml = R"(server:
  listen: 127.0.0.1:0
  max_body_bytes: 65536
state: ./state
playbooks: ./playbooks
approvers:
  - {name: alice, token_secret: alice-token, teams: ["*"], admin: true}
  - {name: bob, token_secret: bob-token, teams: [social]}
  - {name: carol, token_secret: carol-token, teams: [support]}
accounts:
  - {id: site, platform: generic, secret: site-hmac, reply_url: "http://127.0.0.1:9/replies"}
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
        std::random_device rd;
        dir_ = fs::temp_directory_path() / ("rapportd-test-" + std::to_string(rd()));
        fs::create_directories(dir_ / "playbooks");
        write("rapport.yaml", config_yaml);
        write("playbooks/care.yaml", complaint_playbook);
    }

    void TearDown() override {
        daemon_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    void write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
    }

    void start(std::vector<std::string> extra_env = {}) {
        std::vector<std::string> env{
            "RAPPORT_SECRET_SITE_HMAC=" + std::string(secret), "RAPPORT_SECRET_ALICE_TOKEN=alice",
            "RAPPORT_SECRET_BOB_TOKEN=bob", "RAPPORT_SECRET_CAROL_TOKEN=carol"};
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
        const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        const auto s = rapport::adapters::sign_rapport(key, body, now + skew);
        return http_call(
            port_, "POST", "/hooks/site", body,
            {{"X-Rapport-Timestamp", s.timestamp}, {"X-Rapport-Signature", s.signature}});
    }

    static std::string message(const std::string& id, const std::string& text) {
        return R"({"id":")" + id + R"(","text":")" + text +
               R"(","author":{"id":"u1","name":"Sam"}})";
    }

    std::string metrics() { return http_call(port_, "GET", "/metrics").body; }

    fs::path dir_;
    std::unique_ptr<daemon_process> daemon_;
    std::uint16_t port_ = 0;
};

TEST_F(rapportd_fixture, a_signed_message_becomes_a_pending_draft_once) {
    start();
    EXPECT_EQ(http_call(port_, "GET", "/healthz").status, 200);
    EXPECT_EQ(http_call(port_, "GET", "/readyz").status, 200);

    const auto first = post_signed(message("m1", "my bike is broken"));
    EXPECT_EQ(first.status, 200) << first.body;
    EXPECT_NE(first.body.find("\"status\":\"stored\""), std::string::npos) << first.body;
    EXPECT_NE(first.body.find("\"d-"), std::string::npos) << first.body;

    const auto again = post_signed(message("m1", "my bike is broken"));
    EXPECT_EQ(again.status, 200);
    EXPECT_NE(again.body.find("\"status\":\"duplicate\""), std::string::npos) << again.body;

    const auto m = metrics();
    EXPECT_NE(m.find("rapport_messages_total{account=\"site\",kind=\"mention\"} 1\n"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("rapport_rule_matches_total{rule=\"care/complaint\"} 1\n"), std::string::npos);
    EXPECT_NE(m.find("rapport_drafts_total{state=\"pending\"} 1\n"), std::string::npos);
}

TEST_F(rapportd_fixture, bad_requests_are_refused_and_store_nothing) {
    start();
    const std::string body = message("m2", "my bike is broken");
    EXPECT_EQ(post_signed(body, 0s, "wrong-key").status, 401);
    EXPECT_EQ(post_signed(body, -301s).status, 401);                      // stale
    EXPECT_EQ(http_call(port_, "POST", "/hooks/site", body).status, 401); // unsigned
    EXPECT_EQ(post_signed("{not json").status, 400);
    EXPECT_EQ(post_signed(R"({"id":"m3","text":"x"})").status, 400); // no author
    EXPECT_EQ(http_call(port_, "POST", "/hooks/nobody", body).status, 404);
    const auto big = post_signed(message("m4", std::string(100000, 'a')));
    EXPECT_EQ(big.status, 413) << big.body;
    EXPECT_NE(big.body.find("\"error\""), std::string::npos);

    const auto m = metrics();
    EXPECT_EQ(m.find("rapport_messages_total{"), std::string::npos) << m;
    EXPECT_NE(m.find("rapport_webhook_rejected_total{account=\"site\",reason=\"bad_signature\"} 1"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("reason=\"stale_timestamp\"} 1"), std::string::npos);
    EXPECT_NE(m.find("reason=\"missing_signature\"} 1"), std::string::npos);
    EXPECT_NE(m.find("reason=\"bad_request\"} 2"), std::string::npos);
}

TEST_F(rapportd_fixture, a_broken_reload_keeps_the_old_rules_and_a_good_one_applies) {
    start();
    write("playbooks/care.yaml",
          "playbook: care\nrules:\n  - id: complaint\n    when: {query: "
          "'broken AND ('}\n");
    daemon_->signal(SIGHUP);
    ASSERT_TRUE(daemon_->wait_for_log("reload_failed", 10s)) << daemon_->log_text();
    auto r = post_signed(message("m5", "still broken"));
    EXPECT_NE(r.body.find("\"d-"), std::string::npos) << "old rules still draft: " << r.body;

    write("playbooks/care.yaml", R"(playbook: care
rules:
  - id: praise
    when: {query: love}
    then: {reply: "Thanks!"}
  - id: thanks
    when: {query: thanks}
    then: {tag: [thanks]}
)");
    daemon_->signal(SIGHUP);
    ASSERT_TRUE(daemon_->wait_for_log("rules=2", 10s)) << daemon_->log_text();
    r = post_signed(message("m6", "still broken"));
    EXPECT_NE(r.body.find("\"drafts\":[]"), std::string::npos) << r.body;
    r = post_signed(message("m7", "I love it"));
    EXPECT_NE(r.body.find("\"d-"), std::string::npos) << r.body;
    EXPECT_NE(metrics().find("rapport_playbook_reloads_total{result=\"failure\"} 1"),
              std::string::npos);
}

TEST_F(rapportd_fixture, sigterm_drains_and_exits_zero_and_data_survives_a_restart) {
    start();
    EXPECT_EQ(post_signed(message("m8", "broken again")).status, 200);
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait(20s), 0) << daemon_->log_text();

    start();
    const auto again = post_signed(message("m8", "broken again"));
    EXPECT_NE(again.body.find("\"status\":\"duplicate\""), std::string::npos) << again.body;
}

TEST_F(rapportd_fixture, approvers_list_and_read_drafts_with_their_token) {
    start();
    const auto stored = post_signed(message("m9", "my bike is broken"));
    const auto id_at = stored.body.find("\"d-");
    ASSERT_NE(id_at, std::string::npos) << stored.body;
    const std::string id =
        stored.body.substr(id_at + 1, stored.body.find('"', id_at + 1) - id_at - 1);
    const std::vector<std::pair<std::string, std::string>> alice = {
        {"Authorization", "Bearer alice"}};

    const auto list = http_call(port_, "GET", "/v1/drafts?state=pending", {}, alice);
    EXPECT_EQ(list.status, 200) << list.body;
    EXPECT_NE(list.body.find("\"id\":\"" + id + "\""), std::string::npos) << list.body;
    EXPECT_NE(list.body.find("\"text\":\"Sorry Sam\""), std::string::npos) << list.body;
    EXPECT_NE(list.body.find("\"team\":\"support\""), std::string::npos);
    EXPECT_NE(list.body.find("\"in_reply_to\":{\"id\":\"m9\""), std::string::npos) << list.body;
    EXPECT_NE(list.body.find("\"next\":null"), std::string::npos);

    const auto one = http_call(port_, "GET", "/v1/drafts/" + id, {}, alice);
    EXPECT_EQ(one.status, 200);
    EXPECT_NE(one.body.find("\"state\":\"pending\",\"kind\":\"reply\""), std::string::npos)
        << one.body;
    EXPECT_NE(one.body.find("\"version\":1"), std::string::npos);

    EXPECT_EQ(http_call(port_, "GET", "/v1/drafts/d-nothing", {}, alice).status, 404);
    EXPECT_EQ(http_call(port_, "GET", "/v1/drafts?state=bogus", {}, alice).status, 400);
    EXPECT_EQ(http_call(port_, "GET", "/v1/drafts?limit=501", {}, alice).status, 400);
    EXPECT_EQ(http_call(port_, "GET", "/v1/drafts").status, 401);
    EXPECT_EQ(http_call(port_, "GET", "/v1/drafts", {}, {{"Authorization", "Bearer alicf"}}).status,
              401);
    EXPECT_EQ(http_call(port_, "GET", "/v1/drafts/" + id, {}, {{"Authorization", "alice"}}).status,
              401);
}

// Stands in for systemd: the datagram socket sd_notify writes to.
class notify_socket {
public:
    explicit notify_socket(const fs::path& path) : path_(path) {
        fd_ = socket(AF_UNIX, SOCK_DGRAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
        EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        timeval timeout{0, 200000};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    }
    ~notify_socket() { close(fd_); }
    notify_socket(const notify_socket&) = delete;
    notify_socket& operator=(const notify_socket&) = delete;

    // Waits up to `timeout` for a datagram containing `text`; the messages seen go to `seen`.
    bool wait_for(const std::string& text, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        char buffer[4096];
        while (std::chrono::steady_clock::now() < deadline) {
            const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
            if (n > 0) {
                seen += std::string(buffer, static_cast<std::size_t>(n)) + "|";
                if (std::string_view(buffer, static_cast<std::size_t>(n)).find(text) !=
                    std::string_view::npos) {
                    return true;
                }
            }
        }
        return false;
    }
    std::string seen;

private:
    fs::path path_;
    int fd_ = -1;
};

TEST_F(rapportd_fixture, tells_systemd_ready_reloading_watchdog_and_stopping) {
    notify_socket systemd(dir_ / "notify.sock");
    start({"NOTIFY_SOCKET=" + (dir_ / "notify.sock").string(), "WATCHDOG_USEC=200000"});
    EXPECT_TRUE(systemd.wait_for("READY=1", 5s)) << systemd.seen;
    EXPECT_TRUE(systemd.wait_for("WATCHDOG=1", 5s)) << systemd.seen;
    daemon_->signal(SIGHUP);
    EXPECT_TRUE(systemd.wait_for("RELOADING=1", 5s)) << systemd.seen;
    EXPECT_TRUE(systemd.wait_for("READY=1", 5s)) << systemd.seen;
    daemon_->signal(SIGTERM);
    EXPECT_TRUE(systemd.wait_for("STOPPING=1", 5s)) << systemd.seen;
    EXPECT_EQ(daemon_->wait(20s), 0);
}

std::string draft_id_in(const std::string& body) {
    const auto at = body.find("\"d-");
    return at == std::string::npos ? "" : body.substr(at + 1, body.find('"', at + 1) - at - 1);
}

TEST_F(rapportd_fixture, approving_and_rejecting_follow_the_draft_states) {
    start();
    const std::string id = draft_id_in(post_signed(message("m10", "my bike is broken")).body);
    ASSERT_FALSE(id.empty());
    const std::vector<std::pair<std::string, std::string>> alice = {
        {"Authorization", "Bearer alice"}};
    const std::vector<std::pair<std::string, std::string>> bob = {{"Authorization", "Bearer bob"}};
    const std::string approve = "/v1/drafts/" + id + "/approve";

    // bob approves social drafts only; this one belongs to support.
    const auto forbidden = http_call(port_, "POST", approve, "", bob);
    EXPECT_EQ(forbidden.status, 403) << forbidden.body;
    EXPECT_EQ(http_call(port_, "POST", approve, "").status, 401);
    EXPECT_EQ(http_call(port_, "POST", "/v1/drafts/d-none/approve", "", alice).status, 404);
    EXPECT_EQ(http_call(port_, "POST", approve, "{oops", alice).status, 400);
    EXPECT_EQ(http_call(port_, "POST", approve, R"({"txt":"x"})", alice).status, 400);
    EXPECT_EQ(http_call(port_, "POST", approve, R"({"version":5})", alice).status, 409);

    const auto approved =
        http_call(port_, "POST", approve, R"({"text":"Sorry Sam, on it","version":1})", alice);
    EXPECT_EQ(approved.status, 200) << approved.body;
    EXPECT_NE(approved.body.find("\"state\":\"approved\""), std::string::npos) << approved.body;
    EXPECT_NE(approved.body.find("\"text\":\"Sorry Sam, on it\""), std::string::npos);
    EXPECT_NE(approved.body.find("\"original_text\":\"Sorry Sam\""), std::string::npos);
    EXPECT_NE(approved.body.find("\"decided_by\":\"alice\""), std::string::npos);
    EXPECT_NE(approved.body.find("\"version\":2"), std::string::npos);

    // The same decision again is fine; a different edit or a rejection conflicts.
    EXPECT_EQ(http_call(port_, "POST", approve, "", alice).status, 200);
    EXPECT_EQ(http_call(port_, "POST", approve, R"({"text":"Another"})", alice).status, 409);
    EXPECT_EQ(http_call(port_, "POST", "/v1/drafts/" + id + "/reject", "", alice).status, 409);

    // A second draft is rejected with a reason, and stays rejected.
    const std::string other = draft_id_in(post_signed(message("m11", "broken again")).body);
    const auto rejected = http_call(port_, "POST", "/v1/drafts/" + other + "/reject",
                                    R"({"reason":"already answered by phone"})", alice);
    EXPECT_EQ(rejected.status, 200) << rejected.body;
    EXPECT_NE(rejected.body.find("\"note\":\"already answered by phone\""), std::string::npos);
    EXPECT_EQ(http_call(port_, "POST", "/v1/drafts/" + other + "/approve", "", alice).status, 409);
    const auto m = metrics();
    EXPECT_NE(m.find("rapport_drafts_total{state=\"approved\"} 1"), std::string::npos) << m;
    EXPECT_NE(m.find("rapport_drafts_total{state=\"rejected\"} 1"), std::string::npos);
}

TEST_F(rapportd_fixture, check_reports_problems_and_exit_codes) {
    const auto run_check = [&] {
        daemon_process p({RAPPORTD_PATH, "--config", "rapport.yaml", "--check"}, dir_,
                         {"RAPPORT_SECRET_SITE_HMAC=x", "RAPPORT_SECRET_ALICE_TOKEN=y",
                          "RAPPORT_SECRET_BOB_TOKEN=z", "RAPPORT_SECRET_CAROL_TOKEN=w"},
                         dir_ / "check.log");
        return p.wait(20s);
    };
    EXPECT_EQ(run_check(), 0);
    write("playbooks/care.yaml", "playbook: care\nrules: {}\n");
    EXPECT_EQ(run_check(), 1);
}

} // namespace
