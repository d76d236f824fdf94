// The embedded store: one SQLite database in WAL mode. One writer thread owns the write
// connection and commits queued requests in groups (PERFORMANCE: durable writes are the limit,
// so every fdatasync carries as many requests as are waiting); readers take connections from
// a small pool and read while the writer writes; a checkpoint thread copies the WAL back into
// the database beside them.
#pragma once

#include "daemon/store/store.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace rapport::daemon {

class sqlite_store;

/// A store opened at its current schema, or why it could not be.
struct sqlite_open_result {
    std::unique_ptr<sqlite_store> store;
    std::string error;
};

class sqlite_store final : public store {
public:
    /// The schema version this code writes (the number of migrations it knows).
    [[nodiscard]] static int schema_version();

    /// How many history events of one slice of people wait in memory before they are moved
    /// into the person index together (see migration 5 in sqlite_store.cpp).
    static constexpr std::size_t default_history_batch = 512;

    /// The WAL length, in pages, at which a checkpoint thread starts copying it back into the
    /// database (SQLite's own default); at four times it the writer finishes the copy so the
    /// WAL starts again from its beginning (about 16 MiB with 4 KiB pages).
    static constexpr int default_checkpoint_frames = 1000;

    /// Opens (creating if needed) the database at `path`, applies the migrations it lacks,
    /// each in its own transaction, and starts the writer and checkpoint threads. Fails,
    /// changing nothing, when the database's schema is newer than this code's or SQLite
    /// reports an error. `history_batch` and `checkpoint_frames` are for tests, which move
    /// history after a few messages and checkpoint after a few pages.
    [[nodiscard]] static sqlite_open_result open(const std::filesystem::path& path,
                                                 std::size_t history_batch = default_history_batch,
                                                 int checkpoint_frames = default_checkpoint_frames);

    /// Creates a database at an older schema `version` and closes it, as an older rapportd
    /// would have left it: migration tests start from it. Returns the error, empty on success.
    [[nodiscard]] static std::string create_at_version_for_test(const std::filesystem::path& path,
                                                                int version);

    /// The slice (0-127) of a person's history that person_events stores for them, so tests
    /// can write rows the way the store does.
    [[nodiscard]] static std::int64_t history_slice_for_test(std::string_view platform,
                                                             std::string_view author_id);

    ~sqlite_store() override;
    sqlite_store(const sqlite_store&) = delete;
    sqlite_store& operator=(const sqlite_store&) = delete;

    void ingest(ingest_request request, std::function<void(ingest_result)> done) override;
    [[nodiscard]] store_result<std::optional<draft_record>> get_draft(std::string_view id) override;
    [[nodiscard]] store_result<draft_page> list_drafts(const draft_filter& filter) override;
    [[nodiscard]] store_result<std::optional<stored_message>> get_message(
        std::string_view account, std::string_view id) override;
    [[nodiscard]] store_result<rules::person_history> load_history(
        std::string_view platform, std::string_view author_id, rules::time_point since) override;
    void decide(decide_request request, std::function<void(decide_result)> done) override;
    [[nodiscard]] store_result<std::vector<draft_record>> due_drafts(rules::time_point now,
                                                                     int limit) override;
    [[nodiscard]] store_result<std::int64_t> count_drafts(draft_state state) override;
    [[nodiscard]] store_result<std::vector<rules::time_point>> sent_since(
        rules::time_point since) override;
    void begin_send(std::string draft_id,
                    rules::time_point at,
                    std::function<void(decide_result)> done) override;
    void finish_send(send_outcome outcome, std::function<void(decide_result)> done) override;
    void recover_interrupted_sends(
        std::vector<std::string> idempotent_accounts,
        rules::time_point at,
        std::function<void(store_result<std::vector<draft_record>>)> done) override;
    void expire_drafts(rules::time_point now,
                       int limit,
                       std::function<void(store_result<std::vector<draft_record>>)> done) override;
    void breach_slas(rules::time_point now,
                     int limit,
                     std::function<void(store_result<std::vector<sla_breach>>)> done) override;
    [[nodiscard]] store_result<std::vector<outbox_event>> outbox_after(std::int64_t seq,
                                                                       int limit) override;
    [[nodiscard]] store_result<std::int64_t> last_outbox_seq() override;
    void prune_outbox(std::int64_t seq, std::function<void(std::string)> done) override;
    [[nodiscard]] store_result<std::optional<std::string>> get_cursor(
        std::string_view owner, std::string_view key) override;
    void put_cursor(std::string owner,
                    std::string key,
                    std::string value,
                    std::function<void(std::string)> done) override;
    [[nodiscard]] store_result<bool> paused() override;
    void set_paused(bool paused,
                    std::string actor,
                    rules::time_point at,
                    std::function<void(std::string)> done) override;
    void add_offer_codes(std::string pool,
                         std::vector<std::string> codes,
                         std::function<void(store_result<std::int64_t>)> done) override;
    [[nodiscard]] store_result<std::int64_t> offer_codes_left(std::string_view pool) override;
    [[nodiscard]] store_result<std::int64_t> offers_drafted_on_day(
        std::string_view pool, rules::time_point day_of) override;
    [[nodiscard]] store_result<std::optional<std::string>> question_answered_by(
        const rules::message& m) override;
    void fire_insight(insight_firing firing,
                      std::function<void(store_result<std::vector<draft_record>>)> done) override;
    [[nodiscard]] store_result<insight_record> get_insight(std::string_view id, int limit) override;
    [[nodiscard]] store_result<audit_page> list_audit(const audit_filter& filter) override;
    [[nodiscard]] store_result<message_page> list_messages(const message_filter& filter) override;
    [[nodiscard]] std::string background_problem() override;
    void close() override;

    /// Transactions the writer has committed (group commit makes it smaller than the number
    /// of requests under load).
    [[nodiscard]] std::uint64_t commits_for_test() const;

    /// Passive checkpoints done by the checkpoint thread and, to finish one, by the writer.
    struct checkpoint_counts {
        std::uint64_t background = 0;
        std::uint64_t writer = 0;
    };
    [[nodiscard]] checkpoint_counts checkpoints_for_test() const;

private:
    struct impl;
    explicit sqlite_store(std::unique_ptr<impl> state);

    std::unique_ptr<impl> impl_;
};

} // namespace rapport::daemon
