#include "daemon/store/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace rapport;
using namespace std::chrono_literals;
using daemon::decide_request;
using daemon::decide_result;
using daemon::decide_status;
using daemon::draft_state;
using daemon::ingest_result;
using daemon::ingest_status;
using daemon::sqlite_store;
using daemon::wait_for_store;

namespace fs = std::filesystem;

const rules::time_point t0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 22};

// A fresh directory for one test's database, removed afterwards.
class temp_dir : public rapport::testing::temp_dir {
public:
    temp_dir() : rapport::testing::temp_dir("rapport-store-test") {}
    [[nodiscard]] fs::path db() const { return path() / "rapport.db"; }
};

std::unique_ptr<sqlite_store> open_ok(
    const fs::path& path, std::size_t history_batch = sqlite_store::default_history_batch) {
    auto opened = sqlite_store::open(path, history_batch);
    EXPECT_EQ(opened.error, "");
    EXPECT_NE(opened.store, nullptr);
    return std::move(opened.store);
}

// A direct connection, to check what the store wrote independently of its read API.
class raw_db {
public:
    explicit raw_db(const fs::path& path) {
        EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
        sqlite3_busy_timeout(db_, 5000);
    }
    raw_db(const raw_db&) = delete;
    raw_db& operator=(const raw_db&) = delete;
    ~raw_db() { sqlite3_close(db_); }

    std::int64_t number(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
            << sqlite3_errmsg(db_);
        std::int64_t value = -1;
        if (sqlite3_step(stmt) == SQLITE_ROW) {
            value = sqlite3_column_int64(stmt, 0);
        }
        sqlite3_finalize(stmt);
        return value;
    }

    std::string text(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
            << sqlite3_errmsg(db_);
        std::string value;
        if (sqlite3_step(stmt) == SQLITE_ROW) {
            value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        }
        sqlite3_finalize(stmt);
        return value;
    }

    // How SQLite would run `query`: the detail column of EXPLAIN QUERY PLAN, joined.
    std::string plan(const std::string& query) {
        sqlite3_stmt* stmt = nullptr;
        EXPECT_EQ(
            sqlite3_prepare_v2(db_, ("EXPLAIN QUERY PLAN " + query).c_str(), -1, &stmt, nullptr),
            SQLITE_OK)
            << sqlite3_errmsg(db_);
        std::string out;
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
            out += "; ";
        }
        sqlite3_finalize(stmt);
        return out;
    }

    void exec(const std::string& sql) {
        EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
            << sqlite3_errmsg(db_);
    }

private:
    sqlite3* db_ = nullptr;
};

rules::message make_message(std::string id,
                            std::string author = "u1",
                            rules::time_point created = t0,
                            std::string account = "acme-site") {
    rules::message m;
    m.id = std::move(id);
    m.kind = rules::message_kind::mention;
    m.text = "my acme toaster is broken";
    m.author = rules::author{std::move(author), "sam", "Sam Lee", 120};
    m.created_at = created;
    m.lang = "en";
    m.platform = "x";
    m.account = std::move(account);
    return m;
}

rules::draft_spec make_spec(std::string team = "support",
                            rules::priority priority = rules::priority::high) {
    rules::draft_spec spec;
    spec.rule = "acme-core/complaint";
    spec.kind = rules::draft_kind::reply;
    spec.team = std::move(team);
    spec.priority = priority;
    spec.text = "Hi Sam, sorry about that.";
    return spec;
}

daemon::ingest_request make_request(rules::message m,
                                    std::vector<rules::draft_spec> specs = {make_spec()},
                                    std::vector<std::string> tags = {"complaint"}) {
    rules::decision d;
    d.message_id = m.id;
    d.sentiment = -2;
    d.tags = std::move(tags);
    d.matched = {"acme-core/complaint"};
    d.drafts = std::move(specs);
    d.sla = 1h;
    return daemon::make_ingest_request(std::move(m), std::move(d), t0 + 5min, 72h);
}

ingest_result ingest_wait(daemon::store& store, daemon::ingest_request request) {
    return wait_for_store<ingest_result>(
        [&](auto done) { store.ingest(std::move(request), std::move(done)); });
}

decide_result decide_wait(daemon::store& store, decide_request request) {
    return wait_for_store<decide_result>(
        [&](auto done) { store.decide(std::move(request), std::move(done)); });
}

decide_request decision(std::string id,
                        decide_request::action what,
                        std::optional<std::string> text = std::nullopt,
                        std::optional<int> version = std::nullopt) {
    decide_request r;
    r.draft_id = std::move(id);
    r.what = what;
    r.approver = "alice";
    r.text = std::move(text);
    r.note = "looks right";
    r.version = version;
    r.at = t0 + 10min;
    return r;
}

TEST(store, migrates_a_fresh_database_and_reopens_idempotently) {
    temp_dir dir;
    {
        auto store = open_ok(dir.db());
        ASSERT_NE(store, nullptr);
        store->close();
    }
    raw_db db{dir.db()};
    EXPECT_EQ(db.number("PRAGMA user_version"), sqlite_store::schema_version());
    EXPECT_EQ(db.number("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                        "('messages', 'person_events', 'drafts', 'offer_codes', 'outbox', "
                        "'audit', 'cursors', 'settings')"),
              8);
    const auto objects = db.number("SELECT count(*) FROM sqlite_master");
    {
        auto store = open_ok(dir.db());
        ASSERT_NE(store, nullptr);
        ASSERT_EQ(ingest_wait(*store, make_request(make_message("m1"))).status,
                  ingest_status::stored);
    }
    auto again = open_ok(dir.db());
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(db.number("PRAGMA user_version"), sqlite_store::schema_version());
    EXPECT_EQ(db.number("SELECT count(*) FROM sqlite_master"), objects);
    EXPECT_EQ(db.number("SELECT count(*) FROM messages"), 1);
}

TEST(store, uses_wal_mode) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    ASSERT_NE(store, nullptr);
    raw_db db{dir.db()};
    EXPECT_EQ(db.text("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(db.number("PRAGMA foreign_keys"), 0); // per connection: the raw one has it off
}

TEST(store, refuses_a_database_newer_than_the_code) {
    temp_dir dir;
    open_ok(dir.db())->close();
    {
        raw_db db{dir.db()};
        db.exec("PRAGMA user_version = " + std::to_string(sqlite_store::schema_version() + 1));
    }
    auto opened = sqlite_store::open(dir.db());
    EXPECT_EQ(opened.store, nullptr);
    EXPECT_NE(opened.error.find("newer than this program"), std::string::npos) << opened.error;
    raw_db db{dir.db()};
    EXPECT_EQ(db.number("PRAGMA user_version"), sqlite_store::schema_version() + 1);
}

TEST(store, reports_an_unopenable_path) {
    temp_dir dir;
    auto opened = sqlite_store::open(dir.db() / "no-such-dir" / "x.db");
    EXPECT_EQ(opened.store, nullptr);
    EXPECT_NE(opened.error.find("cannot open"), std::string::npos) << opened.error;
}

TEST(store, ingest_writes_everything_and_calls_done_after_commit) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    ASSERT_NE(store, nullptr);
    raw_db db{dir.db()};

    auto request = make_request(make_message("m1"),
                                {make_spec("support"), make_spec("sales", rules::priority::low)});
    std::promise<ingest_result> promise;
    std::int64_t visible_in_done = -1;
    store->ingest(request, [&](ingest_result r) {
        // Another connection sees the rows only if the transaction has committed.
        visible_in_done = db.number("SELECT count(*) FROM drafts");
        promise.set_value(std::move(r));
    });
    const ingest_result result = promise.get_future().get();
    ASSERT_EQ(result.status, ingest_status::stored) << result.error;
    EXPECT_EQ(visible_in_done, 2);
    ASSERT_EQ(result.draft_ids.size(), 2U);
    EXPECT_LT(result.draft_ids[0], result.draft_ids[1]);

    auto message = store->get_message("acme-site", "m1");
    ASSERT_TRUE(message.ok()) << message.error;
    ASSERT_TRUE(message.value);
    EXPECT_EQ(message.value->message, request.message);
    EXPECT_EQ(message.value->received_at, t0 + 5min);
    EXPECT_EQ(message.value->tags, std::vector<std::string>{"complaint"});
    std::string decision_json;
    rules::append_json(decision_json, request.decision);
    EXPECT_EQ(message.value->decision_json, decision_json);

    auto draft = store->get_draft(result.draft_ids[0]);
    ASSERT_TRUE(draft.ok()) << draft.error;
    ASSERT_TRUE(draft.value);
    const daemon::draft_record& d = *draft.value;
    EXPECT_EQ(d.id, result.draft_ids[0]);
    EXPECT_EQ(d.version, 1);
    EXPECT_EQ(d.state, daemon::draft_state::pending);
    EXPECT_EQ(d.kind, rules::draft_kind::reply);
    EXPECT_EQ(d.account, "acme-site");
    EXPECT_EQ(d.platform, "x");
    EXPECT_EQ(d.rule, "acme-core/complaint");
    EXPECT_EQ(d.team, "support");
    EXPECT_EQ(d.priority, rules::priority::high);
    EXPECT_EQ(d.text, "Hi Sam, sorry about that.");
    EXPECT_EQ(d.original_text, d.text);
    EXPECT_EQ(d.in_reply_to, "m1");
    EXPECT_EQ(d.created_at, t0 + 5min);
    EXPECT_EQ(d.sla_due_at, t0 + 1h); // from the message's created_at
    EXPECT_EQ(d.expires_at, t0 + 5min + 72h);
    EXPECT_EQ(d.decided_by, std::nullopt);
    EXPECT_EQ(d.attempts, 0);

    const auto history = store->load_history("x", "u1", t0 - 1h);
    ASSERT_TRUE(history.ok()) << history.error;
    EXPECT_EQ(history.value.events,
              (std::vector<rules::history_event>{
                  {rules::history_event::kind::message, t0, {"complaint"}, ""}}));
    EXPECT_EQ(db.number("SELECT count(*) FROM outbox WHERE event = 'draft.created'"), 2);

    auto missing = store->get_draft("d-0000000000000");
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing.value);
}

TEST(store, duplicate_message_is_reported_and_changes_nothing) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(ingest_wait(*store, make_request(make_message("m1"))).status, ingest_status::stored);
    raw_db db{dir.db()};
    const std::string census =
        "SELECT (SELECT count(*) FROM messages) * 1000000 + (SELECT count(*) FROM drafts) * 10000"
        " + (SELECT count(*) FROM person_events) * 100 + (SELECT count(*) FROM outbox)";
    const auto before = db.number(census);

    auto again = make_request(make_message("m1"), {make_spec(), make_spec()}, {"other"});
    const ingest_result result = ingest_wait(*store, std::move(again));
    EXPECT_EQ(result.status, ingest_status::duplicate);
    EXPECT_TRUE(result.draft_ids.empty());
    EXPECT_EQ(db.number(census), before);
    EXPECT_EQ(store->get_message("acme-site", "m1").value->tags,
              std::vector<std::string>{"complaint"});

    // The same id on another account is another message.
    EXPECT_EQ(
        ingest_wait(*store, make_request(make_message("m1", "u1", t0, "acme-support"))).status,
        ingest_status::stored);
}

TEST(store, a_failing_request_does_not_fail_its_group) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    ASSERT_NE(store, nullptr);
    {
        raw_db db{dir.db()};
        db.exec("CREATE TEMP TABLE x (y)"); // keep the raw connection's schema view fresh
        db.exec(
            "CREATE TRIGGER refuse_bad BEFORE INSERT ON messages WHEN NEW.id = 'bad' "
            "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END");
    }
    // Hold the writer in the first `done` until the rest are queued: they form one group.
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> holding;
    store->ingest(make_request(make_message("first")), [released, &holding](ingest_result) {
        holding.set_value();
        released.wait();
    });
    holding.get_future().wait();
    std::vector<std::future<ingest_result>> results;
    std::vector<std::promise<ingest_result>> promises(3);
    for (auto& p : promises) {
        results.push_back(p.get_future());
    }
    const auto commits_before = store->commits_for_test();
    store->ingest(make_request(make_message("good-1")),
                  [&p = promises[0]](ingest_result r) { p.set_value(std::move(r)); });
    store->ingest(make_request(make_message("bad")),
                  [&p = promises[1]](ingest_result r) { p.set_value(std::move(r)); });
    store->ingest(make_request(make_message("good-2")),
                  [&p = promises[2]](ingest_result r) { p.set_value(std::move(r)); });
    release.set_value();

    const auto good1 = results[0].get();
    const auto bad = results[1].get();
    const auto good2 = results[2].get();
    EXPECT_EQ(good1.status, ingest_status::stored) << good1.error;
    // The group was written twice (see write_group); the result only has the second.
    EXPECT_EQ(good1.draft_ids.size(), 1U);
    EXPECT_EQ(bad.status, ingest_status::failed);
    EXPECT_NE(bad.error.find("refused by test trigger"), std::string::npos) << bad.error;
    EXPECT_TRUE(bad.draft_ids.empty());
    EXPECT_EQ(good2.status, ingest_status::stored) << good2.error;
    EXPECT_EQ(store->commits_for_test() - commits_before, 1U);

    raw_db db{dir.db()};
    EXPECT_EQ(db.number("SELECT count(*) FROM messages"), 3);
    EXPECT_EQ(db.number("SELECT count(*) FROM drafts"), 3);
    // The failed request's history event went with it.
    EXPECT_EQ(store->load_history("x", "u1", t0 - 1h).value.events.size(), 3U);
    store->close();
    EXPECT_EQ(db.number("SELECT count(*) FROM person_events"), 3);
}

TEST(store, concurrent_ingests_are_stored_once_in_grouped_commits) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    ASSERT_NE(store, nullptr);
    constexpr int threads = 8;
    constexpr int per_thread = 250;
    std::atomic<int> stored{0};
    std::atomic<int> done_calls{0};
    std::mutex ids_mutex;
    std::set<std::string> draft_ids;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                // Every message twice: the second is a duplicate wherever it lands.
                for (int copy = 0; copy < 2; ++copy) {
                    const std::string id = "m-" + std::to_string(t) + "-" + std::to_string(i);
                    store->ingest(make_request(make_message(id, "u" + std::to_string(t))),
                                  [&](ingest_result r) {
                                      if (r.status == ingest_status::stored) {
                                          ++stored;
                                          std::lock_guard lock{ids_mutex};
                                          draft_ids.insert(r.draft_ids.begin(), r.draft_ids.end());
                                      }
                                      ++done_calls;
                                  });
                }
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    store->close();
    EXPECT_EQ(done_calls.load(), threads * per_thread * 2);
    EXPECT_EQ(stored.load(), threads * per_thread);
    EXPECT_EQ(draft_ids.size(), static_cast<std::size_t>(threads * per_thread));
    EXPECT_LT(store->commits_for_test(), static_cast<std::uint64_t>(threads * per_thread * 2));
    raw_db db{dir.db()};
    EXPECT_EQ(db.number("SELECT count(*) FROM messages"), threads * per_thread);
    EXPECT_EQ(db.number("SELECT count(*) FROM drafts"), threads * per_thread);
    EXPECT_EQ(db.number("SELECT count(*) FROM person_events"), threads * per_thread);
}

TEST(store, reads_run_concurrently_with_writes) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(ingest_wait(*store, make_request(make_message("seed"))).status,
              ingest_status::stored);
    std::atomic<bool> writing{true};
    std::thread writer{[&] {
        for (int i = 0; i < 300; ++i) {
            store->ingest(make_request(make_message("w" + std::to_string(i))),
                          [](ingest_result) {});
        }
        (void)ingest_wait(*store, make_request(make_message("last")));
        writing = false;
    }};
    std::vector<std::thread> readers;
    std::atomic<int> errors{0};
    for (int r = 0; r < 4; ++r) {
        readers.emplace_back([&] {
            while (writing) {
                auto page = store->list_drafts({});
                auto history = store->load_history("x", "u1", t0 - 24h);
                if (!page.ok() || !history.ok() || page.value.drafts.empty()) {
                    ++errors;
                }
            }
        });
    }
    writer.join();
    for (auto& r : readers) {
        r.join();
    }
    EXPECT_EQ(errors.load(), 0);
}

TEST(store, the_wal_is_copied_back_beside_the_writer_and_starts_again) {
    temp_dir dir;
    constexpr int checkpoint_frames = 16;
    auto opened =
        sqlite_store::open(dir.db(), sqlite_store::default_history_batch, checkpoint_frames);
    ASSERT_EQ(opened.error, "");
    auto& store = *opened.store;
    constexpr int messages = 1500;
    std::atomic<int> stored{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
        writers.emplace_back([&, t] {
            for (int i = t; i < messages; i += 4) {
                if (ingest_wait(store, make_request(make_message("m" + std::to_string(i))))
                        .status == ingest_status::stored) {
                    ++stored;
                }
            }
        });
    }
    for (auto& w : writers) {
        w.join();
    }
    ASSERT_EQ(stored.load(), messages);
    const auto counts = store.checkpoints_for_test();
    EXPECT_GT(counts.background, 0U);
    EXPECT_GT(counts.writer, 0U);
    // Every message changes a few pages, so a WAL never started again would hold thousands of
    // frames; the file keeps its longest length.
    const auto frame_bytes = static_cast<std::uintmax_t>(4096 + 24);
    const std::uintmax_t wal_frames = fs::file_size(dir.db().string() + "-wal") / frame_bytes;
    EXPECT_LT(wal_frames, 20U * checkpoint_frames) << counts.background << " " << counts.writer;
    EXPECT_EQ(store.background_problem(), "");

    // What is in the database file and what is still in the WAL read back as one.
    raw_db db{dir.db()};
    EXPECT_EQ(db.number("SELECT count(*) FROM messages"), messages);
    store.close();
    EXPECT_EQ(db.number("SELECT count(*) FROM messages"), messages);
}

TEST(store, list_drafts_filters_orders_newest_first_and_pages) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    ASSERT_NE(store, nullptr);
    std::vector<std::string> all_ids;
    for (int i = 0; i < 12; ++i) {
        const std::string team = i % 3 == 0 ? "sales" : "support";
        const std::string account = i % 2 == 0 ? "acme-site" : "acme-support";
        auto r = ingest_wait(*store,
                             make_request(make_message("m" + std::to_string(i), "u1", t0, account),
                                          {make_spec(team)}));
        ASSERT_EQ(r.status, ingest_status::stored) << r.error;
        all_ids.push_back(r.draft_ids.at(0));
    }
    const std::vector<std::string> newest_first(all_ids.rbegin(), all_ids.rend());

    auto ids_of = [](const daemon::draft_page& page) {
        std::vector<std::string> ids;
        for (const auto& d : page.drafts) {
            ids.push_back(d.id);
        }
        return ids;
    };

    auto everything = store->list_drafts({});
    ASSERT_TRUE(everything.ok()) << everything.error;
    EXPECT_EQ(ids_of(everything.value), newest_first);
    EXPECT_EQ(everything.value.next, std::nullopt);

    // Pages of 5 cover the list exactly once, in order.
    std::vector<std::string> paged;
    daemon::draft_filter filter;
    filter.limit = 5;
    int pages = 0;
    for (;;) {
        auto page = store->list_drafts(filter);
        ASSERT_TRUE(page.ok()) << page.error;
        auto ids = ids_of(page.value);
        paged.insert(paged.end(), ids.begin(), ids.end());
        ++pages;
        if (!page.value.next) {
            break;
        }
        filter.after = page.value.next;
    }
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(paged, newest_first);

    daemon::draft_filter sales;
    sales.team = "sales";
    auto sales_page = store->list_drafts(sales);
    ASSERT_TRUE(sales_page.ok());
    EXPECT_EQ(ids_of(sales_page.value),
              (std::vector<std::string>{all_ids[9], all_ids[6], all_ids[3], all_ids[0]}));

    daemon::draft_filter site_support;
    site_support.team = "support";
    site_support.account = "acme-site";
    site_support.state = daemon::draft_state::pending;
    auto site_page = store->list_drafts(site_support);
    ASSERT_TRUE(site_page.ok());
    EXPECT_EQ(ids_of(site_page.value),
              (std::vector<std::string>{all_ids[10], all_ids[8], all_ids[4], all_ids[2]}));

    daemon::draft_filter sent;
    sent.state = daemon::draft_state::sent;
    auto sent_page = store->list_drafts(sent);
    ASSERT_TRUE(sent_page.ok());
    EXPECT_TRUE(sent_page.value.drafts.empty());

    daemon::draft_filter zero;
    zero.limit = 0; // clamped to 1
    auto one = store->list_drafts(zero);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(ids_of(one.value), std::vector<std::string>{newest_first[0]});
    EXPECT_EQ(one.value.next, newest_first[0]);
}

TEST(store, draft_ids_keep_growing_across_reopen) {
    temp_dir dir;
    std::string first;
    {
        auto store = open_ok(dir.db());
        ASSERT_NE(store, nullptr);
        first = ingest_wait(*store, make_request(make_message("m1"))).draft_ids.at(0);
    }
    {
        // A draft id from the far future, as if the clock had been set back since.
        raw_db db{dir.db()};
        db.exec("UPDATE drafts SET id = 'd-f000000000000'");
    }
    auto store = open_ok(dir.db());
    ASSERT_NE(store, nullptr);
    const auto next = ingest_wait(*store, make_request(make_message("m2"))).draft_ids.at(0);
    EXPECT_GT(next, std::string{"d-f000000000000"});
    EXPECT_EQ(next.size(), first.size());
}

TEST(store, load_history_returns_the_window_oldest_first) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    ASSERT_NE(store, nullptr);
    for (int day = 0; day < 5; ++day) {
        auto r = ingest_wait(*store, make_request(make_message("m" + std::to_string(day), "u1",
                                                               t0 - std::chrono::days{day}),
                                                  {}, {"tag-" + std::to_string(day)}));
        ASSERT_EQ(r.status, ingest_status::stored) << r.error;
    }
    ASSERT_EQ(ingest_wait(*store, make_request(make_message("other", "u2"))).status,
              ingest_status::stored);
    {
        raw_db db{dir.db()};
        db.exec("INSERT INTO person_events (slice, platform, author_id, at, kind, pool) VALUES (" +
                std::to_string(sqlite_store::history_slice_for_test("x", "u1")) + ", 'x', 'u1', " +
                std::to_string((t0 - 36h).time_since_epoch().count()) +
                ", 'offer', 'acme-core/sneak-peek')");
    }

    auto recent = store->load_history("x", "u1", t0 - 48h);
    ASSERT_TRUE(recent.ok()) << recent.error;
    ASSERT_EQ(recent.value.events.size(), 4U);
    using kind = rules::history_event::kind;
    EXPECT_EQ(recent.value.events[0],
              (rules::history_event{kind::message, t0 - 48h, {"tag-2"}, ""}));
    EXPECT_EQ(recent.value.events[1],
              (rules::history_event{kind::offer, t0 - 36h, {}, "acme-core/sneak-peek"}));
    EXPECT_EQ(recent.value.events[2],
              (rules::history_event{kind::message, t0 - 24h, {"tag-1"}, ""}));
    EXPECT_EQ(recent.value.events[3], (rules::history_event{kind::message, t0, {"tag-0"}, ""}));

    auto all = store->load_history("x", "u1", t0 - 365 * 24h);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all.value.events.size(), 6U);
    EXPECT_TRUE(store->load_history("x", "u1", t0 + 1s).value.events.empty());
    EXPECT_TRUE(store->load_history("mastodon", "u1", t0 - 48h).value.events.empty());
    EXPECT_EQ(store->load_history("x", "u2", t0 - 48h).value.events.size(), 1U);
}

// History events wait in memory and are moved into person_events a slice at a time; a
// person's history reads the same whichever side of a move each event is on.
TEST(store, history_reads_the_same_before_and_after_its_events_are_moved) {
    temp_dir dir;
    auto store = open_ok(dir.db(), 3);
    const std::vector<std::string> people{"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"};
    std::map<std::string, std::size_t> written;
    for (int i = 0; i < 120; ++i) {
        const std::string& who = people[static_cast<std::size_t>(i * 7 % 8)];
        auto r = ingest_wait(*store, make_request(make_message("m" + std::to_string(i), who,
                                                               t0 - std::chrono::minutes{i}),
                                                  {}, {"n" + std::to_string(i)}));
        ASSERT_EQ(r.status, ingest_status::stored) << r.error;
        ++written[who];
        for (const std::string& person : people) {
            const auto history = store->load_history("x", person, t0 - 24h);
            ASSERT_TRUE(history.ok()) << history.error;
            ASSERT_EQ(history.value.events.size(), written[person]) << person << " after " << i;
            for (std::size_t e = 1; e < history.value.events.size(); ++e) {
                ASSERT_LT(history.value.events[e - 1].at, history.value.events[e].at);
            }
        }
    }
    // Moved in whole batches of a slice, and each under the slice a reader looks in. (A
    // duplicate goes through the writer after the last group's moves.)
    ASSERT_EQ(ingest_wait(*store, make_request(make_message("m0"), {})).status,
              ingest_status::duplicate);
    std::map<std::int64_t, std::int64_t> per_slice;
    for (const auto& [person, n] : written) {
        per_slice[sqlite_store::history_slice_for_test("x", person)] +=
            static_cast<std::int64_t>(n);
    }
    std::int64_t moved = 0;
    for (const auto& [slice, n] : per_slice) {
        moved += n / 3 * 3;
    }
    raw_db db{dir.db()};
    EXPECT_EQ(db.number("SELECT count(*) FROM person_events"), moved);
    for (const std::string& person : people) {
        EXPECT_EQ(db.number("SELECT count(DISTINCT slice) FROM person_events WHERE author_id = '" +
                            person + "'"),
                  1);
        EXPECT_EQ(
            db.number("SELECT max(slice) FROM person_events WHERE author_id = '" + person + "'"),
            sqlite_store::history_slice_for_test("x", person));
    }
    // A clean stop moves the rest, so nothing waits in memory at the next start, and marks
    // every slice moved through the newest message, so that start reads none back.
    store->close();
    EXPECT_EQ(db.number("SELECT count(*) FROM person_events"), 120);
    EXPECT_EQ(db.number("SELECT min(through) FROM history_moved"),
              db.number("SELECT max(rowid) FROM messages"));
    auto again = open_ok(dir.db(), 3);
    for (const std::string& person : people) {
        EXPECT_EQ(again->load_history("x", person, t0 - 24h).value.events.size(), written[person]);
    }
    again->close();
    EXPECT_EQ(db.number("SELECT count(*) FROM person_events"), 120);
}

// After a crash the events that waited in memory are rebuilt from the stored messages: once,
// whether or not their slice had been moved before.
TEST(store, history_waiting_in_memory_survives_a_crash) {
    temp_dir dir;
    temp_dir crashed;
    {
        auto store = open_ok(dir.db(), 4);
        for (int i = 0; i < 30; ++i) {
            auto r = ingest_wait(
                *store, make_request(make_message("m" + std::to_string(i), i % 2 == 0 ? "u1" : "u2",
                                                  t0 - std::chrono::minutes{i}),
                                     {}));
            ASSERT_EQ(r.status, ingest_status::stored) << r.error;
        }
        // The files as a kill -9 would leave them: the committed groups are in the WAL, the
        // waiting history events nowhere but in the messages. A duplicate goes through the
        // writer after any move the last group started, and starts none.
        ASSERT_EQ(ingest_wait(*store, make_request(make_message("m0"), {})).status,
                  ingest_status::duplicate);
        for (const char* file : {"rapport.db", "rapport.db-wal"}) {
            fs::copy_file(dir.path() / file, crashed.path() / file);
        }
    }
    for (int start = 0; start < 2; ++start) {
        auto store = open_ok(crashed.db(), 4);
        EXPECT_EQ(store->load_history("x", "u1", t0 - 24h).value.events.size(), 15U);
        EXPECT_EQ(store->load_history("x", "u2", t0 - 24h).value.events.size(), 15U);
    }
    raw_db db{crashed.db()};
    EXPECT_EQ(db.number("SELECT count(*) FROM person_events"), 30);
}

// A move that fails leaves its events waiting, still read, says so, and is tried again.
TEST(store, a_failed_history_move_keeps_the_events_and_is_tried_again) {
    temp_dir dir;
    auto store = open_ok(dir.db(), 2);
    raw_db db{dir.db()};
    db.exec("CREATE TEMP TABLE x (y)"); // keep the raw connection's schema view fresh
    db.exec(
        "CREATE TRIGGER refuse_history BEFORE INSERT ON person_events "
        "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END");
    const auto ingest_n = [&](int from, int to) {
        for (int i = from; i < to; ++i) {
            ASSERT_EQ(ingest_wait(*store, make_request(make_message("m" + std::to_string(i), "u1",
                                                                    t0 - std::chrono::minutes{i}),
                                                       {}))
                          .status,
                      ingest_status::stored);
        }
        // A duplicate goes through the writer after the last group's moves.
        ASSERT_EQ(ingest_wait(*store, make_request(make_message("m0"), {})).status,
                  ingest_status::duplicate);
    };
    ingest_n(0, 3);
    EXPECT_NE(store->background_problem().find("refused by test trigger"), std::string::npos)
        << store->background_problem();
    EXPECT_EQ(db.number("SELECT count(*) FROM person_events"), 0);
    EXPECT_EQ(store->load_history("x", "u1", t0 - 24h).value.events.size(), 3U);

    db.exec("DROP TRIGGER refuse_history");
    ingest_n(3, 4); // the try after a failure waits for another batch: 2 failed, 4 go
    EXPECT_EQ(store->background_problem(), "");
    EXPECT_EQ(db.number("SELECT count(*) FROM person_events"), 4);
    ingest_n(4, 6);
    EXPECT_EQ(db.number("SELECT count(*) FROM person_events"), 6);
    EXPECT_EQ(store->load_history("x", "u1", t0 - 24h).value.events.size(), 6U);
}

// Reads racing the moves never see an event twice or lose one they saw before.
TEST(store, history_reads_racing_moves_see_each_event_once) {
    temp_dir dir;
    auto store = open_ok(dir.db(), 2);
    std::atomic<bool> done{false};
    std::atomic<int> problems{0};
    std::thread reader{[&] {
        std::size_t seen = 0;
        while (!done.load()) {
            const auto history = store->load_history("x", "u1", t0 - 24h);
            const auto& events = history.value.events;
            std::set<rules::time_point> times;
            for (const auto& e : events) {
                times.insert(e.at);
            }
            if (!history.ok() || times.size() != events.size() || events.size() < seen) {
                ++problems;
            }
            seen = events.size();
        }
    }};
    for (int i = 0; i < 300; ++i) {
        auto r = ingest_wait(*store, make_request(make_message("m" + std::to_string(i), "u1",
                                                               t0 - std::chrono::seconds{i}),
                                                  {}));
        ASSERT_EQ(r.status, ingest_status::stored) << r.error;
    }
    done = true;
    reader.join();
    EXPECT_EQ(problems.load(), 0);
    EXPECT_EQ(store->load_history("x", "u1", t0 - 24h).value.events.size(), 300U);
}

TEST(store, close_flushes_pending_requests_and_refuses_later_ones) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    ASSERT_NE(store, nullptr);
    constexpr int n = 1000;
    std::atomic<int> stored{0};
    for (int i = 0; i < n; ++i) {
        store->ingest(make_request(make_message("m" + std::to_string(i))), [&](ingest_result r) {
            if (r.status == ingest_status::stored) {
                ++stored;
            }
        });
    }
    store->close();
    EXPECT_EQ(stored.load(), n);
    store->close(); // idempotent

    const ingest_result late = ingest_wait(*store, make_request(make_message("late")));
    EXPECT_EQ(late.status, ingest_status::failed);
    EXPECT_EQ(late.error, "store is closed");
    EXPECT_EQ(store->get_draft("d-0000000000000").error, "store is closed");
    EXPECT_FALSE(store->list_drafts({}).ok());

    auto reopened = open_ok(dir.db());
    ASSERT_NE(reopened, nullptr);
    raw_db db{dir.db()};
    EXPECT_EQ(db.number("SELECT count(*) FROM messages"), n);
}

// Runs in a forked child: ingests messages forever, writing each acknowledged id (after its
// `done`, i.e. after the commit) to `fd`, until the parent kills it.
[[noreturn]] void ingest_until_killed(const fs::path& db, int fd) {
    auto opened = sqlite_store::open(db);
    if (!opened.store) {
        ::_exit(3);
    }
    std::atomic<int> in_flight{0};
    for (int i = 0;; ++i) {
        while (in_flight.load() > 64) {
            std::this_thread::yield();
        }
        ++in_flight;
        const std::string id = "c" + std::to_string(::getpid()) + "-" + std::to_string(i);
        opened.store->ingest(make_request(make_message(id)), [fd, id, &in_flight](ingest_result r) {
            if (r.status == ingest_status::stored) {
                const std::string line = id + "\n";
                if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
                    ::_exit(4);
                }
            }
            --in_flight;
        });
    }
}

TEST(store, every_acknowledged_message_survives_kill_9) {
    temp_dir dir;
    open_ok(dir.db())->close(); // migrations happen before the first child starts
    std::mt19937 random{std::random_device{}()};
    std::set<std::string> acknowledged;
    for (int round = 0; round < 4; ++round) {
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            ::close(fds[0]);
            ::alarm(30); // never outlive a parent that failed to kill us
            ingest_until_killed(dir.db(), fds[1]);
        }
        ::close(fds[1]);
        std::this_thread::sleep_for(
            std::chrono::milliseconds{std::uniform_int_distribution{50, 400}(random)});
        ASSERT_EQ(::kill(child, SIGKILL), 0);
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
        // The pipe keeps what the child wrote before it died.
        std::string data;
        char buffer[4096];
        ssize_t n = 0;
        while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) {
            data.append(buffer, static_cast<std::size_t>(n));
        }
        ::close(fds[0]);
        std::size_t start = 0;
        std::size_t round_count = 0;
        while (start < data.size()) {
            const std::size_t end = data.find('\n', start);
            if (end == std::string::npos) {
                break; // a torn last line: the child died mid-write
            }
            acknowledged.insert(data.substr(start, end - start));
            ++round_count;
            start = end + 1;
        }
        EXPECT_GT(round_count, 0U) << "round " << round;
    }

    auto store = open_ok(dir.db());
    ASSERT_NE(store, nullptr);
    for (const std::string& id : acknowledged) {
        auto m = store->get_message("acme-site", id);
        ASSERT_TRUE(m.ok()) << m.error;
        EXPECT_TRUE(m.value) << id << " was acknowledged but is missing";
    }
    raw_db db{dir.db()};
    EXPECT_EQ(db.text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(db.number("SELECT count(*) FROM (SELECT account, id FROM messages GROUP BY "
                        "account, id HAVING count(*) > 1)"),
              0);
    // Each stored message has exactly its one draft: no request was half written.
    EXPECT_EQ(db.number("SELECT count(*) FROM messages m WHERE (SELECT count(*) FROM drafts d "
                        "WHERE d.account = m.account AND d.in_reply_to = m.id) != 1"),
              0);
    EXPECT_GE(db.number("SELECT count(*) FROM messages"),
              static_cast<std::int64_t>(acknowledged.size()));
}

} // namespace

namespace rapport::daemon {
namespace {

using approve_or_reject = decide_request::action;

TEST(store_decide, approve_records_who_when_and_the_edit_with_audit_and_outbox) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    const auto id = ingest_wait(*store, make_request(make_message("m1"))).draft_ids.at(0);
    const auto r = decide_wait(*store, decision(id, approve_or_reject::approve, "Edited text", 1));
    ASSERT_EQ(r.status, decide_status::changed) << r.error;
    ASSERT_TRUE(r.draft);
    EXPECT_EQ(r.draft->state, draft_state::approved);
    EXPECT_EQ(r.draft->version, 2);
    EXPECT_EQ(r.draft->text, "Edited text");
    EXPECT_EQ(r.draft->original_text, "Hi Sam, sorry about that.");
    EXPECT_EQ(r.draft->decided_by, "alice");
    EXPECT_EQ(r.draft->decided_at, t0 + 10min);
    EXPECT_EQ(r.draft->note, "looks right");
    EXPECT_EQ(store->get_draft(id).value, r.draft); // what it says is what was stored

    raw_db db(dir.db());
    EXPECT_EQ(db.text("SELECT actor || ' ' || action FROM audit WHERE draft_id = '" + id + "'"),
              "alice approve");
    EXPECT_EQ(db.text("SELECT after_json FROM audit WHERE draft_id = '" + id + "'"),
              R"({"version":2,"state":"approved","text":"Edited text"})");
    EXPECT_EQ(db.number("SELECT count(*) FROM outbox WHERE event = 'draft.approved'"), 1);
}

TEST(store_decide, repeating_a_decision_changes_nothing_and_a_different_one_conflicts) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    const auto id = ingest_wait(*store, make_request(make_message("m1"))).draft_ids.at(0);
    ASSERT_EQ(decide_wait(*store, decision(id, approve_or_reject::approve)).status,
              decide_status::changed);
    EXPECT_EQ(decide_wait(*store, decision(id, approve_or_reject::approve)).status,
              decide_status::unchanged);
    EXPECT_EQ(
        decide_wait(*store, decision(id, approve_or_reject::approve, "Hi Sam, sorry about that."))
            .status,
        decide_status::unchanged); // the same text is the same decision
    const auto edit = decide_wait(*store, decision(id, approve_or_reject::approve, "Other"));
    EXPECT_EQ(edit.status, decide_status::conflict);
    EXPECT_EQ(edit.error, "the draft was already approved with another text");
    const auto reject = decide_wait(*store, decision(id, approve_or_reject::reject));
    EXPECT_EQ(reject.status, decide_status::conflict);
    EXPECT_EQ(reject.error, "the draft is approved, so it cannot be rejected");
    EXPECT_EQ(store->get_draft(id).value->version, 2);
}

TEST(store_decide, a_rejected_draft_stays_rejected) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    const auto id = ingest_wait(*store, make_request(make_message("m1"))).draft_ids.at(0);
    ASSERT_EQ(decide_wait(*store, decision(id, approve_or_reject::reject)).status,
              decide_status::changed);
    EXPECT_EQ(decide_wait(*store, decision(id, approve_or_reject::reject)).status,
              decide_status::unchanged);
    const auto approve = decide_wait(*store, decision(id, approve_or_reject::approve));
    EXPECT_EQ(approve.status, decide_status::conflict);
    EXPECT_EQ(approve.draft->state, draft_state::rejected);
}

TEST(store_decide, a_stale_version_or_unknown_draft_is_refused) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    const auto id = ingest_wait(*store, make_request(make_message("m1"))).draft_ids.at(0);
    const auto stale = decide_wait(*store, decision(id, approve_or_reject::approve, "x", 7));
    EXPECT_EQ(stale.status, decide_status::conflict);
    EXPECT_EQ(stale.error, "the draft is at version 1, not 7: it changed since");
    EXPECT_EQ(decide_wait(*store, decision("d-none", approve_or_reject::approve)).status,
              decide_status::not_found);
    store->close();
    EXPECT_EQ(decide_wait(*store, decision(id, approve_or_reject::approve)).status,
              decide_status::failed);
}

// ---- the dispatcher's side ----

decide_result begin_send_wait(daemon::store& store, const std::string& id) {
    return wait_for_store<decide_result>(
        [&](auto done) { store.begin_send(id, t0 + 20min, std::move(done)); });
}

decide_result finish_send_wait(daemon::store& store, send_outcome o) {
    return wait_for_store<decide_result>(
        [&](auto done) { store.finish_send(std::move(o), std::move(done)); });
}

send_outcome outcome(std::string id, send_outcome::result what) {
    send_outcome o;
    o.draft_id = std::move(id);
    o.what = what;
    o.at = t0 + 21min;
    return o;
}

// A stored draft, approved by alice at t0 + 10min.
std::string approved_draft(daemon::store& store,
                           std::string message_id,
                           rules::priority priority = rules::priority::high,
                           std::string account = "acme-site") {
    const auto id =
        ingest_wait(store,
                    make_request(make_message(std::move(message_id), "u1", t0, std::move(account)),
                                 {make_spec("support", priority)}))
            .draft_ids.at(0);
    EXPECT_EQ(decide_wait(store, decision(id, approve_or_reject::approve)).status,
              decide_status::changed);
    return id;
}

TEST(store_send, due_drafts_are_approved_ones_most_urgent_first_and_not_before_their_retry) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    const auto low = approved_draft(*store, "m1", rules::priority::low);
    const auto urgent = approved_draft(*store, "m2", rules::priority::urgent);
    const auto normal = approved_draft(*store, "m3", rules::priority::normal);
    ASSERT_EQ(ingest_wait(*store, make_request(make_message("m4"))).status,
              ingest_status::stored); // pending: never due
    EXPECT_EQ(store->count_drafts(draft_state::pending).value, 1);
    EXPECT_EQ(store->count_drafts(draft_state::approved).value, 3);
    EXPECT_EQ(store->count_drafts(draft_state::sent).value, 0);
    auto due = store->due_drafts(t0 + 20min, 10);
    ASSERT_TRUE(due.ok()) << due.error;
    std::vector<std::string> ids;
    for (const auto& d : due.value) {
        ids.push_back(d.id);
    }
    EXPECT_EQ(ids, (std::vector<std::string>{urgent, normal, low}));
    EXPECT_EQ(store->due_drafts(t0 + 20min, 1).value.size(), 1U);

    // A retry waits for its time.
    ASSERT_EQ(begin_send_wait(*store, urgent).status, decide_status::changed);
    auto retry = outcome(urgent, send_outcome::result::retry);
    retry.error = "reply_url answered 503";
    retry.retry_at = t0 + 30min;
    const auto r = finish_send_wait(*store, retry);
    ASSERT_EQ(r.status, decide_status::changed) << r.error;
    EXPECT_EQ(r.draft->state, draft_state::approved);
    EXPECT_EQ(r.draft->next_attempt_at, t0 + 30min);
    EXPECT_EQ(r.draft->last_error, "reply_url answered 503");
    EXPECT_EQ(store->due_drafts(t0 + 29min, 10).value.size(), 2U);
    EXPECT_EQ(store->due_drafts(t0 + 30min, 10).value.front().id, urgent);
}

TEST(store_send, a_send_goes_approved_sending_sent_with_audit_and_events) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    const auto id = approved_draft(*store, "m1");
    const auto begun = begin_send_wait(*store, id);
    ASSERT_EQ(begun.status, decide_status::changed) << begun.error;
    EXPECT_EQ(begun.draft->state, draft_state::sending);
    EXPECT_EQ(begun.draft->attempts, 1);
    EXPECT_EQ(begun.draft->version, 3);
    // A second dispatcher (or a repeat) cannot start it again.
    const auto again = begin_send_wait(*store, id);
    EXPECT_EQ(again.status, decide_status::conflict);
    EXPECT_EQ(again.error, "the draft is sending, not approved");

    auto sent = outcome(id, send_outcome::result::sent);
    sent.sent_id = "r-77";
    const auto done = finish_send_wait(*store, sent);
    ASSERT_EQ(done.status, decide_status::changed) << done.error;
    EXPECT_EQ(done.draft->state, draft_state::sent);
    EXPECT_EQ(done.draft->sent_id, "r-77");
    EXPECT_EQ(done.draft->sent_at, t0 + 21min);
    EXPECT_EQ(done.draft->version, 4);
    EXPECT_EQ(store->get_draft(id).value, done.draft);
    EXPECT_EQ(finish_send_wait(*store, sent).status, decide_status::conflict);
    EXPECT_EQ(store->sent_since(t0 + 21min).value, (std::vector<rules::time_point>{t0 + 21min}));
    EXPECT_TRUE(store->sent_since(t0 + 22min).value.empty());

    raw_db db(dir.db());
    EXPECT_EQ(db.text("SELECT group_concat(actor || ' ' || action, ', ') FROM (SELECT * FROM "
                      "audit WHERE draft_id = '" +
                      id + "' ORDER BY seq)"),
              "alice approve, rapportd send, rapportd sent");
    EXPECT_EQ(db.number("SELECT count(*) FROM outbox WHERE event = 'draft.sent' AND draft_id = '" +
                        id + "'"),
              1);
}

TEST(store_send, permanent_failure_and_needs_review_keep_the_error_and_notify) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    const auto failed = approved_draft(*store, "m1");
    const auto unsure = approved_draft(*store, "m2");
    ASSERT_EQ(begin_send_wait(*store, failed).status, decide_status::changed);
    ASSERT_EQ(begin_send_wait(*store, unsure).status, decide_status::changed);
    auto f = outcome(failed, send_outcome::result::failed);
    f.error = "reply_url answered 400: unknown thread";
    EXPECT_EQ(finish_send_wait(*store, f).draft->state, draft_state::failed);
    auto u = outcome(unsure, send_outcome::result::needs_review);
    u.error = "no answer within 30 s";
    const auto reviewed = finish_send_wait(*store, u);
    EXPECT_EQ(reviewed.draft->state, draft_state::needs_review);
    EXPECT_EQ(reviewed.draft->last_error, "no answer within 30 s");
    EXPECT_EQ(store->get_draft(failed).value->last_error, "reply_url answered 400: unknown thread");
    // A person may approve a draft under review again; it is due at once.
    const auto re = decide_wait(*store, decision(unsure, approve_or_reject::approve));
    ASSERT_EQ(re.status, decide_status::changed) << re.error;
    EXPECT_EQ(re.draft->state, draft_state::approved);
    EXPECT_EQ(store->due_drafts(t0 + 30min, 10).value.size(), 1U);
    // A failed draft is final.
    EXPECT_EQ(decide_wait(*store, decision(failed, approve_or_reject::approve)).status,
              decide_status::conflict);

    raw_db db(dir.db());
    EXPECT_EQ(db.number("SELECT count(*) FROM outbox WHERE event IN ('draft.failed', "
                        "'draft.needs_review')"),
              2);
}

TEST(store_send, due_drafts_are_read_in_index_order_without_a_sort) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    raw_db db(dir.db());
    const std::string plan = db.plan(
        "SELECT id FROM drafts INDEXED BY drafts_due WHERE state = 'approved' AND "
        "(next_attempt_at IS NULL OR "
        "next_attempt_at <= 0) ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' "
        "THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, decided_at, id LIMIT 10");
    EXPECT_NE(plan.find("drafts_due"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST(store_send, a_restart_turns_interrupted_sends_into_needs_review_unless_idempotent) {
    temp_dir dir;
    std::string plain;
    std::string idempotent;
    std::string untouched;
    {
        auto store = open_ok(dir.db());
        plain = approved_draft(*store, "m1");
        idempotent = approved_draft(*store, "m2", rules::priority::high, "dedupe-site");
        untouched = approved_draft(*store, "m3");
        ASSERT_EQ(begin_send_wait(*store, plain).status, decide_status::changed);
        ASSERT_EQ(begin_send_wait(*store, idempotent).status, decide_status::changed);
        // The process "dies" here: the store is dropped with both drafts `sending`.
    }
    auto store = open_ok(dir.db());
    const auto recovered = wait_for_store<store_result<std::vector<draft_record>>>([&](auto done) {
        store->recover_interrupted_sends({"dedupe-site"}, t0 + 1h, std::move(done));
    });
    ASSERT_TRUE(recovered.ok()) << recovered.error;
    ASSERT_EQ(recovered.value.size(), 2U);
    EXPECT_EQ(store->get_draft(plain).value->state, draft_state::needs_review);
    EXPECT_NE(store->get_draft(plain).value->last_error->find("may or may not have been"),
              std::string::npos);
    EXPECT_EQ(store->get_draft(idempotent).value->state, draft_state::approved);
    EXPECT_EQ(store->get_draft(untouched).value->state, draft_state::approved);
    // Nothing is re-sent on its own: only the idempotent one and the untouched one are due.
    EXPECT_EQ(store->due_drafts(t0 + 1h, 10).value.size(), 2U);
}

// Version 5 cuts people's history into slices: rows written before it keep counting, once.
TEST(store, migrates_a_version_4_database_keeping_peoples_history) {
    temp_dir dir;
    ASSERT_EQ(sqlite_store::create_at_version_for_test(dir.db(), 4), "");
    {
        raw_db db(dir.db());
        for (const char* id : {"m1", "m2"}) {
            db.exec(std::string{"INSERT INTO messages (account, id, platform, kind, author_id, "
                                "created_at, received_at, message_json, decision_json, tags) "
                                "VALUES ('acme-site', '"} +
                    id + "', 'x', 'mention', 'u1', 1000, 1001, '{}', '{}', '[\"praise\"]')");
            db.exec(
                "INSERT INTO person_events (platform, author_id, at, kind, tags) VALUES "
                "('x', 'u1', 1000, 'message', '[\"praise\"]')");
        }
    }
    for (std::size_t start = 0; start < 2; ++start) {
        auto store = open_ok(dir.db());
        const auto history =
            store->load_history("x", "u1", rules::time_point{rules::duration{999}});
        ASSERT_TRUE(history.ok()) << history.error;
        EXPECT_EQ(history.value.events.size(), 2 + start);
        if (start == 0) {
            ASSERT_EQ(ingest_wait(*store, make_request(make_message("m3"), {})).status,
                      ingest_status::stored);
        }
    }
    raw_db db(dir.db());
    EXPECT_EQ(db.number("SELECT count(*) FROM person_events WHERE slice = " +
                        std::to_string(sqlite_store::history_slice_for_test("x", "u1"))),
              3);
    EXPECT_EQ(db.number("SELECT count(*) FROM history_moved"), 128);
}

TEST(store, migrates_a_version_1_database_keeping_its_messages_and_drafts) {
    temp_dir dir;
    ASSERT_EQ(sqlite_store::create_at_version_for_test(dir.db(), 1), "");
    {
        // What a version-1 rapportd wrote: a message, its pending draft and the outbox event.
        raw_db db(dir.db());
        db.exec(
            "INSERT INTO messages (account, id, platform, kind, author_id, created_at, "
            "received_at, message_json, decision_json, tags) VALUES ('acme-site', 'm1', "
            "'generic', 'mention', 'u1', 1000, 1001, '{\"id\":\"m1\",\"text\":\"hi\","
            "\"author\":{\"id\":\"u1\"}}', '{}', '[\"complaint\"]')");
        db.exec(
            "INSERT INTO drafts (id, version, state, kind, account, platform, rule, priority, "
            "private, too_long, text, original_text, in_reply_to, created_at) VALUES "
            "('d-00000000000a1', 1, 'pending', 'reply', 'acme-site', 'generic', 'p/r', "
            "'normal', 0, 0, 'Hello', 'Hello', 'm1', 1001)");
        db.exec(
            "INSERT INTO outbox (event, draft_id, created_at, next_at) VALUES "
            "('draft.created', 'd-00000000000a1', 1001, 1001)");
    }
    auto store = open_ok(dir.db());
    raw_db db(dir.db());
    EXPECT_EQ(db.number("PRAGMA user_version"), sqlite_store::schema_version());
    EXPECT_EQ(db.number("SELECT count(*) FROM pragma_foreign_key_check"), 0);
    const auto draft = store->get_draft("d-00000000000a1");
    ASSERT_TRUE(draft.ok()) << draft.error;
    ASSERT_TRUE(draft.value);
    EXPECT_EQ(draft.value->state, draft_state::pending);
    EXPECT_EQ(draft.value->in_reply_to, "m1");
    EXPECT_EQ(draft.value->text, "Hello");
    EXPECT_FALSE(draft.value->next_attempt_at);
    EXPECT_FALSE(draft.value->insight);
    const auto message = store->get_message("acme-site", "m1");
    ASSERT_TRUE(message.ok() && message.value) << message.error;
    EXPECT_EQ(message.value->tags, std::vector<std::string>{"complaint"});
    // The draft can still be decided, and the decision reaches the new outbox.
    ASSERT_EQ(
        decide_wait(*store, decision("d-00000000000a1", decide_request::action::reject)).status,
        decide_status::changed);
    EXPECT_EQ(db.text("SELECT event FROM outbox ORDER BY seq DESC LIMIT 1"), "draft.rejected");
}

// ---- the approval workflow ----

rules::draft_spec offer_spec() {
    rules::draft_spec spec;
    spec.rule = "acme-core/delight";
    spec.kind = rules::draft_kind::offer;
    spec.text = "Here's an early look: {{offer.code}} ({{offer.code}})";
    spec.offer = "acme-core/sneak-peek";
    return spec;
}

// An offer message: its draft takes a code (and at most `per_day` a day) when given.
daemon::ingest_request offer_request(std::string id, std::optional<int> per_day = std::nullopt) {
    auto r = make_request(make_message(std::move(id), "fan-" + std::to_string(per_day.value_or(0))),
                          {offer_spec()}, {"fan"});
    r.drafts.at(0).offer = offer_terms{per_day, std::nullopt, true};
    return r;
}

TEST(store_offers, each_code_goes_to_one_draft_and_an_empty_pool_skips_the_offer) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    const auto added = wait_for_store<store_result<std::int64_t>>([&](auto done) {
        store->add_offer_codes("acme-core/sneak-peek", {"AAA", "BBB"}, std::move(done));
    });
    ASSERT_EQ(added.value, 2);
    EXPECT_EQ(store->offer_codes_left("acme-core/sneak-peek").value, 2);

    const auto first = ingest_wait(*store, offer_request("m1"));
    const auto second = ingest_wait(*store, offer_request("m2"));
    const auto third = ingest_wait(*store, offer_request("m3"));
    ASSERT_EQ(first.draft_ids.size(), 1U);
    ASSERT_EQ(second.draft_ids.size(), 1U);
    EXPECT_EQ(store->get_draft(first.draft_ids[0]).value->text, "Here's an early look: AAA (AAA)");
    EXPECT_EQ(store->get_draft(second.draft_ids[0]).value->text, "Here's an early look: BBB (BBB)");
    // The pool is empty: no draft, and the stored decision says why.
    EXPECT_TRUE(third.draft_ids.empty());
    ASSERT_EQ(third.skipped.size(), 1U);
    EXPECT_EQ(third.skipped[0].reason, "pool_empty");
    const auto stored = store->get_message("acme-site", "m3").value;
    EXPECT_NE(stored->decision_json.find("\"pool_empty\""), std::string::npos);
    EXPECT_EQ(stored->decision_json.find("\"drafts\":[{"), std::string::npos);

    // Reloading the codes file does not hand out a used code again.
    EXPECT_EQ(
        (wait_for_store<store_result<std::int64_t>>([&](auto done) {
             store->add_offer_codes("acme-core/sneak-peek", {"AAA", "BBB", "CCC"}, std::move(done));
         }).value),
        1);
    // A rejected offer gives its code back and leaves the person's history.
    const auto history_before = store->load_history("x", "fan-0", t0 - 1h).value.events.size();
    ASSERT_EQ(
        decide_wait(*store, decision(first.draft_ids[0], decide_request::action::reject)).status,
        decide_status::changed);
    EXPECT_EQ(store->offer_codes_left("acme-core/sneak-peek").value, 2);
    EXPECT_EQ(store->load_history("x", "fan-0", t0 - 1h).value.events.size(), history_before - 1);
    // Sent, the code is used for good.
    const auto sent_id = second.draft_ids[0];
    ASSERT_EQ(decide_wait(*store, decision(sent_id, decide_request::action::approve)).status,
              decide_status::changed);
    ASSERT_EQ(begin_send_wait(*store, sent_id).status, decide_status::changed);
    ASSERT_EQ(finish_send_wait(*store, outcome(sent_id, send_outcome::result::sent)).status,
              decide_status::changed);
    raw_db db(dir.db());
    EXPECT_EQ(db.text("SELECT state FROM offer_codes WHERE code = 'BBB'"), "used");
    EXPECT_EQ(db.text("SELECT state FROM offer_codes WHERE code = 'AAA'"), "free");
}

TEST(store_offers, the_daily_budget_counts_offers_drafted_that_day_but_not_rejected_ones) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    wait_for_store<store_result<std::int64_t>>([&](auto done) {
        store->add_offer_codes("acme-core/sneak-peek", {"A", "B", "C"}, std::move(done));
    });
    const auto first = ingest_wait(*store, offer_request("m1", 1));
    ASSERT_EQ(first.draft_ids.size(), 1U);
    const auto over = ingest_wait(*store, offer_request("m2", 1));
    ASSERT_EQ(over.skipped.size(), 1U);
    EXPECT_EQ(over.skipped[0].reason, "budget");
    EXPECT_EQ(store->offers_drafted_on_day("acme-core/sneak-peek", t0 + 5min).value, 1);
    ASSERT_EQ(
        decide_wait(*store, decision(first.draft_ids[0], decide_request::action::reject)).status,
        decide_status::changed);
    EXPECT_EQ(store->offers_drafted_on_day("acme-core/sneak-peek", t0 + 5min).value, 0);
    EXPECT_EQ(ingest_wait(*store, offer_request("m3", 1)).draft_ids.size(), 1U);
}

TEST(store_offers, a_person_in_cooldown_gets_no_second_offer_even_when_both_raced) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    wait_for_store<store_result<std::int64_t>>([&](auto done) {
        store->add_offer_codes("acme-core/sneak-peek", {"A", "B"}, std::move(done));
    });
    // Both messages were evaluated before either was stored: the transaction catches it.
    auto first = offer_request("m1");
    auto second = offer_request("m2");
    first.drafts.at(0).offer->cooldown = std::chrono::days{90};
    second.drafts.at(0).offer->cooldown = std::chrono::days{90};
    EXPECT_EQ(ingest_wait(*store, first).draft_ids.size(), 1U);
    const auto skipped = ingest_wait(*store, second);
    EXPECT_TRUE(skipped.draft_ids.empty());
    ASSERT_EQ(skipped.skipped.size(), 1U);
    EXPECT_EQ(skipped.skipped[0].reason, "cooldown");
    EXPECT_EQ(store->offer_codes_left("acme-core/sneak-peek").value, 1);
}

TEST(store_decisions, a_signed_decision_is_accepted_once) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    const auto id = ingest_wait(*store, make_request(make_message("m1"))).draft_ids.at(0);
    auto signed_decision = decision(id, decide_request::action::approve);
    signed_decision.signature = "sha256=abc";
    signed_decision.signature_expires_at = t0 + 20min;
    EXPECT_EQ(decide_wait(*store, signed_decision).status, decide_status::changed);
    EXPECT_EQ(decide_wait(*store, signed_decision).status, decide_status::replay);
    signed_decision.signature = "sha256=def";
    EXPECT_EQ(decide_wait(*store, signed_decision).status, decide_status::unchanged);
    // Past its expiry the signature is forgotten (the timestamp check refuses it by then).
    signed_decision.at = t0 + 30min;
    signed_decision.signature = "sha256=xyz";
    EXPECT_EQ(decide_wait(*store, signed_decision).status, decide_status::unchanged);
    raw_db db(dir.db());
    EXPECT_EQ(db.number("SELECT count(*) FROM used_signatures"), 1);
}

TEST(store_sweeps, undecided_drafts_expire_with_a_notification_and_decided_ones_do_not) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    const auto lapsing = ingest_wait(*store, make_request(make_message("m1"))).draft_ids.at(0);
    const auto decided = approved_draft(*store, "m2");
    const auto expire = [&](rules::time_point now) {
        return wait_for_store<store_result<std::vector<draft_record>>>(
            [&](auto done) { store->expire_drafts(now, 100, std::move(done)); });
    };
    EXPECT_TRUE(expire(t0 + 71h).value.empty());
    const auto expired = expire(t0 + 73h);
    ASSERT_EQ(expired.value.size(), 1U);
    EXPECT_EQ(expired.value[0].id, lapsing);
    EXPECT_EQ(store->get_draft(lapsing).value->state, draft_state::expired);
    EXPECT_EQ(store->get_draft(decided).value->state, draft_state::approved);
    EXPECT_TRUE(expire(t0 + 74h).value.empty());
    const auto events = store->outbox_after(0, 100).value;
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().event, "draft.expired");
    EXPECT_NE(events.back().draft_json.find("\"state\":\"expired\""), std::string::npos);
    EXPECT_EQ(decide_wait(*store, decision(lapsing, decide_request::action::approve)).status,
              decide_status::conflict);
}

TEST(store_sweeps, an_sla_breach_is_reported_once_and_an_answered_message_never) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    // make_request gives an SLA of 1h from the message's creation at t0.
    const auto unanswered = ingest_wait(*store, make_request(make_message("m1"))).draft_ids.at(0);
    const auto answered = approved_draft(*store, "m2");
    ASSERT_EQ(begin_send_wait(*store, answered).status, decide_status::changed);
    const auto sent = finish_send_wait(*store, outcome(answered, send_outcome::result::sent));
    ASSERT_TRUE(sent.first_response);
    EXPECT_EQ(*sent.first_response, 21min);
    const auto breach = [&](rules::time_point now) {
        return wait_for_store<store_result<std::vector<sla_breach>>>(
            [&](auto done) { store->breach_slas(now, 100, std::move(done)); });
    };
    EXPECT_TRUE(breach(t0 + 59min).value.empty());
    const auto found = breach(t0 + 1h + 3s);
    ASSERT_EQ(found.value.size(), 1U) << found.error;
    EXPECT_EQ(found.value[0].message_id, "m1");
    EXPECT_EQ(found.value[0].late, 3s);
    ASSERT_TRUE(found.value[0].draft);
    EXPECT_EQ(found.value[0].draft->id, unanswered);
    EXPECT_TRUE(breach(t0 + 2h).value.empty());
    const auto events = store->outbox_after(0, 100).value;
    EXPECT_EQ(events.back().event, "sla.breached");
    EXPECT_NE(events.back().details_json.find("\"late_seconds\":3"), std::string::npos);
}

TEST(store_outbox, events_keep_the_draft_as_it_was_and_can_be_read_on_and_pruned) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    const auto id = approved_draft(*store, "m1");
    const auto events = store->outbox_after(0, 100).value;
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(events[0].event, "draft.created");
    EXPECT_NE(events[0].draft_json.find("\"state\":\"pending\""), std::string::npos);
    EXPECT_NE(events[0].draft_json.find("\"in_reply_to\":{\"id\":\"m1\""), std::string::npos);
    EXPECT_EQ(events[1].event, "draft.approved");
    EXPECT_EQ(events[1].draft_id, id);
    EXPECT_EQ(store->outbox_after(events[0].seq, 100).value.size(), 1U);
    EXPECT_EQ(store->last_outbox_seq().value, events[1].seq);
    EXPECT_EQ(wait_for_store<std::string>(
                  [&](auto done) { store->prune_outbox(events[0].seq, std::move(done)); }),
              "");
    EXPECT_EQ(store->outbox_after(0, 100).value.size(), 1U);
}

TEST(store_settings, cursors_and_the_pause_survive_a_reopen) {
    temp_dir dir;
    {
        auto store = open_ok(dir.db());
        EXPECT_FALSE(store->paused().value);
        EXPECT_FALSE(store->get_cursor("notify", "https://a").value);
        EXPECT_EQ(wait_for_store<std::string>([&](auto done) {
                      store->put_cursor("notify", "https://a", "41", std::move(done));
                  }),
                  "");
        EXPECT_EQ(wait_for_store<std::string>([&](auto done) {
                      store->put_cursor("notify", "https://a", "42", std::move(done));
                  }),
                  "");
        EXPECT_EQ(wait_for_store<std::string>(
                      [&](auto done) { store->set_paused(true, "alice", t0, std::move(done)); }),
                  "");
    }
    auto store = open_ok(dir.db());
    EXPECT_TRUE(store->paused().value);
    EXPECT_EQ(store->get_cursor("notify", "https://a").value, "42");
    const auto audit = store->list_audit(audit_filter{}).value;
    ASSERT_EQ(audit.entries.size(), 1U);
    EXPECT_EQ(audit.entries[0].action, "pause");
    EXPECT_EQ(audit.entries[0].actor, "alice");
    EXPECT_TRUE(audit.entries[0].draft_id.empty());
}

TEST(store_lists, audit_and_messages_page_newest_first_and_filter) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    const auto id = approved_draft(*store, "m1");
    ASSERT_EQ(ingest_wait(*store, make_request(make_message("m2"), {}, {"praise"})).status,
              ingest_status::stored);
    ASSERT_EQ(ingest_wait(*store, make_request(make_message("m3"), {}, {"praise", "fan"})).status,
              ingest_status::stored);

    message_filter praise;
    praise.tag = "praise";
    praise.limit = 1;
    const auto first = store->list_messages(praise).value;
    ASSERT_EQ(first.messages.size(), 1U);
    EXPECT_EQ(first.messages[0].message.id, "m3");
    ASSERT_TRUE(first.next);
    praise.after = first.next;
    const auto second = store->list_messages(praise).value;
    ASSERT_EQ(second.messages.size(), 1U);
    EXPECT_EQ(second.messages[0].message.id, "m2");
    EXPECT_FALSE(second.next);
    message_filter bad;
    bad.after = "x1";
    EXPECT_FALSE(store->list_messages(bad).ok());

    audit_filter of_draft;
    of_draft.draft_id = id;
    const auto audit = store->list_audit(of_draft).value;
    ASSERT_EQ(audit.entries.size(), 1U);
    EXPECT_EQ(audit.entries[0].action, "approve");
    EXPECT_NE(audit.entries[0].before_json.find("\"state\":\"pending\""), std::string::npos);
    EXPECT_NE(audit.entries[0].after_json.find("\"state\":\"approved\""), std::string::npos);
}

TEST(store_insights, a_slot_fires_once_and_replies_to_the_posted_question_are_its_answers) {
    temp_dir dir;
    auto store = open_ok(dir.db());
    insight_firing firing{"apps", t0, {}};
    draft_record q;
    q.kind = rules::draft_kind::insight_question;
    q.account = "acme-site";
    q.platform = "x";
    q.rule = "research/apps";
    q.text = "What apps keep you organized?";
    q.original_text = q.text;
    q.created_at = t0;
    firing.drafts.push_back(q);
    const auto fire = [&](insight_firing f) {
        return wait_for_store<store_result<std::vector<draft_record>>>(
            [&](auto done) { store->fire_insight(std::move(f), std::move(done)); });
    };
    const auto created = fire(firing);
    ASSERT_EQ(created.value.size(), 1U) << created.error;
    EXPECT_TRUE(fire(firing).value.empty()); // the same slot again: nothing
    const std::string id = created.value[0].id;
    EXPECT_EQ(store->get_draft(id).value->insight, "apps");
    EXPECT_TRUE(store->get_draft(id).value->in_reply_to.empty());

    ASSERT_EQ(decide_wait(*store, decision(id, decide_request::action::approve)).status,
              decide_status::changed);
    ASSERT_EQ(begin_send_wait(*store, id).status, decide_status::changed);
    auto posted = outcome(id, send_outcome::result::sent);
    posted.sent_id = "post-77";
    ASSERT_EQ(finish_send_wait(*store, posted).status, decide_status::changed);

    auto answer = make_message("a1");
    answer.in_reply_to = "post-77";
    EXPECT_EQ(store->question_answered_by(answer).value, "apps");
    auto elsewhere = make_message("a2", "u1", t0, "other-account");
    elsewhere.in_reply_to = "post-77";
    EXPECT_FALSE(store->question_answered_by(elsewhere).value);
    answer.insight = "apps";
    ASSERT_EQ(ingest_wait(*store, make_request(answer, {}, {})).status, ingest_status::stored);
    const auto record = store->get_insight("apps", 100).value;
    ASSERT_EQ(record.questions.size(), 1U);
    EXPECT_EQ(record.questions[0].sent_id, "post-77");
    ASSERT_EQ(record.answers.size(), 1U);
    EXPECT_EQ(record.answers[0].message.id, "a1");

    // After a restart the question is still found: which accounts have posted questions is
    // read back when the store opens.
    store.reset();
    store = open_ok(dir.db());
    auto later = make_message("a3");
    later.in_reply_to = "post-77";
    EXPECT_EQ(store->question_answered_by(later).value, "apps");
}

} // namespace
} // namespace rapport::daemon
