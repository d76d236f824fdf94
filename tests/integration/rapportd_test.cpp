// rapportd as it runs in production: a real process on loopback, its config and playbooks in
// a temporary directory, signed webhooks from outside, signals to reload and stop.
#include "adapters/common/signature.hpp"
#include "tests/support/daemon_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/integration/rapportd_fixture.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>
#include <sqlite3.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

namespace {

using namespace rapport::testing::integration;

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
    EXPECT_NE(m.find("rapport_drafts_pending 1\n"), std::string::npos) << m;
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
                          "RAPPORT_SECRET_BOB_TOKEN=z", "RAPPORT_SECRET_CAROL_TOKEN=w",
                          "RAPPORT_SECRET_DECISION_HMAC=v", "RAPPORT_SECRET_NOTIFY_HMAC=u"},
                         dir_ / "check.log");
        return p.wait(20s);
    };
    EXPECT_EQ(run_check(), 0);
    write("playbooks/care.yaml", "playbook: care\nrules: {}\n");
    EXPECT_EQ(run_check(), 1);
}

TEST_F(rapportd_fixture, an_approved_draft_is_sent_once_signed_with_its_idempotency_key) {
    start();
    const std::string id = draft_id_in(post_signed(message("m20", "my bike is broken")).body);
    const std::string other = draft_id_in(post_signed(message("m21", "broken too")).body);
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(http_call(port_, "POST", "/v1/drafts/" + other + "/reject", "", as_alice).status,
              200);
    const auto approved = http_call(port_, "POST", "/v1/drafts/" + id + "/approve",
                                    R"({"text":"Sorry Sam, a new battery is on its way"})",
                                    as_alice);
    ASSERT_EQ(approved.status, 200) << approved.body;
    ASSERT_TRUE(draft_reaches(id, "sent")) << daemon_->log_text();

    const auto d = draft(id);
    EXPECT_EQ(d.at("sent_id").as_string(), "sink-1");
    EXPECT_EQ(d.at("attempts").as_int64(), 1);
    EXPECT_TRUE(d.at("sent_at").is_string());
    std::this_thread::sleep_for(300ms);  // time for a wrong second send to show up
    const auto replies = sink_replies();
    ASSERT_EQ(replies.size(), 1U) << boost::json::serialize(replies);
    const auto& r = replies[0].as_object();
    EXPECT_TRUE(r.at("signature_ok").as_bool());
    EXPECT_EQ(r.at("idempotency_key").as_string(), id);
    const auto body = boost::json::parse(r.at("body").as_string()).as_object();
    EXPECT_EQ(body.at("draft_id").as_string(), id);
    EXPECT_EQ(body.at("account").as_string(), "site");
    EXPECT_EQ(body.at("in_reply_to").as_string(), "m20");
    EXPECT_TRUE(body.at("thread_id").is_null());
    EXPECT_EQ(body.at("text").as_string(), "Sorry Sam, a new battery is on its way");
    EXPECT_EQ(body.at("private").as_bool(), false);
    EXPECT_EQ(body.at("kind").as_string(), "reply");
    EXPECT_EQ(draft(other).at("state").as_string(), "rejected");

    const auto m = metrics();
    EXPECT_NE(m.find("rapport_sends_total{account=\"site\",result=\"sent\"} 1\n"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("rapport_drafts_total{state=\"sent\"} 1\n"), std::string::npos) << m;
    EXPECT_NE(m.find("rapport_drafts_pending 0\n"), std::string::npos) << m;
    EXPECT_NE(m.find("rapport_approval_seconds_count 2\n"), std::string::npos) << m;
    EXPECT_NE(m.find("rapport_sla_breaches_total 0\n"), std::string::npos) << m;
    EXPECT_NE(m.find("# TYPE rapport_stream_connected gauge\n"), std::string::npos) << m;
}

TEST_F(rapportd_fixture, a_busy_receiver_is_retried_and_a_refusing_one_fails_the_draft) {
    start();
    sink_answers(R"({"status":503,"retry_after":"1","count":1})");
    const std::string busy = draft_id_in(post_signed(message("m22", "my bike is broken")).body);
    ASSERT_EQ(http_call(port_, "POST", "/v1/drafts/" + busy + "/approve", "", as_alice).status,
              200);
    ASSERT_TRUE(draft_reaches(busy, "sent")) << daemon_->log_text();
    EXPECT_EQ(draft(busy).at("attempts").as_int64(), 2);
    ASSERT_EQ(sink_replies().size(), 2U);
    EXPECT_EQ(sink_replies()[0].at("answered").as_int64(), 503);

    sink_answers(R"({"status":400,"count":1})");
    const std::string refused = draft_id_in(post_signed(message("m23", "broken again")).body);
    ASSERT_EQ(http_call(port_, "POST", "/v1/drafts/" + refused + "/approve", "", as_alice).status,
              200);
    ASSERT_TRUE(draft_reaches(refused, "failed")) << daemon_->log_text();
    const auto d = draft(refused);
    EXPECT_NE(std::string(d.at("last_error").as_string()).find("reply_url answered 400"),
              std::string::npos)
        << boost::json::serialize(d);
    EXPECT_EQ(d.at("attempts").as_int64(), 1);
    const auto m = metrics();
    EXPECT_NE(m.find("rapport_sends_total{account=\"site\",result=\"retry\"} 1\n"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("rapport_sends_total{account=\"site\",result=\"failed\"} 1\n"),
              std::string::npos);
}

TEST_F(rapportd_fixture, a_send_cut_off_by_kill_9_waits_for_review_and_is_never_resent_alone) {
    start();
    sink_answers(R"({"hang":true,"count":1})");
    const std::string id = draft_id_in(post_signed(message("m24", "my bike is broken")).body);
    ASSERT_EQ(http_call(port_, "POST", "/v1/drafts/" + id + "/approve", "", as_alice).status, 200);
    ASSERT_TRUE(sink_receives(1));  // the request is at the receiver, which does not answer
    daemon_->signal(SIGKILL);
    daemon_->wait(20s);

    start();
    ASSERT_TRUE(daemon_->wait_for_log("send_interrupted draft=" + id, 10s)) << daemon_->log_text();
    auto d = draft(id);
    EXPECT_EQ(d.at("state").as_string(), "needs_review");
    EXPECT_NE(std::string(d.at("last_error").as_string()).find("may or may not"),
              std::string::npos);
    std::this_thread::sleep_for(1500ms);  // more than a dispatcher tick
    EXPECT_EQ(sink_replies().size(), 1U) << "re-sent without a person deciding";

    // A person looks, decides it should go (again), and it does.
    ASSERT_EQ(http_call(port_, "POST", "/v1/drafts/" + id + "/approve", "", as_alice).status, 200);
    ASSERT_TRUE(draft_reaches(id, "sent")) << daemon_->log_text();
    EXPECT_EQ(sink_replies().size(), 2U);
    EXPECT_EQ(draft(id).at("attempts").as_int64(), 2);
}

// Reads the daemon's database directly (WAL allows it while the daemon runs).
class database {
public:
    explicit database(const fs::path& path) {
        EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
        sqlite3_busy_timeout(db_, 5000);
    }
    ~database() { sqlite3_close_v2(db_); }
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    std::int64_t number(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), SQLITE_OK)
            << sqlite3_errmsg(db_);
        std::int64_t v = -1;
        if (sqlite3_step(s) == SQLITE_ROW) {
            v = sqlite3_column_int64(s, 0);
        }
        sqlite3_finalize(s);
        return v;
    }

private:
    sqlite3* db_ = nullptr;
};

// Posts signed messages one after another until stopped, noting which ids got a 2xx. While
// rapportd is down the posts fail and are simply not acknowledged.
class message_stream {
public:
    explicit message_stream(std::function<int(const std::string& id)> post,
                            std::string prefix = "s")
        : post_(std::move(post)), prefix_(std::move(prefix)), thread_([this] { run(); }) {}
    ~message_stream() { stop(); }
    message_stream(const message_stream&) = delete;
    message_stream& operator=(const message_stream&) = delete;

    void stop() {
        stopping_ = true;
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    std::vector<std::string> acknowledged() {
        std::lock_guard lock{mutex_};
        return acknowledged_;
    }
    std::size_t count() {
        std::lock_guard lock{mutex_};
        return acknowledged_.size();
    }
    /// Posts that got no 2xx.
    int failures() const { return failures_.load(); }

private:
    void run() {
        for (int n = 0; !stopping_; ++n) {
            const std::string id = prefix_ + std::to_string(n);
            if (post_(id) / 100 == 2) {
                std::lock_guard lock{mutex_};
                acknowledged_.push_back(id);
            } else {
                ++failures_;
                std::this_thread::sleep_for(5ms);
            }
        }
    }

    std::function<int(const std::string&)> post_;
    std::string prefix_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> failures_{0};
    std::mutex mutex_;
    std::vector<std::string> acknowledged_;
    std::thread thread_;
};

TEST_F(rapportd_fixture, every_acknowledged_message_survives_kill_9_exactly_once) {
    start();
    std::atomic<std::uint16_t> port{port_};
    const auto post = [&](const std::string& id) {
        return post_signed_to(port.load(), message(id, "my bike is broken")).status;
    };
    // Three senders at once, so a kill lands with requests queued for the same group commit.
    std::vector<std::unique_ptr<message_stream>> streams;
    for (const char* prefix : {"a", "b", "c"}) {
        streams.push_back(std::make_unique<message_stream>(post, prefix));
    }
    const auto total = [&] {
        std::size_t n = 0;
        for (auto& s : streams) {
            n += s->count();
        }
        return n;
    };
    const auto let_messages_in = [&](std::size_t n) {
        const std::size_t before = total();
        for (int i = 0; i < 1000 && total() < before + n; ++i) {
            std::this_thread::sleep_for(10ms);
        }
    };
    std::mt19937 random{std::random_device{}()};
    constexpr int kills = 6;
    for (int round = 0; round < kills; ++round) {
        let_messages_in(30);
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % 100));
        daemon_->signal(SIGKILL);
        daemon_->wait(20s);
        start();
        port = port_;
    }
    let_messages_in(30);
    std::vector<std::string> acknowledged;
    for (auto& s : streams) {
        s->stop();
        const auto ids = s->acknowledged();
        acknowledged.insert(acknowledged.end(), ids.begin(), ids.end());
    }
    daemon_->signal(SIGTERM);
    ASSERT_EQ(daemon_->wait(20s), 0) << daemon_->log_text();

    ASSERT_GE(acknowledged.size(), static_cast<std::size_t>(30 * (kills + 1)));
    database db(dir_ / "state" / "rapport.db");
    for (const auto& id : acknowledged) {
        ASSERT_EQ(db.number("SELECT count(*) FROM messages WHERE account = 'site' AND id = '" +
                            id + "'"),
                  1)
            << id << " was acknowledged but is not stored";
    }
    // Nothing was processed twice: one draft per message, one history event per message.
    EXPECT_EQ(db.number("SELECT count(*) FROM messages m WHERE (SELECT count(*) FROM drafts d "
                        "WHERE d.account = m.account AND d.in_reply_to = m.id) != 1"),
              0);
    EXPECT_EQ(db.number("SELECT count(*) FROM person_events"),
              db.number("SELECT count(*) FROM messages"));
}

TEST_F(rapportd_fixture, reloads_under_a_stream_lose_nothing_and_process_nothing_twice) {
    start();
    const std::uint16_t port = port_;
    message_stream stream([&](const std::string& id) {
        return post_signed_to(port, message(id, "my bike is broken")).status;
    });
    for (int round = 0; round < 5; ++round) {
        std::this_thread::sleep_for(100ms);
        daemon_->signal(SIGHUP);
    }
    std::this_thread::sleep_for(200ms);
    stream.stop();
    const auto acknowledged = stream.acknowledged();
    ASSERT_GT(acknowledged.size(), 20U);
    EXPECT_EQ(stream.failures(), 0);  // reloads never turned a message away
    daemon_->signal(SIGTERM);
    ASSERT_EQ(daemon_->wait(20s), 0) << daemon_->log_text();
    database db(dir_ / "state" / "rapport.db");
    // Every post was answered 2xx (no gap during reloads) and stored exactly once.
    EXPECT_EQ(db.number("SELECT count(*) FROM messages"),
              static_cast<std::int64_t>(acknowledged.size()));
    EXPECT_EQ(db.number("SELECT count(*) FROM drafts"),
              static_cast<std::int64_t>(acknowledged.size()));
    EXPECT_EQ(db.number("SELECT count(*) FROM person_events"),
              static_cast<std::int64_t>(acknowledged.size()));
}

} // namespace

namespace {

TEST_F(rapportd_fixture, log_lines_carry_a_syslog_priority_and_no_time_for_the_journal) {
    // systemd sets JOURNAL_STREAM to the device:inode of the stream stderr is connected to.
    start({"JOURNAL_STREAM=<stderr>"});
    daemon_->signal(SIGTERM);
    ASSERT_EQ(daemon_->wait(20s), 0);
    const std::string text = daemon_->log_text();
    EXPECT_NE(text.find("<6>listening address=127.0.0.1:"), std::string::npos) << text;
    EXPECT_NE(text.find("<6>stopped"), std::string::npos) << text;
    EXPECT_EQ(text.find("2026-"), std::string::npos) << text;  // no timestamps
}

TEST_F(rapportd_fixture, log_lines_are_timestamped_when_not_on_the_journal) {
    // A JOURNAL_STREAM naming some other stream (inherited from a parent) does not count.
    start({"JOURNAL_STREAM=1:1"});
    const std::string text = daemon_->log_text();
    EXPECT_EQ(text.find("<6>"), std::string::npos) << text;
    EXPECT_NE(text.find(" info listening address="), std::string::npos) << text;
}

} // namespace
