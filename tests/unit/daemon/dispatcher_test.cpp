// The dispatcher against a real store and a scripted sender: order, retries, failures,
// review after an unknown outcome, limits, wake-up and stop.
#include "daemon/rapportd/dispatcher.hpp"
#include "daemon/store/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace rapport::daemon {
namespace {

using namespace std::chrono_literals;
using adapters::delivery;
using outcome = adapters::delivery::outcome;

const rules::time_point t0 = std::chrono::floor<std::chrono::seconds>(
    std::chrono::system_clock::now());

delivery answer(outcome what, std::string error = {}) {
    delivery d;
    d.what = what;
    d.error = std::move(error);
    return d;
}

// Answers each send with the next scripted delivery (then "sent"); records what it was asked.
// `hang` makes every send wait until the io_context goes away.
class scripted_sender final : public adapters::reply_sender {
public:
    explicit scripted_sender(std::deque<delivery> script = {}, bool hang = false)
        : script_(std::move(script)), hang_(hang) {}

    net::awaitable<delivery> send(const adapters::outgoing_reply& reply) override {
        {
            std::lock_guard lock{mutex_};
            sent_.push_back(reply);
        }
        if (hang_) {
            net::steady_timer forever(co_await net::this_coro::executor, 24h);
            co_await forever.async_wait(use_tuple);
        }
        std::lock_guard lock{mutex_};
        if (script_.empty()) {
            delivery ok = answer(outcome::sent);
            ok.sent_id = "r-" + reply.draft_id;
            co_return ok;
        }
        delivery next = script_.front();
        script_.pop_front();
        co_return next;
    }

    std::vector<adapters::outgoing_reply> sent() const {
        std::lock_guard lock{mutex_};
        return sent_;
    }

private:
    mutable std::mutex mutex_;
    std::deque<delivery> script_;
    std::vector<adapters::outgoing_reply> sent_;
    bool hang_;
};

class dispatcher_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto opened = sqlite_store::open(dir_.path() / "rapport.db");
        ASSERT_EQ(opened.error, "");
        store_ = std::move(opened.store);
        options_.tick = 20ms;
        options_.first_backoff = 1s;
    }

    void TearDown() override {
        ioc_.stop();
        if (thread_.joinable()) {
            thread_.join();
        }
        // As rapportd does: the store closes (its writer thread ends, with the completion
        // handlers it holds) before the io_context those handlers belong to goes away.
        store_->close();
        dispatcher_.reset();
    }

    void start(std::vector<dispatch_account> accounts) {
        dispatcher_ = std::make_unique<dispatcher>(
            ioc_.get_executor(), *store_, std::move(accounts), options_,
            [this](const dispatch_event& e) {
                std::lock_guard lock{mutex_};
                events_.push_back(e);
            });
        dispatcher_->start();
        thread_ = std::thread([this] { ioc_.run(); });
    }

    dispatch_account account(std::shared_ptr<adapters::reply_sender> sender,
                              std::string id = "acme-site") {
        dispatch_account a;
        a.id = std::move(id);
        a.sender = std::move(sender);
        a.sends_per_minute = 600;
        return a;
    }

    // A stored message with one draft, approved.
    std::string approved(std::string message_id,
                         rules::priority priority = rules::priority::normal,
                         std::string account = "acme-site") {
        const std::string id = pending(std::move(message_id), priority, std::move(account));
        decide_request r;
        r.draft_id = id;
        r.what = decide_request::action::approve;
        r.approver = "alice";
        r.at = t0;
        EXPECT_EQ(wait_for_store<decide_result>(
                      [&](auto done) { store_->decide(r, std::move(done)); })
                      .status,
                  decide_status::changed);
        return id;
    }

    std::string pending(std::string message_id,
                        rules::priority priority = rules::priority::normal,
                        std::string account = "acme-site") {
        rules::message m;
        m.id = std::move(message_id);
        m.text = "my toaster is broken";
        m.author.id = "u1";
        m.thread_id = "t-" + m.id;
        m.platform = "generic";
        m.account = std::move(account);
        rules::decision d;
        d.message_id = m.id;
        rules::draft_spec spec;
        spec.rule = "care/complaint";
        spec.text = "Sorry about that, " + m.id;
        spec.priority = priority;
        d.drafts.push_back(spec);
        return wait_for_store<ingest_result>([&](auto done) {
                   store_->ingest(make_ingest_request(m, d, t0, 72h), std::move(done));
               })
            .draft_ids.at(0);
    }

    draft_record draft(const std::string& id) { return *store_->get_draft(id).value; }

    // Waits (at most 20 s, a bound for hung tests, not a timing claim) until the draft is in
    // `state`.
    bool reaches(const std::string& id, draft_state state) {
        for (int i = 0; i < 2000; ++i) {
            if (draft(id).state == state) {
                return true;
            }
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }

    std::vector<dispatch_event> events() {
        std::lock_guard lock{mutex_};
        return events_;
    }

    rapport::testing::temp_dir dir_{"rapport-dispatcher-test"};
    std::unique_ptr<sqlite_store> store_;
    dispatcher_options options_;
    net::io_context ioc_;
    std::thread thread_;
    std::unique_ptr<dispatcher> dispatcher_;
    std::mutex mutex_;
    std::vector<dispatch_event> events_;
};

TEST_F(dispatcher_test, sends_approved_drafts_most_urgent_first_and_records_the_platform_id) {
    const auto low = approved("m1", rules::priority::low);
    const auto urgent = approved("m2", rules::priority::urgent);
    const auto normal = approved("m3", rules::priority::normal);
    const auto waiting = pending("m4");
    options_.max_in_flight = 1;
    auto sender = std::make_shared<scripted_sender>();
    start({account(sender)});
    ASSERT_TRUE(reaches(low, draft_state::sent));
    const auto sent = sender->sent();
    ASSERT_EQ(sent.size(), 3U);
    EXPECT_EQ(sent[0].draft_id, urgent);
    EXPECT_EQ(sent[1].draft_id, normal);
    EXPECT_EQ(sent[2].draft_id, low);
    // The adapter gets the replied-to message with its thread.
    ASSERT_TRUE(sent[0].in_reply_to);
    EXPECT_EQ(sent[0].in_reply_to->id, "m2");
    EXPECT_EQ(sent[0].in_reply_to->thread_id, "t-m2");
    EXPECT_EQ(sent[0].text, "Sorry about that, m2");
    EXPECT_EQ(sent[0].kind, "reply");
    const auto d = draft(urgent);
    EXPECT_EQ(d.sent_id, "r-" + urgent);
    EXPECT_EQ(d.attempts, 1);
    EXPECT_TRUE(d.sent_at);
    EXPECT_EQ(draft(waiting).state, draft_state::pending);
}

TEST_F(dispatcher_test, a_retryable_failure_backs_off_honours_retry_after_and_then_sends) {
    delivery busy = answer(outcome::retry, "reply_url answered 429");
    busy.retry_after = 2s;
    auto sender = std::make_shared<scripted_sender>(std::deque<delivery>{busy});
    const auto id = approved("m1");
    start({account(sender)});
    ASSERT_TRUE(reaches(id, draft_state::sent));
    EXPECT_EQ(draft(id).attempts, 2);
    EXPECT_EQ(sender->sent().size(), 2U);
    bool saw_retry = false;
    for (const auto& e : events()) {
        if (e.what == "retry") {
            saw_retry = true;
            ASSERT_TRUE(e.draft);
            EXPECT_EQ(e.draft->state, draft_state::approved);
            EXPECT_EQ(e.draft->last_error, "reply_url answered 429");
            ASSERT_TRUE(e.draft->next_attempt_at);
            // Not before the receiver said (times are whole seconds).
            EXPECT_GE(*e.draft->next_attempt_at, t0 + 2s);
        }
    }
    EXPECT_TRUE(saw_retry);
    EXPECT_FALSE(draft(id).last_error);
}

TEST_F(dispatcher_test, a_permanent_refusal_fails_the_draft_with_the_platform_message) {
    auto sender = std::make_shared<scripted_sender>(
        std::deque<delivery>{answer(outcome::failed, "reply_url answered 400: no such thread")});
    const auto id = approved("m1");
    start({account(sender)});
    ASSERT_TRUE(reaches(id, draft_state::failed));
    EXPECT_EQ(draft(id).last_error, "reply_url answered 400: no such thread");
    EXPECT_EQ(sender->sent().size(), 1U);
}

TEST_F(dispatcher_test, an_unknown_outcome_goes_to_review_unless_the_receiver_deduplicates) {
    auto sender = std::make_shared<scripted_sender>(std::deque<delivery>{
        answer(outcome::unknown, "no answer within 30 s"),
        answer(outcome::unknown, "no answer within 30 s")});
    auto dedupe = account(sender, "dedupe-site");
    dedupe.idempotent = true;
    const auto plain = approved("m1", rules::priority::urgent);
    const auto idempotent = approved("m2", rules::priority::normal, "dedupe-site");
    options_.max_in_flight = 1;
    start({account(sender), dedupe});
    ASSERT_TRUE(reaches(plain, draft_state::needs_review));
    EXPECT_NE(draft(plain).last_error->find("may have been delivered"), std::string::npos);
    ASSERT_TRUE(reaches(idempotent, draft_state::sent));
    EXPECT_EQ(draft(idempotent).attempts, 2);
    EXPECT_EQ(draft(plain).attempts, 1);  // never re-sent on its own
}

TEST_F(dispatcher_test, gives_up_after_the_last_attempt) {
    options_.max_attempts = 2;
    auto sender = std::make_shared<scripted_sender>(
        std::deque<delivery>{answer(outcome::retry, "reply_url answered 503"),
                             answer(outcome::retry, "reply_url answered 503")});
    const auto id = approved("m1");
    start({account(sender)});
    ASSERT_TRUE(reaches(id, draft_state::failed));
    EXPECT_EQ(draft(id).last_error, "gave up after 2 attempts; the last: reply_url answered 503");
}

TEST_F(dispatcher_test, the_hourly_cap_makes_the_excess_wait) {
    options_.max_sends_per_hour = 2;
    auto sender = std::make_shared<scripted_sender>();
    const auto a = approved("m1");
    const auto b = approved("m2");
    const auto c = approved("m3");
    start({account(sender)});
    ASSERT_TRUE(reaches(a, draft_state::sent));
    ASSERT_TRUE(reaches(b, draft_state::sent));
    std::this_thread::sleep_for(300ms);  // many ticks
    EXPECT_EQ(draft(c).state, draft_state::approved);
    EXPECT_EQ(sender->sent().size(), 2U);
    bool capped = false;
    for (const auto& e : events()) {
        capped = capped || e.what == "hourly_cap";
    }
    EXPECT_TRUE(capped);
}

TEST_F(dispatcher_test, an_account_over_its_rate_waits_while_others_go_out) {
    auto sender = std::make_shared<scripted_sender>();
    auto slow = account(sender);
    slow.sends_per_minute = 1;  // one at once, the next a minute later
    const auto first = approved("m1", rules::priority::urgent);
    const auto second = approved("m2", rules::priority::urgent);
    const auto other = approved("m3", rules::priority::low, "other-site");
    start({slow, account(sender, "other-site")});
    ASSERT_TRUE(reaches(first, draft_state::sent));
    ASSERT_TRUE(reaches(other, draft_state::sent));
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(draft(second).state, draft_state::approved);
}

TEST_F(dispatcher_test, an_approval_wakes_it_without_waiting_for_the_tick) {
    options_.tick = 1h;
    auto sender = std::make_shared<scripted_sender>();
    start({account(sender)});
    std::this_thread::sleep_for(100ms);  // the first look found nothing
    const auto id = approved("m1");
    dispatcher_->wake();
    EXPECT_TRUE(reaches(id, draft_state::sent));
}

TEST_F(dispatcher_test, paused_it_sends_nothing_and_resumed_it_sends_the_backlog_by_priority) {
    options_.tick = 1h; // only wake-ups make it look
    auto sender = std::make_shared<scripted_sender>();
    start({account(sender)});
    dispatcher_->set_paused(true);
    const auto normal = approved("m1", rules::priority::normal);
    const auto urgent = approved("m2", rules::priority::urgent);
    dispatcher_->wake();
    std::this_thread::sleep_for(200ms);
    EXPECT_TRUE(sender->sent().empty());
    EXPECT_EQ(draft(urgent).state, draft_state::approved);
    dispatcher_->set_paused(false);
    ASSERT_TRUE(reaches(normal, draft_state::sent));
    ASSERT_EQ(sender->sent().size(), 2U);
    EXPECT_EQ(sender->sent()[0].draft_id, urgent);
}

TEST_F(dispatcher_test, stop_waits_for_sends_then_gives_up_leaving_them_sending) {
    auto sender = std::make_shared<scripted_sender>(std::deque<delivery>{}, true);
    const auto id = approved("m1");
    start({account(sender)});
    ASSERT_TRUE(reaches(id, draft_state::sending));
    std::promise<void> stopped;
    dispatcher_->stop(200ms, [&] { stopped.set_value(); });
    EXPECT_EQ(stopped.get_future().wait_for(20s), std::future_status::ready);
    EXPECT_EQ(draft(id).state, draft_state::sending);  // the next start puts it up for review
}

TEST_F(dispatcher_test, stop_with_nothing_in_flight_is_immediate_and_sends_nothing_more) {
    auto sender = std::make_shared<scripted_sender>();
    start({account(sender)});
    std::promise<void> stopped;
    dispatcher_->stop(20s, [&] { stopped.set_value(); });
    EXPECT_EQ(stopped.get_future().wait_for(20s), std::future_status::ready);
    const auto id = approved("m1");
    dispatcher_->wake();
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(draft(id).state, draft_state::approved);
}

TEST_F(dispatcher_test, a_draft_of_an_unconfigured_account_fails_with_a_reason) {
    const auto id = approved("m1", rules::priority::normal, "gone-site");
    start({account(std::make_shared<scripted_sender>())});
    ASSERT_TRUE(reaches(id, draft_state::failed));
    EXPECT_EQ(draft(id).last_error, "account 'gone-site' cannot send: it is not configured");
}

} // namespace
} // namespace rapport::daemon
