// The approval workflow against a real rapportd (CONTRACT §5, §7, §8): signed decisions,
// guardrails, pause and resume, notifications, expiry, SLAs, offers, insight questions, the
// audit log and the listening API.
#include "tests/integration/rapportd_fixture.hpp"

#include <sqlite3.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <set>

namespace {

using namespace rapport::testing::integration;
using rapport::testing::http_call;
using rapport::testing::http_reply;

const char* const workflow_playbook = R"(playbook: care
offers:
  gift:
    codes_file: codes.txt
    per_day: 1000
rules:
  - id: urgent
    when: {query: fire}
    then: {team: support, priority: urgent, reply: "On it, {{author.name}}", stop: true}
  - id: complaint
    when: {query: broken}
    then: {tag: [complaint], team: support, priority: high, reply: "Sorry {{author.name}}", stop: true}
  - id: promise
    when: {query: promise}
    then: {team: support, reply: "It will work, guaranteed!", stop: true}
  - id: waiting
    when: {query: waiting}
    then: {team: support, sla: 2s, reply: "Looking now", stop: true}
  - id: fan
    when: {query: love}
    then: {tag: [fan], offer: {pool: gift, text: "Thank you! Your code: {{offer.code}}"}, stop: true}
  - id: hello
    when: {query: hello}
    then: {reply: "Hello {{author.name}}"}
)";

class approval_fixture : public rapportd_fixture {
protected:
    void SetUp() override {
        rapportd_fixture::SetUp();
        write("playbooks/care.yaml", workflow_playbook);
        write_codes(10);
    }

    void write_codes(int n) {
        std::string codes;
        for (int i = 1; i <= n; ++i) {
            codes += "GIFT-" + std::to_string(1000 + i) + "\n";
        }
        write("playbooks/codes.txt", codes);
    }

    http_reply approve(const std::string& id,
                       const std::string& body = "",
                       const std::string& token = "alice") {
        return http_call(port_, "POST", "/v1/drafts/" + id + "/approve", body,
                         {{"Authorization", "Bearer " + token}});
    }

    http_reply as(const std::string& token, const std::string& method, const std::string& path) {
        return http_call(port_, method, path, "", {{"Authorization", "Bearer " + token}});
    }

    // The text of every reply the sink received, oldest first.
    std::vector<std::string> sent_texts() {
        std::vector<std::string> out;
        for (const auto& r : sink_replies()) {
            const auto body = boost::json::parse(r.as_object().at("body").as_string());
            out.emplace_back(body.at("text").as_string());
        }
        return out;
    }
};

TEST_F(approval_fixture, signed_decisions_name_their_approver_and_are_accepted_once) {
    start();
    const std::string id = draft_for("m1", "my toaster is broken");
    const std::string body = R"({"approver":"carol","note":"fine"})";
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    const auto s = rapport::adapters::sign_rapport(decision_secret, body, now);
    const std::vector<std::pair<std::string, std::string>> headers{
        {"X-Rapport-Timestamp", s.timestamp}, {"X-Rapport-Signature", s.signature}};

    const auto first = http_call(port_, "POST", "/v1/drafts/" + id + "/approve", body, headers);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(boost::json::parse(first.body).at("decided_by").as_string(), "carol");
    // The same request again is a replay, even though the decision would be a repeat.
    const auto replay = http_call(port_, "POST", "/v1/drafts/" + id + "/approve", body, headers);
    EXPECT_EQ(replay.status, 401) << replay.body;
    EXPECT_NE(replay.body.find("replay"), std::string::npos);
    // A fresh signature for the same decision is a repeat: 200.
    EXPECT_EQ(post_decision(id, "approve", R"({"approver":"carol", "note":"fine"})").status, 200);

    const std::string other = draft_for("m2", "the kettle is broken");
    EXPECT_EQ(post_decision(other, "approve", R"({"approver":"carol"})", -400s).status, 401);
    EXPECT_EQ(post_decision(other, "approve", R"({"approver":"mallory"})").status, 403);
    EXPECT_EQ(post_decision(other, "approve", R"({"approver":"bob"})").status, 403);
    EXPECT_EQ(post_decision(other, "approve", R"({"note":"who am i"})").status, 400);
    const auto forged =
        http_call(port_, "POST", "/v1/drafts/" + other + "/approve", R"({"approver":"carol"})",
                  {{"X-Rapport-Timestamp", s.timestamp}, {"X-Rapport-Signature", s.signature}});
    EXPECT_EQ(forged.status, 401);
    EXPECT_EQ(draft(other).at("state").as_string(), "pending");
    const auto rejected = post_decision(other, "reject", R"({"approver":"carol","reason":"no"})");
    ASSERT_EQ(rejected.status, 200) << rejected.body;
    EXPECT_EQ(boost::json::parse(rejected.body).at("note").as_string(), "no");
}

TEST_F(approval_fixture, a_blocked_phrase_or_an_overlong_text_needs_an_edit) {
    start();
    const std::string id = draft_for("m1", "do you promise it works");
    const auto refused = approve(id);
    EXPECT_EQ(refused.status, 422) << refused.body;
    EXPECT_NE(refused.body.find("guaranteed"), std::string::npos) << refused.body;
    EXPECT_EQ(draft(id).at("state").as_string(), "pending");
    // Case and punctuation do not hide it.
    EXPECT_EQ(approve(id, R"({"text":"It works. GUARANTEED!!"})").status, 422);
    const auto fixed = approve(id, R"({"text":"It should work; tell us if not."})");
    ASSERT_EQ(fixed.status, 200) << fixed.body;
    ASSERT_TRUE(sink_receives(1));
    EXPECT_EQ(sent_texts().at(0), "It should work; tell us if not.");
}

TEST_F(approval_fixture, pause_holds_every_send_across_a_restart_and_resume_sends_by_priority) {
    start();
    EXPECT_EQ(as("bob", "POST", "/v1/pause").status, 403); // not an admin
    ASSERT_EQ(as("alice", "POST", "/v1/pause").status, 200);
    EXPECT_NE(http_call(port_, "GET", "/readyz").body.find("paused"), std::string::npos);
    EXPECT_NE(metrics().find("rapport_sending_paused 1"), std::string::npos);

    const std::string normal = draft_for("m1", "hello there");
    const std::string high = draft_for("m2", "it is broken");
    const std::string urgent = draft_for("m3", "fire in the kitchen");
    for (const auto& id : {normal, high, urgent}) {
        ASSERT_EQ(approve(id).status, 200);
    }
    // The dispatcher looks every second; two ticks pass with nothing sent.
    std::this_thread::sleep_for(2500ms);
    EXPECT_TRUE(sink_replies().empty());

    daemon_->signal(SIGTERM);
    ASSERT_EQ(daemon_->wait(20s), 0);
    start();
    std::this_thread::sleep_for(1500ms);
    EXPECT_TRUE(sink_replies().empty()) << "a pause must survive a restart";
    EXPECT_NE(http_call(port_, "GET", "/readyz").body.find("paused"), std::string::npos);

    ASSERT_EQ(as("alice", "POST", "/v1/resume").status, 200);
    ASSERT_TRUE(sink_receives(3));
    EXPECT_NE(metrics().find("rapport_sending_paused 0"), std::string::npos);
    // The audit log says who paused and resumed, and that the sends started most urgent
    // first (they run side by side, so they may arrive in any order).
    const auto audit = boost::json::parse(as("alice", "GET", "/v1/audit").body);
    std::vector<std::string> actions;
    std::vector<std::string> started; // newest first
    for (const auto& e : audit.at("entries").as_array()) {
        if (e.at("draft_id").is_null()) {
            actions.emplace_back(e.at("action").as_string());
            EXPECT_EQ(e.at("actor").as_string(), "alice");
        } else if (e.at("action").as_string() == "send") {
            started.emplace_back(e.at("draft_id").as_string());
        }
    }
    EXPECT_EQ(actions, (std::vector<std::string>{"resume", "pause"}));
    EXPECT_EQ(started, (std::vector<std::string>{normal, high, urgent}));
}

TEST_F(approval_fixture, every_notification_arrives_signed_even_after_the_receiver_was_down) {
    start();
    const std::string sent = draft_for("m1", "hello there");
    ASSERT_EQ(approve(sent).status, 200);
    ASSERT_TRUE(eventually([&] { return notified("draft.sent").size() == 1; }));

    // The receiver goes away; events keep happening and wait for it.
    const std::uint16_t port = sink_port_;
    sink_.reset();
    const std::string rejected = draft_for("m2", "hello again");
    ASSERT_EQ(http_call(port_, "POST", "/v1/drafts/" + rejected + "/reject", R"({"reason":"no"})",
                        as_alice)
                  .status,
              200);
    std::this_thread::sleep_for(3s);
    start_sink(port);
    ASSERT_TRUE(eventually([&] { return notified("draft.rejected").size() == 1; }));

    std::vector<std::string> events;
    for (const auto& n : sink_notifications()) {
        EXPECT_TRUE(n.at("signature_ok").as_bool()) << n;
    }
    for (const auto& body : notified()) {
        events.emplace_back(body.at("event").as_string());
        const auto& d = body.at("draft").as_object();
        EXPECT_EQ(body.at("approve_url").as_string(),
                  "http://127.0.0.1:" + std::to_string(port_) + "/v1/drafts/" +
                      std::string(d.at("id").as_string()) + "/approve");
        EXPECT_TRUE(body.contains("reject_url"));
        EXPECT_TRUE(body.at("event_id").is_int64());
    }
    // The restarted sink sees only what it had not acknowledged, in order.
    EXPECT_EQ(events, (std::vector<std::string>{"draft.created", "draft.rejected"}));
    // The draft in each event is as it was then.
    EXPECT_EQ(notified("draft.created").at(0).at("draft").at("state").as_string(), "pending");
    EXPECT_EQ(notified("draft.rejected").at(0).at("draft").at("note").as_string(), "no");
}

TEST_F(approval_fixture, an_undecided_draft_expires_and_cannot_be_approved_late) {
    write_config("2s");
    start();
    const std::string id = draft_for("m1", "hello there");
    ASSERT_TRUE(draft_reaches(id, "expired"));
    EXPECT_EQ(approve(id).status, 409);
    ASSERT_TRUE(eventually([&] { return notified("draft.expired").size() == 1; }));
    EXPECT_EQ(notified("draft.expired").at(0).at("draft").at("id").as_string(), id);
    EXPECT_TRUE(sink_replies().empty());
}

TEST_F(approval_fixture, an_unanswered_sla_is_raised_once_and_an_answered_one_is_not) {
    start();
    const std::string late = draft_for("m1", "still waiting for my order");
    const std::string answered = draft_for("m2", "waiting on a reply");
    ASSERT_EQ(approve(answered).status, 200);
    ASSERT_TRUE(draft_reaches(answered, "sent"));
    ASSERT_TRUE(eventually([&] { return notified("sla.breached").size() == 1; }));
    // Three more sweeps pass: no second notification for the same message.
    std::this_thread::sleep_for(3s);
    const auto breaches = notified("sla.breached");
    ASSERT_EQ(breaches.size(), 1U);
    EXPECT_EQ(breaches.at(0).at("draft").at("id").as_string(), late);
    EXPECT_GE(breaches.at(0).at("late_seconds").as_int64(), 0);
    EXPECT_EQ(breaches.at(0).at("message").at("id").as_string(), "m1");
    EXPECT_NE(metrics().find("rapport_sla_breaches_total 1"), std::string::npos);
    EXPECT_NE(metrics().find("rapport_first_response_seconds_count 1"), std::string::npos);
}

TEST_F(approval_fixture, the_audit_log_and_the_message_list_tell_what_happened) {
    start();
    const std::string id = draft_for("m1", "my toaster is broken");
    draft_for("m2", "hello there");
    ASSERT_EQ(approve(id, R"({"text":"So sorry, Sam."})").status, 200);
    ASSERT_TRUE(draft_reaches(id, "sent"));

    const auto audit = boost::json::parse(as("carol", "GET", "/v1/audit?draft=" + id).body);
    std::vector<std::string> steps;
    for (const auto& e : audit.at("entries").as_array()) {
        steps.push_back(std::string(e.at("actor").as_string()) + ":" +
                        std::string(e.at("action").as_string()));
    }
    EXPECT_EQ(steps, (std::vector<std::string>{"rapportd:sent", "rapportd:send", "alice:approve"}));
    const auto& approval = audit.at("entries").as_array().at(2);
    EXPECT_EQ(approval.at("before").at("text").as_string(), "Sorry Sam");
    EXPECT_EQ(approval.at("after").at("text").as_string(), "So sorry, Sam.");
    EXPECT_EQ(as("carol", "GET", "/v1/audit?after=banana").status, 400);

    const auto tagged = boost::json::parse(as("bob", "GET", "/v1/messages?tag=complaint").body);
    ASSERT_EQ(tagged.at("messages").as_array().size(), 1U);
    const auto& m = tagged.at("messages").as_array().at(0);
    EXPECT_EQ(m.at("id").as_string(), "m1");
    EXPECT_EQ(m.at("tags").as_array().at(0).as_string(), "complaint");
    EXPECT_EQ(m.at("decision").at("matched").as_array().at(0).as_string(), "care/complaint");
    const auto all = boost::json::parse(as("bob", "GET", "/v1/messages?limit=1").body);
    ASSERT_EQ(all.at("messages").as_array().size(), 1U);
    EXPECT_EQ(all.at("messages").as_array().at(0).at("id").as_string(), "m2");
    const std::string next(all.at("next").as_string());
    const auto page2 =
        boost::json::parse(as("bob", "GET", "/v1/messages?limit=1&after=" + next).body);
    EXPECT_EQ(page2.at("messages").as_array().at(0).at("id").as_string(), "m1");
    EXPECT_EQ(as("nobody", "GET", "/v1/messages").status, 401);
}

// Reads the store directly: which draft holds which code.
std::map<std::string, std::string> reserved_codes(const fs::path& db_path) {
    std::map<std::string, std::string> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT code, coalesce(draft_id, '') FROM offer_codes WHERE state != 'free'",
                       -1, &stmt, nullptr);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        out[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))] =
            reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
}

TEST_F(approval_fixture, offer_codes_are_never_handed_out_twice_even_across_kill_9) {
    start();
    // Twelve fans write at once, in four threads, and a kill -9 lands in the middle. As a
    // platform would, each poster repeats a message until it is acknowledged.
    std::atomic<std::uint16_t> port{port_};
    std::vector<std::thread> posters;
    for (int t = 0; t < 4; ++t) {
        posters.emplace_back([&, t] {
            for (int i = t; i < 12; i += 4) {
                const std::string body = message("fan-" + std::to_string(i), "I love this");
                for (int attempt = 0; attempt < 400; ++attempt) {
                    if (post_signed_to(port.load(), body).status == 200) {
                        break;
                    }
                    std::this_thread::sleep_for(50ms);
                }
            }
        });
    }
    std::this_thread::sleep_for(20ms);
    daemon_->signal(SIGKILL);
    daemon_->wait(20s);
    start();
    port = port_;
    for (auto& t : posters) {
        t.join();
    }
    std::vector<std::string> drafts;
    const auto listed = boost::json::parse(as("alice", "GET", "/v1/drafts?limit=500").body);
    for (const auto& d : listed.at("drafts").as_array()) {
        if (d.at("kind").as_string() == "offer") {
            drafts.emplace_back(d.at("id").as_string());
        }
    }
    // Ten codes, twelve fans: ten offers, then the pool is empty.
    EXPECT_EQ(drafts.size(), 10U);
    const auto skipped =
        boost::json::parse(as("alice", "GET", "/v1/messages?tag=fan&limit=500").body);
    int pool_empty = 0;
    for (const auto& m : skipped.at("messages").as_array()) {
        if (const auto* list = m.at("decision").as_object().if_contains("skipped")) {
            for (const auto& s : list->as_array()) {
                pool_empty += s.at("reason").as_string() == "pool_empty" ? 1 : 0;
            }
        }
    }
    EXPECT_EQ(pool_empty, 2);
    EXPECT_NE(metrics().find("rapport_offer_codes_left{pool=\"care/gift\"} 0"), std::string::npos)
        << metrics();

    // Sixteen approvers at once; every reply carries a different code.
    std::vector<std::thread> approvers;
    for (const auto& id : drafts) {
        approvers.emplace_back([&, id] { EXPECT_EQ(approve(id).status, 200); });
    }
    for (auto& t : approvers) {
        t.join();
    }
    ASSERT_TRUE(sink_receives(drafts.size()));
    std::set<std::string> codes;
    for (const auto& text : sent_texts()) {
        codes.insert(text.substr(text.find("GIFT-")));
    }
    EXPECT_EQ(codes.size(), drafts.size());
    const auto held = reserved_codes(dir_ / "state" / "rapport.db");
    EXPECT_EQ(held.size(), 10U);

    // A rejected offer gives its code back to the next fan.
    write_codes(11);
    daemon_->signal(SIGHUP);
    ASSERT_TRUE(daemon_->wait_for_log("offer_codes_added pool=care/gift added=1", 20s));
    const std::string next = draft_for("fan-new", "I love it");
    EXPECT_NE(draft(next).at("text").as_string().find("GIFT-1011"), std::string::npos);
    ASSERT_EQ(http_call(port_, "POST", "/v1/drafts/" + next + "/reject", "", as_alice).status, 200);
    const std::string again = draft_for("fan-again", "I love it so much");
    EXPECT_NE(draft(again).at("text").as_string().find("GIFT-1011"), std::string::npos);
}

const char* const insight_playbook = R"(playbook: research
insights:
  - id: apps
    question: "What apps keep you organized?"
    accounts: [site]
    schedule: {at: "2026-01-01T15:00:00Z"}
    thank: "Thanks {{author.name}}, great pick!"
rules:
  - id: answers
    when: {answers: apps}
    then: {collect: apps}
)";

TEST_F(approval_fixture, an_insight_question_is_asked_once_posted_and_its_answers_collected) {
    write("playbooks/care.yaml", insight_playbook);
    start();
    // The question's time has passed: it fires once, at start.
    std::string question;
    ASSERT_TRUE(eventually([&] {
        const auto list = boost::json::parse(as("alice", "GET", "/v1/drafts?state=pending").body);
        for (const auto& d : list.at("drafts").as_array()) {
            if (d.at("kind").as_string() == "insight_question") {
                question = d.at("id").as_string();
            }
        }
        return !question.empty();
    }));
    EXPECT_EQ(draft(question).at("text").as_string(), "What apps keep you organized?");
    EXPECT_TRUE(draft(question).at("in_reply_to").is_null());
    ASSERT_EQ(approve(question).status, 200);
    ASSERT_TRUE(draft_reaches(question, "sent"));
    const std::string posted(draft(question).at("sent_id").as_string());
    const auto reply = boost::json::parse(sink_replies().at(0).at("body").as_string());
    EXPECT_TRUE(reply.at("in_reply_to").is_null());

    // A restart does not ask again.
    daemon_->signal(SIGTERM);
    ASSERT_EQ(daemon_->wait(20s), 0);
    start();
    std::this_thread::sleep_for(1500ms);
    const auto pending = boost::json::parse(as("alice", "GET", "/v1/drafts?state=pending").body);
    EXPECT_TRUE(pending.at("drafts").as_array().empty());

    const auto answer = post_signed(R"({"id":"a1","text":"Paper notebooks!","in_reply_to":")" +
                                    posted + R"(","author":{"id":"u7","name":"Ana"}})");
    ASSERT_EQ(answer.status, 200) << answer.body;
    const auto thanks_ids = boost::json::parse(answer.body).at("drafts").as_array();
    ASSERT_EQ(thanks_ids.size(), 1U);
    const auto thanks = draft(std::string(thanks_ids.at(0).as_string()));
    EXPECT_EQ(thanks.at("kind").as_string(), "thanks");
    EXPECT_EQ(thanks.at("text").as_string(), "Thanks Ana, great pick!");
    // Someone else's message, not an answer, is not collected.
    ASSERT_EQ(post_signed(message("x1", "unrelated")).status, 200);

    const auto insight = boost::json::parse(as("bob", "GET", "/v1/insights/apps").body);
    EXPECT_EQ(insight.at("question").as_string(), "What apps keep you organized?");
    ASSERT_EQ(insight.at("posts").as_array().size(), 1U);
    EXPECT_EQ(insight.at("posts").as_array().at(0).at("sent_id").as_string(), posted);
    ASSERT_EQ(insight.at("answers").as_array().size(), 1U);
    const auto& a = insight.at("answers").as_array().at(0);
    EXPECT_EQ(a.at("text").as_string(), "Paper notebooks!");
    EXPECT_EQ(a.at("author").at("name").as_string(), "Ana");
    EXPECT_EQ(a.at("insight").as_string(), "apps");
    EXPECT_EQ(as("bob", "GET", "/v1/insights/nope").status, 404);
}

} // namespace
