#include "daemon/store/sqlite_store.hpp"

#include "daemon/store/draft_json.hpp"
#include "rules/json_text.hpp"

#include <pthread.h>
#include <sqlite3.h>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace rapport::daemon {

namespace {

// Each string is one schema version; never edit a released one, append a new one instead.
// Times are INTEGER seconds since the Unix epoch. Row data appends by rowid; text keys are
// unique indexes, and draft ids grow with time so their index appends too.
constexpr std::array<const char*, 5> migrations{
    R"sql(
CREATE TABLE messages (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    platform TEXT NOT NULL,
    kind TEXT NOT NULL,
    author_id TEXT NOT NULL,
    created_at INTEGER,
    received_at INTEGER NOT NULL,
    message_json TEXT NOT NULL,
    decision_json TEXT NOT NULL,
    tags TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE TABLE person_events (
    platform TEXT NOT NULL,
    author_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('message', 'offer')),
    tags TEXT NOT NULL DEFAULT '[]',
    pool TEXT
);
CREATE INDEX person_events_by_person ON person_events (platform, author_id, at);
CREATE TABLE drafts (
    id TEXT NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    platform TEXT NOT NULL,
    rule TEXT NOT NULL,
    team TEXT,
    priority TEXT NOT NULL,
    private INTEGER NOT NULL,
    too_long INTEGER NOT NULL,
    text TEXT NOT NULL,
    original_text TEXT NOT NULL,
    in_reply_to TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sla_due_at INTEGER,
    expires_at INTEGER,
    decided_by TEXT,
    decided_at INTEGER,
    note TEXT,
    sent_id TEXT,
    sent_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    offer TEXT,
    FOREIGN KEY (account, in_reply_to) REFERENCES messages (account, id)
);
CREATE INDEX drafts_by_state ON drafts (state, id);
CREATE INDEX drafts_by_message ON drafts (account, in_reply_to);
CREATE TABLE offer_codes (
    pool TEXT NOT NULL,
    code TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'free',
    draft_id TEXT REFERENCES drafts (id),
    PRIMARY KEY (pool, code)
);
CREATE INDEX offer_codes_free ON offer_codes (pool, state);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    draft_id TEXT NOT NULL REFERENCES drafts (id),
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL
);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    draft_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_by_draft ON audit (draft_id, seq);
CREATE TABLE cursors (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (account, key)
);
CREATE TABLE settings (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
)sql",
    // 2: the dispatcher. A retry waits until next_attempt_at; the hourly cap counts sent_at.
    R"sql(
ALTER TABLE drafts ADD COLUMN next_attempt_at INTEGER;
CREATE INDEX drafts_by_sent_at ON drafts (sent_at) WHERE sent_at IS NOT NULL;
)sql",
    // 3: the approval workflow. Insight questions answer no message, so a draft's
    // in_reply_to may be NULL (SQLite changes a column only by copying the table).
    // Notifications carry the draft as it was at the event. SLAs are tracked per message.
    // Offer events in a person's history name their draft, so a rejected offer is forgotten.
    R"sql(
CREATE TABLE drafts_v3 (
    id TEXT NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    platform TEXT NOT NULL,
    rule TEXT NOT NULL,
    team TEXT,
    priority TEXT NOT NULL,
    private INTEGER NOT NULL,
    too_long INTEGER NOT NULL,
    text TEXT NOT NULL,
    original_text TEXT NOT NULL,
    in_reply_to TEXT,
    created_at INTEGER NOT NULL,
    sla_due_at INTEGER,
    expires_at INTEGER,
    decided_by TEXT,
    decided_at INTEGER,
    note TEXT,
    sent_id TEXT,
    sent_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    offer TEXT,
    next_attempt_at INTEGER,
    insight TEXT,
    FOREIGN KEY (account, in_reply_to) REFERENCES messages (account, id)
);
INSERT INTO drafts_v3 (id, version, state, kind, account, platform, rule, team, priority,
    private, too_long, text, original_text, in_reply_to, created_at, sla_due_at, expires_at,
    decided_by, decided_at, note, sent_id, sent_at, attempts, last_error, offer, next_attempt_at)
SELECT id, version, state, kind, account, platform, rule, team, priority, private, too_long,
    text, original_text, in_reply_to, created_at, sla_due_at, expires_at, decided_by,
    decided_at, note, sent_id, sent_at, attempts, last_error, offer, next_attempt_at
FROM drafts;
DROP TABLE outbox;
DROP TABLE drafts;
ALTER TABLE drafts_v3 RENAME TO drafts;
CREATE INDEX drafts_by_state ON drafts (state, id);
CREATE INDEX drafts_by_message ON drafts (account, in_reply_to);
CREATE INDEX drafts_by_sent_at ON drafts (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX drafts_pending_expiry ON drafts (expires_at) WHERE state = 'pending';
CREATE INDEX drafts_offers_by_day ON drafts (offer, created_at) WHERE offer IS NOT NULL;
CREATE INDEX drafts_posted_questions ON drafts (account, sent_id)
    WHERE kind = 'insight_question' AND sent_id IS NOT NULL;
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    draft_id TEXT,
    created_at INTEGER NOT NULL,
    draft_json TEXT NOT NULL,
    details_json TEXT
);
CREATE TABLE used_signatures (
    signature TEXT NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
ALTER TABLE messages ADD COLUMN sla_due_at INTEGER;
ALTER TABLE messages ADD COLUMN answered_at INTEGER;
ALTER TABLE messages ADD COLUMN sla_breached_at INTEGER;
ALTER TABLE messages ADD COLUMN insight TEXT;
CREATE INDEX messages_sla_open ON messages (sla_due_at)
    WHERE sla_due_at IS NOT NULL AND answered_at IS NULL AND sla_breached_at IS NULL;
CREATE INDEX messages_by_insight ON messages (insight) WHERE insight IS NOT NULL;
ALTER TABLE person_events ADD COLUMN draft_id TEXT;
CREATE INDEX person_events_by_draft ON person_events (draft_id) WHERE draft_id IS NOT NULL;
)sql",
    // 4: the dispatcher's look for due drafts walks this index in its order instead of
    // sorting every approved draft (3-4 ms with 10,000 waiting, bench/RESULTS.md).
    R"sql(
CREATE INDEX drafts_due ON drafts ((CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1
    WHEN 'normal' THEN 2 ELSE 3 END), decided_at, id) WHERE state = 'approved';
)sql",
    // 5: a person's history is found by (slice, platform, author_id, at), where the slice is
    // one 128th of people by a hash of who they are (person_slice below). A stored
    // message's history event waits in memory and is moved here with the other waiting events
    // of its slice, in key order, so one move touches each index page of its slice once
    // instead of every message dirtying a page of its own (bench/RESULTS.md). What that saves
    // depends on how many events wait in all; many small slices keep each move short.
    // history_moved says how far: every message of a slice whose rowid is <= through has its
    // event here.
    R"sql(
ALTER TABLE person_events ADD COLUMN slice INTEGER NOT NULL DEFAULT 0;
UPDATE person_events SET slice = rapport_person_slice(platform, author_id);
DROP INDEX person_events_by_person;
CREATE INDEX person_events_by_person ON person_events (slice, platform, author_id, at);
CREATE TABLE history_moved (
    slice INTEGER NOT NULL PRIMARY KEY,
    through INTEGER NOT NULL
);
WITH RECURSIVE slices(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM slices WHERE n < 127)
INSERT INTO history_moved SELECT n, (SELECT coalesce(max(rowid), 0) FROM messages) FROM slices;
)sql",
};

// How many slices people's history is cut into (migration 5 creates one history_moved row
// for each).
constexpr std::size_t history_slices = 128;

// More requests per transaction amortize the fdatasync further, but every request in a group
// waits for the whole group; 256 keeps a group's work around a millisecond.
constexpr std::size_t max_group = 256;
// Idle reader connections kept open; more concurrent readers open extra ones and close them.
constexpr std::size_t max_idle_readers = 8;
constexpr int busy_timeout_ms = 5000;

std::int64_t seconds_of(rules::time_point t) {
    return t.time_since_epoch().count();
}

rules::time_point time_of(std::int64_t s) {
    return rules::time_point{rules::duration{s}};
}

// SQLite counts its memory use by default, under one global mutex taken on every allocation and
// free of every connection, so the writer and the readers queue on it; nothing here reads the
// counts. Only possible before SQLite initializes: once something else in the process has used
// SQLite, sqlite3_config refuses and changes nothing.
void turn_off_memory_statistics() {
    static const int done = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)done;
}

// The slice of a person's history: FNV-1a over platform, a NUL and author id. Stored in the
// database, so it must never change.
std::int64_t person_slice(std::string_view platform, std::string_view author_id) {
    std::uint32_t h = 2166136261U;
    const auto mix = [&h](unsigned char c) {
        h ^= c;
        h *= 16777619U;
    };
    for (char c : platform) {
        mix(static_cast<unsigned char>(c));
    }
    mix(0);
    for (char c : author_id) {
        mix(static_cast<unsigned char>(c));
    }
    return static_cast<std::int64_t>(h % history_slices);
}

// person_slice as the SQL function rapport_person_slice(platform, author_id), for migration 5.
void person_slice_sql(sqlite3_context* context, int, sqlite3_value** args) {
    const auto text = [](sqlite3_value* v) {
        const auto* p = sqlite3_value_text(v);
        return p == nullptr ? std::string_view{}
                            : std::string_view{reinterpret_cast<const char*>(p),
                                               static_cast<std::size_t>(sqlite3_value_bytes(v))};
    };
    sqlite3_result_int64(context, person_slice(text(args[0]), text(args[1])));
}

std::string sqlite_error(sqlite3* db, std::string_view what) {
    std::string error{what};
    error.append(": ");
    error.append(db != nullptr ? sqlite3_errmsg(db) : "out of memory");
    return error;
}

// One SQLite connection with its prepared statements, used by one thread at a time.
class connection {
public:
    connection() = default;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    ~connection() {
        for (auto& [sql, stmt] : statements_) {
            sqlite3_finalize(stmt);
        }
        sqlite3_close_v2(db_);
    }

    /// Opens `path` and sets the per-connection PRAGMAs. Returns the error, empty on success.
    std::string open(const std::string& path, bool writer) {
        const int flags = SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                                        : SQLITE_OPEN_READONLY);
        if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
            return sqlite_error(db_, "cannot open " + path);
        }
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, busy_timeout_ms);
        if (sqlite3_create_function_v2(db_, "rapport_person_slice", 2,
                                       SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                       person_slice_sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
            return sqlite_error(db_, "register rapport_person_slice");
        }
        // FULL: in WAL mode NORMAL may lose the last commits on power loss, and an
        // acknowledged message must survive it.
        return exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;");
    }

    sqlite3* db() const { return db_; }

    /// Runs SQL text without results. Returns the error, empty on success.
    std::string exec(const char* sql) {
        char* message = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
            std::string error = message != nullptr ? message : sqlite3_errmsg(db_);
            sqlite3_free(message);
            return error;
        }
        return {};
    }

    /// Runs one statement without parameters or results from the statement cache: for the
    /// BEGIN, SAVEPOINT and COMMIT of every group, which exec() would compile each time. `sql`
    /// has static storage, as for prepare(). Returns the error, empty on success.
    std::string run(const char* sql) {
        sqlite3_stmt* stmt = prepare(sql);
        if (stmt == nullptr) {
            return sqlite3_errmsg(db_);
        }
        std::string error;
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            error = sqlite3_errmsg(db_);
        }
        sqlite3_reset(stmt);
        return error;
    }

    /// The cached statement for `sql` (a string with static storage: the cache keys on its
    /// address), reset and with no bindings; nullptr when it does not compile.
    sqlite3_stmt* prepare(const char* sql) {
        auto [it, inserted] = statements_.try_emplace(sql, nullptr);
        if (inserted) {
            if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &it->second, nullptr) !=
                SQLITE_OK) {
                statements_.erase(it);
                return nullptr;
            }
        }
        return it->second;
    }

private:
    sqlite3* db_ = nullptr;
    std::unordered_map<const char*, sqlite3_stmt*> statements_;
};

// Resets a statement when leaving scope, so a cached statement never holds a read
// transaction open or keeps the bindings of an earlier call.
class statement {
public:
    statement(connection& c, const char* sql) : stmt_(c.prepare(sql)) {}
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement() {
        if (stmt_ != nullptr) {
            sqlite3_reset(stmt_);
            sqlite3_clear_bindings(stmt_);
        }
    }

    explicit operator bool() const { return stmt_ != nullptr; }

    void bind(int i, std::string_view v) {
        sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    void bind(int i, const char* v) { bind(i, std::string_view{v}); }
    void bind(int i, const std::string& v) { bind(i, std::string_view{v}); }
    void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
    void bind(int i, rules::time_point v) { bind(i, seconds_of(v)); }
    void bind(int i, bool v) { bind(i, std::int64_t{v ? 1 : 0}); }
    template <typename T>
    void bind(int i, const std::optional<T>& v) {
        if (v) {
            bind(i, *v);
        } else {
            sqlite3_bind_null(stmt_, i);
        }
    }

    /// SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return sqlite3_step(stmt_); }

    [[nodiscard]] bool is_null(int col) const {
        return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
    }
    [[nodiscard]] std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    [[nodiscard]] std::string text(int col) const {
        const auto* p = sqlite3_column_text(stmt_, col);
        const int n = sqlite3_column_bytes(stmt_, col);
        return p == nullptr
                   ? std::string{}
                   : std::string{reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
    }
    [[nodiscard]] std::optional<std::string> optional_text(int col) const {
        return is_null(col) ? std::nullopt : std::optional{text(col)};
    }
    [[nodiscard]] std::optional<rules::time_point> optional_time(int col) const {
        return is_null(col) ? std::nullopt : std::optional{time_of(integer(col))};
    }

private:
    sqlite3_stmt* stmt_;
};

// The first row that breaks a foreign key, as an error; empty when there is none.
std::string foreign_key_problems(connection& c) {
    statement s{c, "PRAGMA foreign_key_check"};
    if (!s) {
        return sqlite_error(c.db(), "prepare foreign_key_check");
    }
    const int rc = s.step();
    if (rc == SQLITE_ROW) {
        return "a row of " + s.text(0) + " refers to a missing row of " + s.text(2);
    }
    return rc == SQLITE_DONE ? std::string{} : sqlite_error(c.db(), "foreign_key_check");
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

std::string tags_json(const std::vector<std::string>& tags) {
    std::string out = "[";
    for (const std::string& tag : tags) {
        if (out.size() > 1) {
            out.push_back(',');
        }
        rules::append_json_string(out, tag);
    }
    out.push_back(']');
    return out;
}

std::vector<std::string> parse_tags(std::string_view text) {
    std::vector<std::string> tags;
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(text, ec);
    if (ec || !v.is_array()) {
        return tags; // written by tags_json, so only a hand-edited row can get here
    }
    for (const boost::json::value& item : v.get_array()) {
        if (item.is_string()) {
            tags.emplace_back(item.get_string());
        }
    }
    return tags;
}

// Draft ids: "d-" + 13 base32 digits of (milliseconds << 12 | counter). The alphabet is in
// ASCII order, so ids sort as their values do: newest first is ORDER BY id DESC, and inserts
// append to the index instead of landing at random places (3x faster, PERFORMANCE).
constexpr std::string_view id_alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
constexpr int id_digits = 13;

std::string encode_draft_id(std::uint64_t value) {
    std::string id = "d-";
    for (int i = id_digits - 1; i >= 0; --i) {
        id.push_back(id_alphabet[(value >> (5 * i)) & 31U]);
    }
    return id;
}

std::optional<std::uint64_t> decode_draft_id(std::string_view id) {
    if (id.size() != 2 + id_digits || id.substr(0, 2) != "d-") {
        return std::nullopt;
    }
    // 13 digits hold 65 bits: the first digit carries only the top 4.
    if (id_alphabet.find(id[2]) > 15) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (char c : id.substr(2)) {
        const auto digit = id_alphabet.find(c);
        if (digit == std::string_view::npos) {
            return std::nullopt;
        }
        value = (value << 5) | digit;
    }
    return value;
}

constexpr const char* draft_columns =
    "id, version, state, kind, account, platform, rule, team, priority, private, too_long, "
    "text, original_text, in_reply_to, created_at, sla_due_at, expires_at, decided_by, "
    "decided_at, note, sent_id, sent_at, attempts, last_error, offer, next_attempt_at, insight";

draft_record read_draft(const statement& s) {
    draft_record d;
    d.id = s.text(0);
    d.version = static_cast<int>(s.integer(1));
    d.state = parse_draft_state(s.text(2)).value_or(draft_state::needs_review);
    d.kind = parse_draft_kind(s.text(3)).value_or(rules::draft_kind::reply);
    d.account = s.text(4);
    d.platform = s.text(5);
    d.rule = s.text(6);
    d.team = s.optional_text(7);
    d.priority = rules::parse_priority(s.text(8)).value_or(rules::priority::normal);
    d.is_private = s.integer(9) != 0;
    d.too_long = s.integer(10) != 0;
    d.text = s.text(11);
    d.original_text = s.text(12);
    d.in_reply_to = s.optional_text(13).value_or("");
    d.created_at = time_of(s.integer(14));
    d.sla_due_at = s.optional_time(15);
    d.expires_at = s.optional_time(16);
    d.decided_by = s.optional_text(17);
    d.decided_at = s.optional_time(18);
    d.note = s.optional_text(19);
    d.sent_id = s.optional_text(20);
    d.sent_at = s.optional_time(21);
    d.attempts = static_cast<int>(s.integer(22));
    d.last_error = s.optional_text(23);
    d.offer = s.optional_text(24);
    d.next_attempt_at = s.optional_time(25);
    d.insight = s.optional_text(26);
    return d;
}

// The statements, as statics so the connection cache can key on their addresses.
const std::string select_draft_sql =
    std::string{"SELECT "} + draft_columns + " FROM drafts WHERE id = ?1";
// One statement for every filter combination (a NULL parameter does not filter), so it is
// prepared once per connection.
const std::string list_drafts_sql = std::string{"SELECT "} + draft_columns +
                                    " FROM drafts WHERE (?1 IS NULL OR state = ?1)"
                                    " AND (?2 IS NULL OR team = ?2)"
                                    " AND (?3 IS NULL OR account = ?3)"
                                    " AND (?4 IS NULL OR id < ?4)"
                                    " ORDER BY id DESC LIMIT ?5";
const std::string insert_draft_sql = std::string{"INSERT INTO drafts ("} + draft_columns +
                                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                                     "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "
                                     "?23, ?24, ?25, ?26, ?27)";
constexpr const char* insert_message_sql =
    "INSERT OR IGNORE INTO messages (account, id, platform, kind, author_id, created_at, "
    "received_at, message_json, decision_json, tags, sla_due_at, insight) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
constexpr const char* update_decision_sql =
    "UPDATE messages SET decision_json = ?3 WHERE account = ?1 AND id = ?2";
constexpr const char* insert_person_event_sql =
    "INSERT INTO person_events (slice, platform, author_id, at, kind, tags) "
    "VALUES (?1, ?2, ?3, ?4, 'message', ?5)";
constexpr const char* insert_offer_event_sql =
    "INSERT INTO person_events (slice, platform, author_id, at, kind, pool, draft_id) "
    "VALUES (?1, ?2, ?3, ?4, 'offer', ?5, ?6)";
constexpr const char* set_history_moved_sql =
    "UPDATE history_moved SET through = ?2 WHERE slice = ?1";
constexpr const char* history_moved_sql = "SELECT through FROM history_moved WHERE slice = ?1";
constexpr const char* all_history_moved_sql = "SELECT slice, through FROM history_moved";
constexpr const char* mark_all_moved_sql =
    "UPDATE history_moved SET through = ?1 WHERE through < ?1";
constexpr const char* unmoved_messages_sql =
    "SELECT rowid, platform, author_id, coalesce(created_at, received_at), tags FROM messages "
    "WHERE rowid > ?1 ORDER BY rowid";
constexpr const char* delete_offer_event_sql = "DELETE FROM person_events WHERE draft_id = ?1";
constexpr const char* insert_outbox_sql =
    "INSERT INTO outbox (event, draft_id, created_at, draft_json, details_json) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* select_message_json_sql =
    "SELECT message_json FROM messages WHERE account = ?1 AND id = ?2";
// Offers count against the day's budget unless a person turned them down or let them lapse.
constexpr const char* offers_on_day_sql =
    "SELECT count(*) FROM drafts WHERE offer = ?1 AND created_at >= ?2 AND created_at < ?3 "
    "AND state NOT IN ('rejected', 'expired')";
constexpr const char* recent_offers_sql =
    "SELECT count(*) FROM person_events WHERE slice = ?5 AND platform = ?1 AND author_id = ?2 "
    "AND at >= ?3 AND kind = 'offer' AND pool = ?4";
constexpr const char* free_code_sql =
    "SELECT code FROM offer_codes WHERE pool = ?1 AND state = 'free' ORDER BY rowid LIMIT 1";
constexpr const char* reserve_code_sql =
    "UPDATE offer_codes SET state = 'reserved', draft_id = ?3 WHERE pool = ?1 AND code = ?2";
constexpr const char* release_code_sql =
    "UPDATE offer_codes SET state = 'free', draft_id = NULL WHERE draft_id = ?1";
constexpr const char* use_code_sql = "UPDATE offer_codes SET state = 'used' WHERE draft_id = ?1";
constexpr const char* insert_code_sql =
    "INSERT OR IGNORE INTO offer_codes (pool, code) VALUES (?1, ?2)";
constexpr const char* codes_left_sql =
    "SELECT count(*) FROM offer_codes WHERE pool = ?1 AND state = 'free'";
// The first sent reply answers the message; how long that took is its time to first response.
constexpr const char* answer_message_sql =
    "UPDATE messages SET answered_at = ?3 WHERE account = ?1 AND id = ?2 AND answered_at IS NULL "
    "RETURNING coalesce(created_at, received_at)";
constexpr const char* open_slas_sql =
    "SELECT account, id, sla_due_at FROM messages WHERE sla_due_at IS NOT NULL AND "
    "answered_at IS NULL AND sla_breached_at IS NULL AND sla_due_at <= ?1 "
    "ORDER BY sla_due_at LIMIT ?2";
constexpr const char* mark_breached_sql =
    "UPDATE messages SET sla_breached_at = ?3 WHERE account = ?1 AND id = ?2";
constexpr const char* insert_signature_sql =
    "INSERT OR IGNORE INTO used_signatures (signature, expires_at) VALUES (?1, ?2)";
constexpr const char* forget_signatures_sql = "DELETE FROM used_signatures WHERE expires_at < ?1";
constexpr const char* put_cursor_sql =
    "INSERT INTO cursors (account, key, value) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (account, key) DO UPDATE SET value = excluded.value";
constexpr const char* get_cursor_sql = "SELECT value FROM cursors WHERE account = ?1 AND key = ?2";
constexpr const char* put_setting_sql =
    "INSERT INTO settings (key, value) VALUES (?1, ?2) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
constexpr const char* get_setting_sql = "SELECT value FROM settings WHERE key = ?1";
constexpr const char* outbox_after_sql =
    "SELECT seq, event, coalesce(draft_id, ''), created_at, draft_json, "
    "coalesce(details_json, '') FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2";
constexpr const char* last_outbox_seq_sql = "SELECT coalesce(max(seq), 0) FROM outbox";
constexpr const char* prune_outbox_sql = "DELETE FROM outbox WHERE seq <= ?1";
constexpr const char* question_answered_sql =
    "SELECT insight FROM drafts WHERE account = ?1 AND kind = 'insight_question' AND "
    "sent_id IS NOT NULL AND sent_id IN (?2, ?3) LIMIT 1";
constexpr const char* accounts_with_questions_sql =
    "SELECT DISTINCT account FROM drafts WHERE kind = 'insight_question' AND "
    "sent_id IS NOT NULL";
constexpr const char* insight_answers_sql =
    "SELECT message_json, received_at, decision_json, tags FROM messages WHERE insight = ?1 "
    "ORDER BY coalesce(created_at, received_at), rowid LIMIT ?2";
constexpr const char* list_audit_sql =
    "SELECT seq, draft_id, at, actor, action, coalesce(before_json, ''), "
    "coalesce(after_json, '') FROM audit WHERE (?1 IS NULL OR draft_id = ?1) "
    "AND (?2 IS NULL OR seq < ?2) ORDER BY seq DESC LIMIT ?3";
constexpr const char* list_messages_sql =
    "SELECT rowid, message_json, received_at, decision_json, tags FROM messages "
    "WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM json_each(messages.tags) WHERE value = ?1)) "
    "AND (?2 IS NULL OR account = ?2) AND (?3 IS NULL OR received_at >= ?3) "
    "AND (?4 IS NULL OR rowid < ?4) ORDER BY rowid DESC LIMIT ?5";
constexpr const char* select_message_sql =
    "SELECT message_json, received_at, decision_json, tags FROM messages "
    "WHERE account = ?1 AND id = ?2";
constexpr const char* select_history_sql =
    "SELECT kind, at, tags, pool FROM person_events "
    "WHERE slice = ?4 AND platform = ?1 AND author_id = ?2 AND at >= ?3 ORDER BY at, rowid";

// Every column a draft's life changes after it was created.
constexpr const char* update_draft_sql =
    "UPDATE drafts SET version = ?2, state = ?3, text = ?4, decided_by = ?5, decided_at = ?6, "
    "note = ?7, sent_id = ?8, sent_at = ?9, attempts = ?10, last_error = ?11, "
    "next_attempt_at = ?12 WHERE id = ?1";
// Most urgent first, then in the order people approved them.
const std::string due_drafts_sql =
    std::string{"SELECT "} + draft_columns +
    // Without statistics the planner would take drafts_by_state and sort every approved draft.
    " FROM drafts INDEXED BY drafts_due"
    " WHERE state = 'approved' AND (next_attempt_at IS NULL OR next_attempt_at <= ?1)"
    " ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2"
    " ELSE 3 END, decided_at, id LIMIT ?2";
const std::string expiring_drafts_sql =
    std::string{"SELECT "} + draft_columns +
    " FROM drafts WHERE state = 'pending' AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2";
// The draft an SLA notification shows: the message's most urgent one not yet finished.
const std::string sla_draft_sql =
    std::string{"SELECT "} + draft_columns +
    " FROM drafts WHERE account = ?1 AND in_reply_to = ?2 ORDER BY CASE state"
    " WHEN 'pending' THEN 0 WHEN 'needs_review' THEN 1 WHEN 'approved' THEN 2"
    " WHEN 'sending' THEN 3 ELSE 4 END, id LIMIT 1";
const std::string insight_questions_sql =
    std::string{"SELECT "} + draft_columns + " FROM drafts WHERE insight = ?1 ORDER BY id";
const std::string select_sending_sql =
    std::string{"SELECT "} + draft_columns + " FROM drafts WHERE state = 'sending' ORDER BY id";
constexpr const char* count_drafts_sql = "SELECT count(*) FROM drafts WHERE state = ?1";
constexpr const char* sent_since_sql =
    "SELECT sent_at FROM drafts WHERE sent_at IS NOT NULL AND sent_at >= ?1 ORDER BY sent_at";
constexpr const char* insert_audit_sql =
    "INSERT INTO audit (draft_id, at, actor, action, before_json, after_json) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

// A message's event in its author's history, as person_events stores it.
struct history_event_row {
    std::int64_t message_rowid = 0;
    std::int64_t at = 0;
    std::string platform;
    std::string author_id;
    std::string tags;
};

// Who the audit log names for the dispatcher's own changes.
constexpr std::string_view dispatcher_actor = "rapportd";

// What an audit entry records of a draft before and after a change.
std::string audit_json(const draft_record& d) {
    std::string out = "{\"version\":" + std::to_string(d.version) + ",\"state\":";
    rules::append_json_string(out, to_string(d.state));
    out += ",\"text\":";
    rules::append_json_string(out, d.text);
    if (d.last_error) {
        out += ",\"last_error\":";
        rules::append_json_string(out, *d.last_error);
    }
    out += "}";
    return out;
}

} // namespace

/// An ingest request's columns that are JSON text, written out before the writer takes it.
struct ingest_texts {
    std::string message;
    std::string decision;
    std::string tags;
};

struct sqlite_store::impl {
    std::string path;
    connection writer;

    std::mutex queue_mutex;
    std::condition_variable queue_ready;
    // A write that joins the next group commit: `write` runs inside the group's transaction
    // and returns its error (it runs again, in a savepoint of its own, when another job of the
    // group failed; see write_group); `done` runs after COMMIT with the error (the commit's, if
    // it failed), empty on success.
    struct job {
        std::function<std::string(impl&)> write;
        std::function<void(const std::string&)> done;
    };
    std::deque<job> queue;
    bool stopping = false;
    bool closed = false;
    std::thread writer_thread;
    std::atomic<std::uint64_t> commits{0};
    // Touched by the writer thread only.
    std::uint64_t last_draft_value = 0;
    // The history events of the messages in the group being written.
    std::vector<history_event_row> group_history;

    // History events of stored messages not yet moved into person_events, per slice, in the
    // order their messages were stored. Only the writer thread changes them (under the mutex);
    // readers copy what they need under the mutex.
    std::mutex history_mutex;
    std::array<std::vector<history_event_row>, history_slices> unmoved;
    // How many of a slice's events wait before they are moved, and, after a move failed, the
    // count at which the next try is due.
    std::size_t history_batch = 0;
    std::array<std::size_t, history_slices> next_move_at{};
    // The rowid of the newest stored message (writer thread): every slice's events up to it
    // are moved or waiting, so a move marks its slice moved through it.
    std::int64_t last_message_rowid = 0;
    // What background work last failed at (background_problem): moving history, and
    // copying the WAL back into the database.
    std::mutex background_mutex;
    std::string background_error;
    std::string checkpoint_error;

    // ---- WAL checkpoints ----
    // Commits append pages to the WAL; a checkpoint copies them back into the database file
    // and syncs it. SQLite's own runs inside the commit that crosses its threshold, so every
    // few dozen group commits the writer spent milliseconds on one while every request waited
    // behind it. Here a thread of its own copies them while the writer goes on committing.
    // SQLite starts the WAL again from its beginning only when every frame in it has been
    // copied, which a copy running beside a busy writer rarely sees; so once the WAL is long
    // the writer copies the few frames left itself, between two groups, and its next
    // transaction restarts the WAL.
    // The WAL length (frames) that wakes the checkpoint thread; at four times it the writer
    // finishes the copy.
    int checkpoint_frames = 0;
    connection checkpoint_connection;
    std::thread checkpoint_thread;
    std::mutex checkpoint_mutex;
    std::condition_variable checkpoint_wanted;
    bool checkpoint_due = false;
    bool checkpoint_stopping = false;
    // The WAL's length after the writer's last commit (writer thread).
    int wal_frames = 0;
    // The WAL length at which the checkpoint thread is woken next (writer thread): each of
    // its copies takes about checkpoint_frames frames, so pages changed again and again are
    // copied once.
    int next_checkpoint_at = 0;
    std::atomic<std::uint64_t> background_checkpoints{0};
    std::atomic<std::uint64_t> writer_checkpoints{0};

    [[nodiscard]] int restart_frames() const { return checkpoint_frames * 4; }

    /// SQLite's WAL hook: called on the writer thread after each commit with the WAL's length.
    static int on_wal_commit(void* self, sqlite3*, const char*, int frames) {
        auto& s = *static_cast<impl*>(self);
        if (frames < s.wal_frames) { // the WAL started again from its beginning
            s.next_checkpoint_at = s.checkpoint_frames;
        }
        s.wal_frames = frames;
        // Past the restart length the writer finishes the copy; a new background one would
        // only keep it from getting the checkpoint lock.
        if (frames >= s.next_checkpoint_at && frames < s.restart_frames()) {
            s.next_checkpoint_at = frames + s.checkpoint_frames;
            {
                std::lock_guard lock{s.checkpoint_mutex};
                s.checkpoint_due = true;
            }
            s.checkpoint_wanted.notify_one();
        }
        return SQLITE_OK;
    }

    void run_checkpointer() {
        for (;;) {
            {
                std::unique_lock lock{checkpoint_mutex};
                checkpoint_wanted.wait(lock,
                                       [this] { return checkpoint_stopping || checkpoint_due; });
                if (checkpoint_stopping) {
                    return;
                }
                checkpoint_due = false;
            }
            copy_wal_back(checkpoint_connection, background_checkpoints);
        }
    }

    /// One passive checkpoint on `c`: it copies what it can without waiting for anyone. BUSY
    /// (the other thread is copying) is not a failure; the next commit tries again.
    void copy_wal_back(connection& c, std::atomic<std::uint64_t>& count) {
        const int rc =
            sqlite3_wal_checkpoint_v2(c.db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        if (rc == SQLITE_BUSY) {
            return;
        }
        std::lock_guard lock{background_mutex};
        if (rc != SQLITE_OK) {
            checkpoint_error = sqlite_error(c.db(), "checkpoint the WAL");
            return;
        }
        checkpoint_error.clear();
        count.fetch_add(1, std::memory_order_relaxed);
    }

    void stop_checkpointer() {
        {
            std::lock_guard lock{checkpoint_mutex};
            checkpoint_stopping = true;
        }
        checkpoint_wanted.notify_one();
        if (checkpoint_thread.joinable()) {
            checkpoint_thread.join();
        }
    }

    // Accounts that have posted an insight question (or are about to): a reply in any other
    // account cannot answer one, and is not looked up. Only ever grows.
    std::mutex questions_mutex;
    std::unordered_set<std::string> accounts_with_questions;

    void note_question_posted(const std::string& account) {
        std::lock_guard lock{questions_mutex};
        accounts_with_questions.insert(account);
    }

    bool has_posted_questions(const std::string& account) {
        std::lock_guard lock{questions_mutex};
        return accounts_with_questions.contains(account);
    }

    std::mutex readers_mutex;
    std::vector<std::unique_ptr<connection>> idle_readers;
    bool readers_closed = false;

    // ---- writer thread ----

    std::string next_draft_id() {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
        // Monotonic even when the clock steps back or many drafts share a millisecond.
        last_draft_value = std::max(last_draft_value + 1, static_cast<std::uint64_t>(ms) << 12);
        return encode_draft_id(last_draft_value);
    }

    /// Runs a cached write statement after `bind` set its parameters; returns the error.
    template <typename Bind>
    std::string write(const char* sql, std::string_view what, Bind bind) {
        statement s{writer, sql};
        if (!s) {
            return sqlite_error(writer.db(), "prepare " + std::string{what});
        }
        bind(s);
        if (const int rc = s.step(); rc != SQLITE_DONE && rc != SQLITE_ROW) {
            return sqlite_error(writer.db(), what);
        }
        return {};
    }

    /// Reads one integer (`count(*)` and the like); returns the error.
    template <typename Bind>
    std::string read_integer(const char* sql, std::string_view what, Bind bind, std::int64_t& out) {
        statement s{writer, sql};
        if (!s) {
            return sqlite_error(writer.db(), "prepare " + std::string{what});
        }
        bind(s);
        if (s.step() != SQLITE_ROW) {
            return sqlite_error(writer.db(), what);
        }
        out = s.integer(0);
        return {};
    }

    /// The stored JSON of message (account, id), or `null` when there is none.
    std::string message_json_of(std::string_view account, std::string_view id, std::string& out) {
        out = "null";
        if (id.empty()) {
            return {};
        }
        statement s{writer, select_message_json_sql};
        if (!s) {
            return sqlite_error(writer.db(), "prepare select message json");
        }
        s.bind(1, account);
        s.bind(2, id);
        const int rc = s.step();
        if (rc == SQLITE_ROW) {
            out = s.text(0);
        } else if (rc != SQLITE_DONE) {
            return sqlite_error(writer.db(), "select message json");
        }
        return {};
    }

    /// Queues notification `event` about `d` (as it is now, with its message as
    /// `message_json`); `details_json` adds members to the notification body.
    std::string insert_outbox(const char* event,
                              const draft_record& d,
                              std::string_view message_json,
                              rules::time_point at,
                              const std::optional<std::string>& details_json = std::nullopt) {
        std::string draft_json;
        append_json(draft_json, d, message_json);
        return write(insert_outbox_sql, "insert outbox", [&](statement& s) {
            s.bind(1, event);
            s.bind(2, d.id);
            s.bind(3, at);
            s.bind(4, draft_json);
            s.bind(5, details_json);
        });
    }

    /// What the transaction grants an offer draft: a code (when its pool has codes), or why it
    /// must be skipped. Checked here, where writes are serialized, so two messages evaluated
    /// at once cannot both take the last code, the last of the day's budget, or the same
    /// person's one offer of the cooldown.
    std::string plan_offer(const rules::message& m,
                           const new_draft& d,
                           std::optional<std::string>& code,
                           std::optional<std::string>& skip_reason) {
        if (!d.offer || !d.spec.offer) {
            return {};
        }
        const std::string& pool = *d.spec.offer;
        if (d.offer->cooldown) {
            std::int64_t recent = 0;
            if (std::string error = read_integer(
                    recent_offers_sql, "count recent offers",
                    [&](statement& s) {
                        s.bind(1, m.platform);
                        s.bind(2, m.author.id);
                        s.bind(3, d.created_at - *d.offer->cooldown);
                        s.bind(4, pool);
                        s.bind(5, person_slice(m.platform, m.author.id));
                    },
                    recent);
                !error.empty()) {
                return error;
            }
            if (recent > 0) {
                skip_reason = "cooldown";
                return {};
            }
        }
        if (d.offer->per_day) {
            const auto day = std::chrono::floor<std::chrono::days>(d.created_at);
            std::int64_t drafted = 0;
            if (std::string error = read_integer(
                    offers_on_day_sql, "count offers on day",
                    [&](statement& s) {
                        s.bind(1, pool);
                        s.bind(2, rules::time_point{day});
                        s.bind(3, rules::time_point{day + std::chrono::days{1}});
                    },
                    drafted);
                !error.empty()) {
                return error;
            }
            if (drafted >= *d.offer->per_day) {
                skip_reason = "budget";
                return {};
            }
        }
        if (d.offer->uses_codes) {
            statement s{writer, free_code_sql};
            if (!s) {
                return sqlite_error(writer.db(), "prepare free code");
            }
            s.bind(1, pool);
            const int rc = s.step();
            if (rc == SQLITE_ROW) {
                code = s.text(0);
            } else if (rc == SQLITE_DONE) {
                skip_reason = "pool_empty";
            } else {
                return sqlite_error(writer.db(), "free code");
            }
        }
        return {};
    }

    /// Writes one request inside the current transaction; returns the error, empty on success.
    std::string write_one(const ingest_request& r, ingest_texts& texts, ingest_result& result) {
        const rules::message& m = r.message;
        std::string& decision_json = texts.decision;
        const std::string& tags = texts.tags;
        if (std::string error = write(insert_message_sql, "insert message",
                                      [&](statement& s) {
                                          s.bind(1, m.account);
                                          s.bind(2, m.id);
                                          s.bind(3, m.platform);
                                          s.bind(4, rules::to_string(m.kind));
                                          s.bind(5, m.author.id);
                                          s.bind(6, m.created_at);
                                          s.bind(7, r.received_at);
                                          s.bind(8, texts.message);
                                          s.bind(9, decision_json);
                                          s.bind(10, tags);
                                          s.bind(11, r.sla_due_at);
                                          s.bind(12, m.insight);
                                      });
            !error.empty()) {
            return error;
        }
        if (sqlite3_changes(writer.db()) == 0) {
            result.status = ingest_status::duplicate;
            return {};
        }
        const std::int64_t message_rowid = sqlite3_last_insert_rowid(writer.db());
        // An offer the transaction cannot grant is taken out of the stored decision.
        struct planned {
            const new_draft* draft;
            std::optional<std::string> code;
        };
        std::vector<planned> drafts;
        std::optional<rules::decision> adjusted;
        for (const new_draft& d : r.drafts) {
            planned p{&d, std::nullopt};
            std::optional<std::string> skip;
            if (std::string error = plan_offer(m, d, p.code, skip); !error.empty()) {
                return error;
            }
            if (!skip) {
                drafts.push_back(std::move(p));
                continue;
            }
            if (!adjusted) {
                adjusted = r.decision;
            }
            const rules::skipped_offer skipped{d.spec.rule, *skip};
            adjusted->skipped.push_back(skipped);
            result.skipped.push_back(skipped);
            const auto gone = std::find(adjusted->drafts.begin(), adjusted->drafts.end(), d.spec);
            if (gone != adjusted->drafts.end()) {
                adjusted->drafts.erase(gone);
            }
        }
        if (adjusted) {
            decision_json.clear();
            rules::append_json(decision_json, *adjusted);
            if (std::string error = write(update_decision_sql, "update decision",
                                          [&](statement& s) {
                                              s.bind(1, m.account);
                                              s.bind(2, m.id);
                                              s.bind(3, decision_json);
                                          });
                !error.empty()) {
                return error;
            }
        }
        // When the person wrote, so backfilled messages land where they belong in time. The
        // event joins its slice's waiting ones once the group commits (see migration 5).
        group_history.push_back(history_event_row{message_rowid,
                                                  seconds_of(m.created_at.value_or(r.received_at)),
                                                  m.platform, m.author.id, tags});
        for (const planned& p : drafts) {
            const new_draft& d = *p.draft;
            draft_record record;
            record.id = next_draft_id();
            record.kind = d.spec.kind;
            record.account = m.account;
            record.platform = m.platform;
            record.rule = d.spec.rule;
            record.team = d.spec.team;
            record.priority = d.spec.priority;
            record.is_private = d.spec.is_private;
            record.too_long = d.spec.too_long;
            record.text = d.spec.text;
            if (p.code) {
                record.text = replace_all(record.text, "{{offer.code}}", *p.code);
            }
            record.original_text = record.text;
            record.in_reply_to = m.id;
            record.created_at = d.created_at;
            record.sla_due_at = d.sla_due_at;
            record.expires_at = d.expires_at;
            record.offer = d.spec.offer;
            if (std::string error = insert_draft(record); !error.empty()) {
                return error;
            }
            if (p.code) {
                if (std::string error = write(reserve_code_sql, "reserve code",
                                              [&](statement& s) {
                                                  s.bind(1, *d.spec.offer);
                                                  s.bind(2, *p.code);
                                                  s.bind(3, record.id);
                                              });
                    !error.empty()) {
                    return error;
                }
            }
            if (d.spec.offer) {
                // The person's history counts the offer from now on (cooldowns), until a
                // person rejects it or it expires.
                if (std::string error = write(insert_offer_event_sql, "insert offer event",
                                              [&](statement& s) {
                                                  s.bind(1, person_slice(m.platform, m.author.id));
                                                  s.bind(2, m.platform);
                                                  s.bind(3, m.author.id);
                                                  s.bind(4, d.created_at);
                                                  s.bind(5, *d.spec.offer);
                                                  s.bind(6, record.id);
                                              });
                    !error.empty()) {
                    return error;
                }
            }
            if (std::string error =
                    insert_outbox("draft.created", record, texts.message, d.created_at);
                !error.empty()) {
                return error;
            }
            result.draft_ids.push_back(record.id);
        }
        result.status = ingest_status::stored;
        return {};
    }

    /// Inserts a new draft (version 1, pending unless `d.state` says otherwise).
    std::string insert_draft(const draft_record& d) {
        return write(insert_draft_sql.c_str(), "insert draft", [&](statement& s) {
            s.bind(1, d.id);
            s.bind(2, std::int64_t{d.version});
            s.bind(3, to_string(d.state));
            s.bind(4, rules::to_string(d.kind));
            s.bind(5, d.account);
            s.bind(6, d.platform);
            s.bind(7, d.rule);
            s.bind(8, d.team);
            s.bind(9, rules::to_string(d.priority));
            s.bind(10, d.is_private);
            s.bind(11, d.too_long);
            s.bind(12, d.text);
            s.bind(13, d.original_text);
            if (!d.in_reply_to.empty()) {
                s.bind(14, d.in_reply_to);
            }
            s.bind(15, d.created_at);
            s.bind(16, d.sla_due_at);
            s.bind(17, d.expires_at);
            // 18-24 (decided_by ... last_error) stay NULL; attempts is 0.
            s.bind(23, std::int64_t{0});
            s.bind(25, d.offer);
            s.bind(27, d.insight);
        });
    }

    /// Writes the group in one transaction. A job that fails is undone alone and the others
    /// commit; that takes a savepoint around each job, which the one writer thread would pay
    /// for every request (SQLite saves each page a job first changes), while jobs almost never
    /// fail. So the group is written without them, and only when a job fails is the whole
    /// transaction rolled back and the group written again with one savepoint per job. A
    /// job's write starts from an empty result, so writing it twice is writing it once.
    void write_group(std::vector<job>& group, std::vector<std::string>& errors) {
        if (!write_group_once(group, errors, false)) {
            write_group_once(group, errors, true);
        }
    }

    /// One try of write_group; false when a job failed without savepoints (nothing was kept).
    bool write_group_once(std::vector<job>& group,
                          std::vector<std::string>& errors,
                          bool savepoints) {
        errors.assign(group.size(), std::string{});
        group_history.clear();
        if (std::string error = writer.run("BEGIN IMMEDIATE"); !error.empty()) {
            for (auto& e : errors) {
                e = "begin: " + error;
            }
            return true;
        }
        for (std::size_t i = 0; i < group.size(); ++i) {
            const std::size_t history_before = group_history.size();
            std::string error = savepoints ? writer.run("SAVEPOINT request") : std::string{};
            if (error.empty()) {
                error = group[i].write(*this);
                if (!error.empty() && !savepoints) {
                    // Also when SQLite has rolled back already (a full disk, an I/O error).
                    writer.exec("ROLLBACK");
                    return false;
                }
                if (savepoints) {
                    if (!error.empty()) {
                        writer.run("ROLLBACK TO request");
                        group_history.resize(history_before);
                    }
                    writer.run("RELEASE request");
                }
            }
            errors[i] = std::move(error);
        }
        if (std::string error = writer.run("COMMIT"); !error.empty()) {
            writer.exec("ROLLBACK");
            for (auto& e : errors) {
                e = "commit: " + error;
            }
            return true;
        }
        commits.fetch_add(1, std::memory_order_relaxed);
        if (!group_history.empty()) {
            last_message_rowid = group_history.back().message_rowid;
            std::lock_guard lock{history_mutex};
            for (history_event_row& e : group_history) {
                unmoved[static_cast<std::size_t>(person_slice(e.platform, e.author_id))].push_back(
                    std::move(e));
            }
        }
        return true;
    }

    /// Moves the waiting history events of every slice that has a batch of them into
    /// person_events (all slices when `everything`). A move that fails leaves its events
    /// waiting and is tried again when another batch has arrived. Returns the first error,
    /// empty when every move worked, nullopt when there was nothing to move.
    std::optional<std::string> move_history(bool everything) {
        std::optional<std::string> first_error;
        for (std::size_t slice = 0; slice < history_slices; ++slice) {
            const std::size_t waiting = unmoved[slice].size();
            if (waiting == 0 ||
                (!everything && waiting < std::max(history_batch, next_move_at[slice]))) {
                continue;
            }
            std::string error = move_slice(slice);
            if (!error.empty()) {
                next_move_at[slice] = waiting + history_batch;
            }
            if (!first_error || first_error->empty()) {
                first_error = std::move(error);
            }
        }
        return first_error;
    }

    /// One transaction: the waiting events of `slice` in index order, and how far they go.
    std::string move_slice(std::size_t slice) {
        // Only this thread changes the vector, so it can be read without the lock.
        const std::vector<history_event_row>& waiting = unmoved[slice];
        std::vector<const history_event_row*> in_order;
        in_order.reserve(waiting.size());
        for (const history_event_row& e : waiting) {
            in_order.push_back(&e);
        }
        std::sort(in_order.begin(), in_order.end(), [](const auto* a, const auto* b) {
            return std::tie(a->platform, a->author_id, a->at, a->message_rowid) <
                   std::tie(b->platform, b->author_id, b->at, b->message_rowid);
        });
        std::string error = writer.run("BEGIN IMMEDIATE");
        for (std::size_t i = 0; error.empty() && i < in_order.size(); ++i) {
            const history_event_row& e = *in_order[i];
            error = write(insert_person_event_sql, "move history", [&](statement& s) {
                s.bind(1, static_cast<std::int64_t>(slice));
                s.bind(2, e.platform);
                s.bind(3, e.author_id);
                s.bind(4, e.at);
                s.bind(5, e.tags);
            });
        }
        if (error.empty()) {
            error = write(set_history_moved_sql, "move history", [&](statement& s) {
                s.bind(1, static_cast<std::int64_t>(slice));
                s.bind(2, last_message_rowid);
            });
        }
        if (error.empty()) {
            error = writer.run("COMMIT");
        }
        if (!error.empty()) {
            writer.exec("ROLLBACK");
            return "move history of slice " + std::to_string(slice) + ": " + error;
        }
        std::lock_guard lock{history_mutex};
        unmoved[slice].clear();
        next_move_at[slice] = 0;
        return {};
    }

    void run_writer() {
        std::vector<job> group;
        std::vector<std::string> errors;
        for (;;) {
            {
                std::unique_lock lock{queue_mutex};
                queue_ready.wait(lock, [this] { return stopping || !queue.empty(); });
                if (queue.empty()) {
                    return; // stopping, and everything queued has been written
                }
                const std::size_t n = std::min(queue.size(), max_group);
                group.clear();
                for (std::size_t i = 0; i < n; ++i) {
                    group.push_back(std::move(queue.front()));
                    queue.pop_front();
                }
            }
            write_group(group, errors);
            for (std::size_t i = 0; i < group.size(); ++i) {
                group[i].done(errors[i]);
            }
            // After the replies: the requests of this group do not wait for a move. A move
            // that fails leaves its events waiting, where reads still find them, and is tried
            // again after another batch.
            if (auto outcome = move_history(false)) {
                std::lock_guard lock{background_mutex};
                background_error = std::move(*outcome);
            }
            // Once everything is copied, the next commit restarts the WAL; its hook sees it.
            if (wal_frames >= restart_frames()) {
                copy_wal_back(writer, writer_checkpoints);
            }
        }
    }

    /// Queues `write(self, result)` for the next group commit and calls `done(result)` after
    /// it; `failed(error)` makes the result when the write, the commit or a closed store fails.
    template <typename Result, typename Write, typename Failed>
    void submit(Write write, Failed failed, std::function<void(Result)> done) {
        auto result = std::make_shared<Result>();
        job j;
        j.write = [write = std::move(write), result](impl& self) mutable {
            *result = Result{}; // a group written again writes each job again
            return write(self, *result);
        };
        j.done = [result, failed, done](const std::string& error) {
            if (!error.empty()) {
                *result = failed(error);
            }
            done(std::move(*result));
        };
        if (!enqueue(std::move(j))) {
            done(failed("store is closed"));
        }
    }

    /// Queues `j`; false when the store is closed.
    bool enqueue(job j) {
        std::lock_guard lock{queue_mutex};
        if (stopping) {
            return false;
        }
        queue.push_back(std::move(j));
        queue_ready.notify_one();
        return true;
    }

    /// The draft `id` as it is inside the current transaction (nullopt: there is none).
    /// Returns the error, empty on success.
    std::string read_draft_for_update(std::string_view id, std::optional<draft_record>& out) {
        statement s{writer, select_draft_sql.c_str()};
        if (!s) {
            return sqlite_error(writer.db(), "prepare select draft");
        }
        s.bind(1, id);
        const int rc = s.step();
        if (rc == SQLITE_ROW) {
            out = read_draft(s);
        } else if (rc != SQLITE_DONE) {
            return sqlite_error(writer.db(), "select draft");
        }
        return {};
    }

    /// Writes `after` over the draft `before` was, with the audit entry (`actor` did
    /// `action`) and, unless `event` is null, the outbox event for notifications. Every change
    /// of a draft after its creation goes through here. Returns the error, empty on success.
    std::string write_change(const draft_record& before,
                             const draft_record& after,
                             std::string_view actor,
                             std::string_view action,
                             rules::time_point at,
                             const char* event) {
        if (after.kind == rules::draft_kind::insight_question && after.sent_id) {
            // Before the commit that makes it readable; a rollback leaves a harmless extra.
            note_question_posted(after.account);
        }
        {
            statement s{writer, update_draft_sql};
            if (!s) {
                return sqlite_error(writer.db(), "prepare update draft");
            }
            s.bind(1, after.id);
            s.bind(2, std::int64_t{after.version});
            s.bind(3, to_string(after.state));
            s.bind(4, after.text);
            s.bind(5, after.decided_by);
            s.bind(6, after.decided_at);
            s.bind(7, after.note);
            s.bind(8, after.sent_id);
            s.bind(9, after.sent_at);
            s.bind(10, std::int64_t{after.attempts});
            s.bind(11, after.last_error);
            s.bind(12, after.next_attempt_at);
            if (s.step() != SQLITE_DONE) {
                return sqlite_error(writer.db(), "update draft");
            }
        }
        {
            statement s{writer, insert_audit_sql};
            if (!s) {
                return sqlite_error(writer.db(), "prepare insert audit");
            }
            s.bind(1, after.id);
            s.bind(2, at);
            s.bind(3, actor);
            s.bind(4, action);
            s.bind(5, audit_json(before));
            s.bind(6, audit_json(after));
            if (s.step() != SQLITE_DONE) {
                return sqlite_error(writer.db(), "insert audit");
            }
        }
        if (after.offer && after.state != before.state) {
            if (std::string error = settle_offer(after); !error.empty()) {
                return error;
            }
        }
        if (event != nullptr) {
            std::string message_json;
            if (std::string error = message_json_of(after.account, after.in_reply_to, message_json);
                !error.empty()) {
                return error;
            }
            if (std::string error = insert_outbox(event, after, message_json, at); !error.empty()) {
                return error;
            }
        }
        return {};
    }

    /// An offer's code and its place in the person's history follow the draft: used once it
    /// is sent; given back when nobody will send it (rejected, expired, failed).
    std::string settle_offer(const draft_record& d) {
        const auto by_draft = [&](statement& s) { s.bind(1, d.id); };
        switch (d.state) {
            case draft_state::sent:
                return write(use_code_sql, "use code", by_draft);
            case draft_state::rejected:
            case draft_state::expired:
            case draft_state::failed:
                if (std::string error = write(release_code_sql, "release code", by_draft);
                    !error.empty()) {
                    return error;
                }
                return write(delete_offer_event_sql, "forget offer event", by_draft);
            default:
                return {};
        }
    }

    /// Applies one decision inside the current transaction; returns the error.
    std::string decide_one(const decide_request& r, decide_result& out) {
        if (r.signature) {
            if (std::string error = write(forget_signatures_sql, "forget signatures",
                                          [&](statement& s) { s.bind(1, r.at); });
                !error.empty()) {
                return error;
            }
            if (std::string error = write(insert_signature_sql, "remember signature",
                                          [&](statement& s) {
                                              s.bind(1, *r.signature);
                                              s.bind(2, r.signature_expires_at);
                                          });
                !error.empty()) {
                return error;
            }
            if (sqlite3_changes(writer.db()) == 0) {
                out.status = decide_status::replay;
                out.error = "this signature was used before";
                return {};
            }
        }
        std::optional<draft_record> found;
        if (std::string error = read_draft_for_update(r.draft_id, found); !error.empty()) {
            return error;
        }
        if (!found) {
            out.status = decide_status::not_found;
            return {};
        }
        const draft_record& before = *found;
        out.draft = before;
        const auto conflict = [&](std::string why) {
            out.status = decide_status::conflict;
            out.error = std::move(why);
            return std::string{};
        };
        if (r.version && *r.version != before.version) {
            return conflict("the draft is at version " + std::to_string(before.version) + ", not " +
                            std::to_string(*r.version) + ": it changed since");
        }
        const bool open =
            before.state == draft_state::pending || before.state == draft_state::needs_review;
        draft_record after = before;
        if (r.what == decide_request::action::approve) {
            const bool approved = before.state == draft_state::approved ||
                                  before.state == draft_state::sending ||
                                  before.state == draft_state::sent;
            if (approved) {
                if (!r.text || *r.text == before.text) {
                    out.status = decide_status::unchanged;
                    return {};
                }
                return conflict("the draft was already approved with another text");
            }
            if (!open) {
                return conflict("the draft is " + std::string(to_string(before.state)) +
                                ", so it cannot be approved");
            }
            after.state = draft_state::approved;
            // A draft approved again after review is due at once.
            after.next_attempt_at.reset();
            if (r.text) {
                after.text = *r.text;
            }
        } else {
            if (before.state == draft_state::rejected) {
                out.status = decide_status::unchanged;
                return {};
            }
            if (!open) {
                return conflict("the draft is " + std::string(to_string(before.state)) +
                                ", so it cannot be rejected");
            }
            after.state = draft_state::rejected;
        }
        after.version = before.version + 1;
        after.decided_by = r.approver;
        after.decided_at = r.at;
        after.note = r.note;
        const bool approve = r.what == decide_request::action::approve;
        if (std::string error =
                write_change(before, after, r.approver, approve ? "approve" : "reject", r.at,
                             approve ? "draft.approved" : "draft.rejected");
            !error.empty()) {
            return error;
        }
        out.status = decide_status::changed;
        out.draft = std::move(after);
        return {};
    }

    /// The dispatcher's changes share this shape: the draft must be in `expected`, else a
    /// conflict; `change` edits the copy that is written.
    template <typename Change>
    std::string dispatch_change(std::string_view id,
                                draft_state expected,
                                std::string_view action,
                                rules::time_point at,
                                const char* event,
                                decide_result& out,
                                Change change) {
        std::optional<draft_record> found;
        if (std::string error = read_draft_for_update(id, found); !error.empty()) {
            return error;
        }
        if (!found) {
            out.status = decide_status::not_found;
            return {};
        }
        out.draft = found;
        if (found->state != expected) {
            out.status = decide_status::conflict;
            out.error = "the draft is " + std::string(to_string(found->state)) + ", not " +
                        std::string(to_string(expected));
            return {};
        }
        draft_record after = *found;
        change(after);
        after.version = found->version + 1;
        if (std::string error = write_change(*found, after, dispatcher_actor, action, at, event);
            !error.empty()) {
            return error;
        }
        out.status = decide_status::changed;
        out.draft = std::move(after);
        return {};
    }

    std::string begin_send_one(std::string_view id, rules::time_point at, decide_result& out) {
        return dispatch_change(id, draft_state::approved, "send", at, nullptr, out,
                               [](draft_record& d) {
                                   d.state = draft_state::sending;
                                   d.attempts += 1;
                                   d.next_attempt_at.reset();
                               });
    }

    std::string finish_send_one(const send_outcome& o, decide_result& out) {
        using result = send_outcome::result;
        const char* event = nullptr;
        std::string_view action;
        draft_state next = draft_state::failed;
        switch (o.what) {
            case result::sent:
                next = draft_state::sent;
                action = "sent";
                event = "draft.sent";
                break;
            case result::retry:
                next = draft_state::approved;
                action = "retry";
                break;
            case result::failed:
                next = draft_state::failed;
                action = "fail";
                event = "draft.failed";
                break;
            case result::needs_review:
                next = draft_state::needs_review;
                action = "needs_review";
                event = "draft.needs_review";
                break;
        }
        if (std::string error = dispatch_change(
                o.draft_id, draft_state::sending, action, o.at, event, out,
                [&](draft_record& d) {
                    d.state = next;
                    if (o.what == result::sent) {
                        d.sent_id = o.sent_id;
                        d.sent_at = o.at;
                        d.last_error.reset();
                    } else {
                        d.last_error = o.error;
                    }
                    d.next_attempt_at = o.what == result::retry ? o.retry_at : std::nullopt;
                });
            !error.empty()) {
            return error;
        }
        if (o.what == result::sent && out.status == decide_status::changed &&
            !out.draft->in_reply_to.empty()) {
            statement s{writer, answer_message_sql};
            if (!s) {
                return sqlite_error(writer.db(), "prepare answer message");
            }
            s.bind(1, out.draft->account);
            s.bind(2, out.draft->in_reply_to);
            s.bind(3, o.at);
            const int rc = s.step();
            if (rc == SQLITE_ROW) {
                out.first_response = o.at - time_of(s.integer(0));
            } else if (rc != SQLITE_DONE) {
                return sqlite_error(writer.db(), "answer message");
            }
        }
        return {};
    }

    std::string recover_sends(const std::vector<std::string>& idempotent_accounts,
                              rules::time_point at,
                              std::vector<draft_record>& changed) {
        std::vector<draft_record> interrupted;
        {
            statement s{writer, select_sending_sql.c_str()};
            if (!s) {
                return sqlite_error(writer.db(), "prepare select sending drafts");
            }
            int rc = SQLITE_ROW;
            while ((rc = s.step()) == SQLITE_ROW) {
                interrupted.push_back(read_draft(s));
            }
            if (rc != SQLITE_DONE) {
                return sqlite_error(writer.db(), "select sending drafts");
            }
        }
        for (const draft_record& d : interrupted) {
            const bool idempotent =
                std::find(idempotent_accounts.begin(), idempotent_accounts.end(), d.account) !=
                idempotent_accounts.end();
            send_outcome o;
            o.draft_id = d.id;
            o.at = at;
            if (idempotent) {
                o.what = send_outcome::result::retry;
                o.error = "interrupted by a restart; the receiver deduplicates, so it is retried";
                o.retry_at = at;
            } else {
                o.what = send_outcome::result::needs_review;
                o.error =
                    "interrupted by a restart while sending: it may or may not have been "
                    "delivered, so a person must approve it again or reject it";
            }
            decide_result out;
            if (std::string error = finish_send_one(o, out); !error.empty()) {
                return error;
            }
            if (out.draft) {
                changed.push_back(std::move(*out.draft));
            }
        }
        return {};
    }

    std::string expire(rules::time_point now, int limit, std::vector<draft_record>& changed) {
        std::vector<draft_record> lapsed;
        {
            statement s{writer, expiring_drafts_sql.c_str()};
            if (!s) {
                return sqlite_error(writer.db(), "prepare expiring drafts");
            }
            s.bind(1, now);
            s.bind(2, std::int64_t{std::max(limit, 1)});
            int rc = SQLITE_ROW;
            while ((rc = s.step()) == SQLITE_ROW) {
                lapsed.push_back(read_draft(s));
            }
            if (rc != SQLITE_DONE) {
                return sqlite_error(writer.db(), "expiring drafts");
            }
        }
        for (const draft_record& before : lapsed) {
            draft_record after = before;
            after.state = draft_state::expired;
            after.version = before.version + 1;
            if (std::string error =
                    write_change(before, after, dispatcher_actor, "expire", now, "draft.expired");
                !error.empty()) {
                return error;
            }
            changed.push_back(std::move(after));
        }
        return {};
    }

    std::string breach(rules::time_point now, int limit, std::vector<sla_breach>& found) {
        {
            statement s{writer, open_slas_sql};
            if (!s) {
                return sqlite_error(writer.db(), "prepare open slas");
            }
            s.bind(1, now);
            s.bind(2, std::int64_t{std::max(limit, 1)});
            int rc = SQLITE_ROW;
            while ((rc = s.step()) == SQLITE_ROW) {
                sla_breach b;
                b.account = s.text(0);
                b.message_id = s.text(1);
                b.due_at = time_of(s.integer(2));
                b.late = now - b.due_at;
                found.push_back(std::move(b));
            }
            if (rc != SQLITE_DONE) {
                return sqlite_error(writer.db(), "open slas");
            }
        }
        for (sla_breach& b : found) {
            if (std::string error = write(mark_breached_sql, "mark sla breached",
                                          [&](statement& s) {
                                              s.bind(1, b.account);
                                              s.bind(2, b.message_id);
                                              s.bind(3, now);
                                          });
                !error.empty()) {
                return error;
            }
            {
                statement s{writer, sla_draft_sql.c_str()};
                if (!s) {
                    return sqlite_error(writer.db(), "prepare sla draft");
                }
                s.bind(1, b.account);
                s.bind(2, b.message_id);
                const int rc = s.step();
                if (rc == SQLITE_ROW) {
                    b.draft = read_draft(s);
                } else if (rc != SQLITE_DONE) {
                    return sqlite_error(writer.db(), "sla draft");
                }
            }
            std::string message_json;
            if (std::string error = message_json_of(b.account, b.message_id, message_json);
                !error.empty()) {
                return error;
            }
            std::string details = "{\"message\":" + message_json + ",\"sla_due_at\":";
            rules::append_json_string(details, rules::format_timestamp(b.due_at));
            details += ",\"late_seconds\":" + std::to_string(b.late.count()) + "}";
            // Without a draft (a rule set an SLA but drafted nothing) the event still names
            // the message in its details.
            std::string draft_json = "null";
            if (b.draft) {
                draft_json.clear();
                append_json(draft_json, *b.draft, message_json);
            }
            if (std::string error = write(insert_outbox_sql, "insert outbox",
                                          [&](statement& s) {
                                              s.bind(1, "sla.breached");
                                              if (b.draft) {
                                                  s.bind(2, b.draft->id);
                                              }
                                              s.bind(3, now);
                                              s.bind(4, draft_json);
                                              s.bind(5, details);
                                          });
                !error.empty()) {
                return error;
            }
        }
        return {};
    }

    std::string fire(const insight_firing& f, std::vector<draft_record>& created) {
        {
            statement s{writer, get_cursor_sql};
            if (!s) {
                return sqlite_error(writer.db(), "prepare get cursor");
            }
            s.bind(1, "insight");
            s.bind(2, f.insight);
            const int rc = s.step();
            if (rc == SQLITE_ROW) {
                const auto last = parse_whole_number(s.text(0));
                if (last && *last >= seconds_of(f.slot)) {
                    return {}; // this slot (or a later one) was asked already
                }
            } else if (rc != SQLITE_DONE) {
                return sqlite_error(writer.db(), "get cursor");
            }
        }
        for (draft_record d : f.drafts) {
            d.id = next_draft_id();
            d.version = 1;
            d.state = draft_state::pending;
            d.insight = f.insight;
            d.in_reply_to.clear();
            if (std::string error = insert_draft(d); !error.empty()) {
                return error;
            }
            if (std::string error = insert_outbox("draft.created", d, "null", d.created_at);
                !error.empty()) {
                return error;
            }
            created.push_back(std::move(d));
        }
        return write(put_cursor_sql, "put cursor", [&](statement& s) {
            s.bind(1, "insight");
            s.bind(2, f.insight);
            s.bind(3, std::to_string(seconds_of(f.slot)));
        });
    }

    std::string pause(bool paused, const std::string& actor, rules::time_point at) {
        if (std::string error = write(put_setting_sql, "put setting",
                                      [&](statement& s) {
                                          s.bind(1, "paused");
                                          s.bind(2, paused ? "true" : "false");
                                      });
            !error.empty()) {
            return error;
        }
        return write(insert_audit_sql, "insert audit", [&](statement& s) {
            s.bind(1, "");
            s.bind(2, at);
            s.bind(3, actor);
            s.bind(4, paused ? "pause" : "resume");
        });
    }

    /// After a crash, the history events that waited in memory: those of the messages
    /// stored after their slice was last moved. Before the writer thread starts.
    std::string load_unmoved_history() {
        std::array<std::int64_t, history_slices> through{};
        {
            statement s{writer, all_history_moved_sql};
            if (!s) {
                return sqlite_error(writer.db(), "prepare read history_moved");
            }
            int rc = SQLITE_ROW;
            while ((rc = s.step()) == SQLITE_ROW) {
                const auto slice = static_cast<std::size_t>(s.integer(0));
                if (slice < history_slices) {
                    through[slice] = s.integer(1);
                }
            }
            if (rc != SQLITE_DONE) {
                return sqlite_error(writer.db(), "read history_moved");
            }
        }
        statement s{writer, unmoved_messages_sql};
        if (!s) {
            return sqlite_error(writer.db(), "prepare read unmoved history");
        }
        last_message_rowid = *std::min_element(through.begin(), through.end());
        s.bind(1, last_message_rowid);
        int rc = SQLITE_ROW;
        while ((rc = s.step()) == SQLITE_ROW) {
            history_event_row e{s.integer(0), s.integer(3), s.text(1), s.text(2), s.text(4)};
            last_message_rowid = e.message_rowid;
            const auto slice = static_cast<std::size_t>(person_slice(e.platform, e.author_id));
            if (e.message_rowid > through[slice]) {
                unmoved[slice].push_back(std::move(e));
            }
        }
        return rc == SQLITE_DONE ? std::string{}
                                 : sqlite_error(writer.db(), "read unmoved history");
    }

    // ---- readers ----

    /// A reader connection for this thread, or nullptr with `error` set.
    std::unique_ptr<connection> acquire_reader(std::string& error) {
        {
            std::lock_guard lock{readers_mutex};
            if (readers_closed) {
                error = "store is closed";
                return nullptr;
            }
            if (!idle_readers.empty()) {
                auto c = std::move(idle_readers.back());
                idle_readers.pop_back();
                return c;
            }
        }
        auto c = std::make_unique<connection>();
        if (error = c->open(path, false); !error.empty()) {
            return nullptr;
        }
        return c;
    }

    void release_reader(std::unique_ptr<connection> c) {
        std::lock_guard lock{readers_mutex};
        if (!readers_closed && idle_readers.size() < max_idle_readers) {
            idle_readers.push_back(std::move(c));
        }
    }

    /// Runs `read(connection&, T&) -> error` on a pooled reader connection.
    template <typename T, typename Read>
    store_result<T> with_reader(Read read) {
        store_result<T> result;
        auto c = acquire_reader(result.error);
        if (c) {
            result.error = read(*c, result.value);
            release_reader(std::move(c));
        }
        if (!result.error.empty()) {
            result.value = T{};
        }
        return result;
    }
};

int sqlite_store::schema_version() {
    return static_cast<int>(migrations.size());
}

std::int64_t sqlite_store::history_slice_for_test(std::string_view platform,
                                                  std::string_view author_id) {
    return person_slice(platform, author_id);
}

std::string sqlite_store::create_at_version_for_test(const std::filesystem::path& path,
                                                     int version) {
    connection c;
    if (std::string error = c.open(path.string(), true); !error.empty()) {
        return error;
    }
    for (int v = 0; v < version && v < schema_version(); ++v) {
        if (std::string error = c.exec(migrations[static_cast<std::size_t>(v)]); !error.empty()) {
            return error;
        }
    }
    return c.exec(("PRAGMA user_version = " + std::to_string(version)).c_str());
}

sqlite_open_result sqlite_store::open(const std::filesystem::path& path,
                                      std::size_t history_batch,
                                      int checkpoint_frames) {
    turn_off_memory_statistics();
    auto state = std::make_unique<impl>();
    state->path = path.string();
    state->history_batch = std::max<std::size_t>(history_batch, 1);
    connection& c = state->writer;
    if (std::string error = c.open(state->path, true); !error.empty()) {
        return {nullptr, error};
    }
    // Outside any transaction, as SQLite requires; the mode is stored in the file.
    if (std::string error = c.exec("PRAGMA journal_mode = WAL"); !error.empty()) {
        return {nullptr, "journal_mode=WAL: " + error};
    }
    int version = 0;
    {
        statement s{c, "PRAGMA user_version"};
        if (!s || s.step() != SQLITE_ROW) {
            return {nullptr, sqlite_error(c.db(), "read schema version")};
        }
        version = static_cast<int>(s.integer(0));
    }
    if (version > schema_version()) {
        return {nullptr, "database " + state->path + " has schema version " +
                             std::to_string(version) + ", newer than this program's " +
                             std::to_string(schema_version()) + ": use a newer rapportd"};
    }
    // A migration that copies a table drops the old one, which SQLite would otherwise check
    // against every row that references it; the check runs once at the end instead.
    // (The PRAGMA has no effect inside a transaction, so it is set around them.)
    c.exec("PRAGMA foreign_keys = OFF");
    for (int v = version; v < schema_version(); ++v) {
        const std::string bump = "PRAGMA user_version = " + std::to_string(v + 1);
        std::string error = c.exec("BEGIN IMMEDIATE");
        if (error.empty()) {
            error = c.exec(migrations[static_cast<std::size_t>(v)]);
        }
        if (error.empty()) {
            error = foreign_key_problems(c);
        }
        if (error.empty()) {
            error = c.exec(bump.c_str()); // in the same transaction as the migration
        }
        if (error.empty()) {
            error = c.exec("COMMIT");
        }
        if (!error.empty()) {
            c.exec("ROLLBACK");
            return {nullptr, "migration to schema version " + std::to_string(v + 1) + ": " + error};
        }
    }
    if (std::string error = c.exec("PRAGMA foreign_keys = ON"); !error.empty()) {
        return {nullptr, "foreign_keys: " + error};
    }
    {
        // Ids must keep growing across restarts even if the clock went back meanwhile.
        statement s{c, "SELECT max(id) FROM drafts"};
        if (!s || s.step() != SQLITE_ROW) {
            return {nullptr, sqlite_error(c.db(), "read last draft id")};
        }
        if (!s.is_null(0)) {
            state->last_draft_value = decode_draft_id(s.text(0)).value_or(0);
        }
    }
    {
        statement s{c, accounts_with_questions_sql};
        int rc = SQLITE_ROW;
        while (s && (rc = s.step()) == SQLITE_ROW) {
            state->accounts_with_questions.insert(s.text(0));
        }
        if (!s || rc != SQLITE_DONE) {
            return {nullptr, sqlite_error(c.db(), "read accounts with insight questions")};
        }
    }
    if (std::string error = state->load_unmoved_history(); !error.empty()) {
        return {nullptr, error};
    }
    if (std::string error = state->checkpoint_connection.open(state->path, true); !error.empty()) {
        return {nullptr, error};
    }
    impl* raw = state.get();
    state->checkpoint_frames = std::max(checkpoint_frames, 1);
    state->next_checkpoint_at = state->checkpoint_frames;
    // Replaces SQLite's automatic checkpoint, which is a WAL hook too.
    sqlite3_wal_hook(c.db(), &impl::on_wal_commit, raw);
    // Named for top -H and gdb (15 characters at most); the names are best effort.
    state->checkpoint_thread = std::thread{[raw] {
        pthread_setname_np(pthread_self(), "wal-checkpoint");
        raw->run_checkpointer();
    }};
    state->writer_thread = std::thread{[raw] {
        pthread_setname_np(pthread_self(), "store-writer");
        raw->run_writer();
    }};
    return {std::unique_ptr<sqlite_store>{new sqlite_store{std::move(state)}}, {}};
}

sqlite_store::sqlite_store(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

sqlite_store::~sqlite_store() {
    close();
}

void sqlite_store::ingest(ingest_request request, std::function<void(ingest_result)> done) {
    // Written out here, on the caller's thread: every request waits for the one writer thread,
    // so what can be done before it is done before it.
    ingest_texts texts;
    rules::append_json(texts.message, request.message);
    rules::append_json(texts.decision, request.decision);
    texts.tags = tags_json(request.decision.tags);
    impl_->submit<ingest_result>(
        [request = std::move(request), texts = std::move(texts)](
            impl& self, ingest_result& out) mutable { return self.write_one(request, texts, out); },
        [](const std::string& error) {
            return ingest_result{ingest_status::failed, error, {}, {}};
        },
        std::move(done));
}

void sqlite_store::decide(decide_request request, std::function<void(decide_result)> done) {
    impl_->submit<decide_result>(
        [request = std::move(request)](impl& self, decide_result& out) {
            return self.decide_one(request, out);
        },
        [](const std::string& error) {
            return decide_result{decide_status::failed, error, std::nullopt, std::nullopt};
        },
        std::move(done));
}

void sqlite_store::begin_send(std::string draft_id,
                              rules::time_point at,
                              std::function<void(decide_result)> done) {
    impl_->submit<decide_result>(
        [id = std::move(draft_id), at](impl& self, decide_result& out) {
            return self.begin_send_one(id, at, out);
        },
        [](const std::string& error) {
            return decide_result{decide_status::failed, error, std::nullopt, std::nullopt};
        },
        std::move(done));
}

void sqlite_store::finish_send(send_outcome outcome, std::function<void(decide_result)> done) {
    impl_->submit<decide_result>(
        [outcome = std::move(outcome)](impl& self, decide_result& out) {
            return self.finish_send_one(outcome, out);
        },
        [](const std::string& error) {
            return decide_result{decide_status::failed, error, std::nullopt, std::nullopt};
        },
        std::move(done));
}

void sqlite_store::recover_interrupted_sends(
    std::vector<std::string> idempotent_accounts,
    rules::time_point at,
    std::function<void(store_result<std::vector<draft_record>>)> done) {
    using result = store_result<std::vector<draft_record>>;
    impl_->submit<result>(
        [accounts = std::move(idempotent_accounts), at](impl& self, result& out) {
            return self.recover_sends(accounts, at, out.value);
        },
        [](const std::string& error) {
            return result{{}, error};
        },
        std::move(done));
}

void sqlite_store::expire_drafts(
    rules::time_point now,
    int limit,
    std::function<void(store_result<std::vector<draft_record>>)> done) {
    using result = store_result<std::vector<draft_record>>;
    impl_->submit<result>(
        [now, limit](impl& self, result& out) { return self.expire(now, limit, out.value); },
        [](const std::string& error) {
            return result{{}, error};
        },
        std::move(done));
}

void sqlite_store::breach_slas(rules::time_point now,
                               int limit,
                               std::function<void(store_result<std::vector<sla_breach>>)> done) {
    using result = store_result<std::vector<sla_breach>>;
    impl_->submit<result>(
        [now, limit](impl& self, result& out) { return self.breach(now, limit, out.value); },
        [](const std::string& error) {
            return result{{}, error};
        },
        std::move(done));
}

void sqlite_store::prune_outbox(std::int64_t seq, std::function<void(std::string)> done) {
    impl_->submit<std::string>(
        [seq](impl& self, std::string&) {
            return self.write(prune_outbox_sql, "prune outbox",
                              [seq](statement& s) { s.bind(1, seq); });
        },
        [](const std::string& error) { return error; }, std::move(done));
}

void sqlite_store::put_cursor(std::string owner,
                              std::string key,
                              std::string value,
                              std::function<void(std::string)> done) {
    impl_->submit<std::string>(
        [owner = std::move(owner), key = std::move(key), value = std::move(value)](impl& self,
                                                                                   std::string&) {
            return self.write(put_cursor_sql, "put cursor", [&](statement& s) {
                s.bind(1, owner);
                s.bind(2, key);
                s.bind(3, value);
            });
        },
        [](const std::string& error) { return error; }, std::move(done));
}

void sqlite_store::set_paused(bool paused,
                              std::string actor,
                              rules::time_point at,
                              std::function<void(std::string)> done) {
    impl_->submit<std::string>(
        [paused, actor = std::move(actor), at](impl& self, std::string&) {
            return self.pause(paused, actor, at);
        },
        [](const std::string& error) { return error; }, std::move(done));
}

void sqlite_store::add_offer_codes(std::string pool,
                                   std::vector<std::string> codes,
                                   std::function<void(store_result<std::int64_t>)> done) {
    using result = store_result<std::int64_t>;
    impl_->submit<result>(
        [pool = std::move(pool), codes = std::move(codes)](impl& self, result& out) {
            for (const std::string& code : codes) {
                if (std::string error = self.write(insert_code_sql, "insert code",
                                                   [&](statement& s) {
                                                       s.bind(1, pool);
                                                       s.bind(2, code);
                                                   });
                    !error.empty()) {
                    return error;
                }
                out.value += sqlite3_changes(self.writer.db());
            }
            return std::string{};
        },
        [](const std::string& error) {
            return result{0, error};
        },
        std::move(done));
}

store_result<std::vector<draft_record>> sqlite_store::due_drafts(rules::time_point now, int limit) {
    return impl_->with_reader<std::vector<draft_record>>(
        [now, limit](connection& c, std::vector<draft_record>& out) -> std::string {
            statement s{c, due_drafts_sql.c_str()};
            if (!s) {
                return sqlite_error(c.db(), "prepare due drafts");
            }
            s.bind(1, now);
            s.bind(2, std::int64_t{std::max(limit, 1)});
            int rc = SQLITE_ROW;
            while ((rc = s.step()) == SQLITE_ROW) {
                out.push_back(read_draft(s));
            }
            if (rc != SQLITE_DONE) {
                return sqlite_error(c.db(), "due drafts");
            }
            return {};
        });
}

store_result<std::int64_t> sqlite_store::count_drafts(draft_state state) {
    return impl_->with_reader<std::int64_t>(
        [state](connection& c, std::int64_t& out) -> std::string {
            statement s{c, count_drafts_sql};
            if (!s) {
                return sqlite_error(c.db(), "prepare count drafts");
            }
            s.bind(1, to_string(state));
            if (s.step() != SQLITE_ROW) {
                return sqlite_error(c.db(), "count drafts");
            }
            out = s.integer(0);
            return {};
        });
}

store_result<std::vector<rules::time_point>> sqlite_store::sent_since(rules::time_point since) {
    return impl_->with_reader<std::vector<rules::time_point>>(
        [since](connection& c, std::vector<rules::time_point>& out) -> std::string {
            statement s{c, sent_since_sql};
            if (!s) {
                return sqlite_error(c.db(), "prepare sent since");
            }
            s.bind(1, since);
            int rc = SQLITE_ROW;
            while ((rc = s.step()) == SQLITE_ROW) {
                out.push_back(time_of(s.integer(0)));
            }
            if (rc != SQLITE_DONE) {
                return sqlite_error(c.db(), "sent since");
            }
            return {};
        });
}

store_result<std::optional<draft_record>> sqlite_store::get_draft(std::string_view id) {
    return impl_->with_reader<std::optional<draft_record>>(
        [id](connection& c, std::optional<draft_record>& out) -> std::string {
            statement s{c, select_draft_sql.c_str()};
            if (!s) {
                return sqlite_error(c.db(), "prepare select draft");
            }
            s.bind(1, id);
            const int rc = s.step();
            if (rc == SQLITE_ROW) {
                out = read_draft(s);
            } else if (rc != SQLITE_DONE) {
                return sqlite_error(c.db(), "select draft");
            }
            return {};
        });
}

store_result<draft_page> sqlite_store::list_drafts(const draft_filter& filter) {
    return impl_->with_reader<draft_page>(
        [&filter](connection& c, draft_page& page) -> std::string {
            const int limit = std::clamp(filter.limit, 1, 500);
            statement s{c, list_drafts_sql.c_str()};
            if (!s) {
                return sqlite_error(c.db(), "prepare list drafts");
            }
            if (filter.state) {
                s.bind(1, to_string(*filter.state));
            }
            s.bind(2, filter.team);
            s.bind(3, filter.account);
            s.bind(4, filter.after);
            // One row more than asked says whether there is a next page.
            s.bind(5, std::int64_t{limit} + 1);
            int rc = SQLITE_ROW;
            while ((rc = s.step()) == SQLITE_ROW) {
                if (page.drafts.size() == static_cast<std::size_t>(limit)) {
                    page.next = page.drafts.back().id;
                    break;
                }
                page.drafts.push_back(read_draft(s));
            }
            if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
                return sqlite_error(c.db(), "list drafts");
            }
            return {};
        });
}

store_result<std::optional<stored_message>> sqlite_store::get_message(std::string_view account,
                                                                      std::string_view id) {
    return impl_->with_reader<std::optional<stored_message>>(
        [account, id](connection& c, std::optional<stored_message>& out) -> std::string {
            statement s{c, select_message_sql};
            if (!s) {
                return sqlite_error(c.db(), "prepare select message");
            }
            s.bind(1, account);
            s.bind(2, id);
            const int rc = s.step();
            if (rc == SQLITE_DONE) {
                return {};
            }
            if (rc != SQLITE_ROW) {
                return sqlite_error(c.db(), "select message");
            }
            rules::message_parse_result parsed = rules::parse_message_json(s.text(0));
            if (!parsed.message) {
                return "stored message " + std::string{id} + " is corrupt: " + parsed.error;
            }
            out = stored_message{std::move(*parsed.message), time_of(s.integer(1)), s.text(2),
                                 parse_tags(s.text(3))};
            return {};
        });
}

namespace {

// A person's history as of one snapshot: the events in person_events and the `waiting` ones
// (copied from memory before the snapshot began) that the snapshot does not have yet.
std::string read_history(connection& c,
                         std::int64_t slice,
                         std::string_view platform,
                         std::string_view author_id,
                         rules::time_point since,
                         const std::vector<history_event_row>& waiting,
                         rules::person_history& history) {
    std::int64_t through = 0;
    {
        statement s{c, history_moved_sql};
        if (!s) {
            return sqlite_error(c.db(), "prepare load history");
        }
        s.bind(1, slice);
        if (s.step() != SQLITE_ROW) {
            return sqlite_error(
                c.db(), "load history: how far slice " + std::to_string(slice) + " was moved");
        }
        through = s.integer(0);
    }
    statement s{c, select_history_sql};
    if (!s) {
        return sqlite_error(c.db(), "prepare load history");
    }
    s.bind(1, platform);
    s.bind(2, author_id);
    s.bind(3, since);
    s.bind(4, slice);
    int rc = SQLITE_ROW;
    while ((rc = s.step()) == SQLITE_ROW) {
        rules::history_event e;
        e.what = s.text(0) == "offer" ? rules::history_event::kind::offer
                                      : rules::history_event::kind::message;
        e.at = time_of(s.integer(1));
        e.tags = parse_tags(s.text(2));
        e.pool = s.optional_text(3).value_or("");
        history.events.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) {
        return sqlite_error(c.db(), "load history");
    }
    const std::size_t from_table = history.events.size();
    for (const history_event_row& w : waiting) {
        if (w.message_rowid > through) {
            history.events.push_back(rules::history_event{rules::history_event::kind::message,
                                                          time_of(w.at), parse_tags(w.tags), ""});
        }
    }
    if (history.events.size() > from_table) {
        // Both parts are in time order; waiting events are the newer at equal times.
        std::stable_sort(history.events.begin(), history.events.end(),
                         [](const auto& a, const auto& b) { return a.at < b.at; });
    }
    return {};
}

} // namespace

store_result<rules::person_history> sqlite_store::load_history(std::string_view platform,
                                                               std::string_view author_id,
                                                               rules::time_point since) {
    const std::int64_t slice = person_slice(platform, author_id);
    // The waiting events first, then the table: an event moved after the copy is in the
    // table's snapshot and is told apart by the slice's `through` read in that snapshot; one
    // moved before the copy is gone from memory and in the table.
    std::vector<history_event_row> waiting;
    {
        std::lock_guard lock{impl_->history_mutex};
        for (const history_event_row& e : impl_->unmoved[static_cast<std::size_t>(slice)]) {
            if (e.platform == platform && e.author_id == author_id && e.at >= seconds_of(since)) {
                waiting.push_back(e);
            }
        }
    }
    return impl_->with_reader<rules::person_history>(
        [&](connection& c, rules::person_history& history) -> std::string {
            if (std::string error = c.run("BEGIN"); !error.empty()) {
                return "load history: " + error;
            }
            std::string error =
                read_history(c, slice, platform, author_id, since, waiting, history);
            c.run("COMMIT"); // a read: ends the snapshot, cannot lose anything
            return error;
        });
}

namespace {

// Reads one integer with a pooled reader connection.
template <typename Bind>
std::string read_count(connection& c, const char* sql, Bind bind, std::int64_t& out) {
    statement s{c, sql};
    if (!s) {
        return sqlite_error(c.db(), "prepare count");
    }
    bind(s);
    if (s.step() != SQLITE_ROW) {
        return sqlite_error(c.db(), "count");
    }
    out = s.integer(0);
    return {};
}

// A page cursor is the last row's sequence number; anything else is refused, not ignored.
std::optional<std::int64_t> parse_sequence_cursor(const std::optional<std::string>& cursor,
                                                  std::string& error) {
    if (!cursor) {
        return std::nullopt;
    }
    const auto value = parse_whole_number(*cursor);
    if (!value || *value < 1) {
        error = "bad cursor '" + *cursor + "'";
    }
    return value;
}

} // namespace

store_result<std::int64_t> sqlite_store::offer_codes_left(std::string_view pool) {
    return impl_->with_reader<std::int64_t>([pool](connection& c, std::int64_t& out) {
        return read_count(
            c, codes_left_sql, [pool](statement& s) { s.bind(1, pool); }, out);
    });
}

store_result<std::int64_t> sqlite_store::offers_drafted_on_day(std::string_view pool,
                                                               rules::time_point day_of) {
    const auto day = std::chrono::floor<std::chrono::days>(day_of);
    return impl_->with_reader<std::int64_t>([pool, day](connection& c, std::int64_t& out) {
        return read_count(
            c, offers_on_day_sql,
            [&](statement& s) {
                s.bind(1, pool);
                s.bind(2, rules::time_point{day});
                s.bind(3, rules::time_point{day + std::chrono::days{1}});
            },
            out);
    });
}

store_result<std::vector<outbox_event>> sqlite_store::outbox_after(std::int64_t seq, int limit) {
    return impl_->with_reader<std::vector<outbox_event>>(
        [seq, limit](connection& c, std::vector<outbox_event>& out) -> std::string {
            statement s{c, outbox_after_sql};
            if (!s) {
                return sqlite_error(c.db(), "prepare outbox");
            }
            s.bind(1, seq);
            s.bind(2, std::int64_t{std::max(limit, 1)});
            int rc = SQLITE_ROW;
            while ((rc = s.step()) == SQLITE_ROW) {
                out.push_back(outbox_event{s.integer(0), s.text(1), s.text(2),
                                           time_of(s.integer(3)), s.text(4), s.text(5)});
            }
            return rc == SQLITE_DONE ? std::string{} : sqlite_error(c.db(), "outbox");
        });
}

store_result<std::int64_t> sqlite_store::last_outbox_seq() {
    return impl_->with_reader<std::int64_t>([](connection& c, std::int64_t& out) {
        return read_count(
            c, last_outbox_seq_sql, [](statement&) {}, out);
    });
}

store_result<std::optional<std::string>> sqlite_store::get_cursor(std::string_view owner,
                                                                  std::string_view key) {
    return impl_->with_reader<std::optional<std::string>>(
        [owner, key](connection& c, std::optional<std::string>& out) -> std::string {
            statement s{c, get_cursor_sql};
            if (!s) {
                return sqlite_error(c.db(), "prepare get cursor");
            }
            s.bind(1, owner);
            s.bind(2, key);
            const int rc = s.step();
            if (rc == SQLITE_ROW) {
                out = s.text(0);
            }
            return rc == SQLITE_ROW || rc == SQLITE_DONE ? std::string{}
                                                         : sqlite_error(c.db(), "get cursor");
        });
}

store_result<bool> sqlite_store::paused() {
    return impl_->with_reader<bool>([](connection& c, bool& out) -> std::string {
        statement s{c, get_setting_sql};
        if (!s) {
            return sqlite_error(c.db(), "prepare get setting");
        }
        s.bind(1, "paused");
        const int rc = s.step();
        out = rc == SQLITE_ROW && s.text(0) == "true";
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? std::string{}
                                                     : sqlite_error(c.db(), "get setting");
    });
}

store_result<std::optional<std::string>> sqlite_store::question_answered_by(
    const rules::message& m) {
    if ((!m.in_reply_to && !m.thread_id) || !impl_->has_posted_questions(m.account)) {
        return {};
    }
    return impl_->with_reader<std::optional<std::string>>(
        [&m](connection& c, std::optional<std::string>& out) -> std::string {
            statement s{c, question_answered_sql};
            if (!s) {
                return sqlite_error(c.db(), "prepare question answered");
            }
            s.bind(1, m.account);
            s.bind(2, m.in_reply_to);
            s.bind(3, m.thread_id);
            const int rc = s.step();
            if (rc == SQLITE_ROW) {
                out = s.optional_text(0);
            }
            return rc == SQLITE_ROW || rc == SQLITE_DONE
                       ? std::string{}
                       : sqlite_error(c.db(), "question answered");
        });
}

void sqlite_store::fire_insight(insight_firing firing,
                                std::function<void(store_result<std::vector<draft_record>>)> done) {
    using result = store_result<std::vector<draft_record>>;
    impl_->submit<result>([firing = std::move(firing)](
                              impl& self, result& out) { return self.fire(firing, out.value); },
                          [](const std::string& error) {
                              return result{{}, error};
                          },
                          std::move(done));
}

store_result<insight_record> sqlite_store::get_insight(std::string_view id, int limit) {
    return impl_->with_reader<insight_record>([id, limit](connection& c,
                                                          insight_record& out) -> std::string {
        {
            statement s{c, insight_questions_sql.c_str()};
            if (!s) {
                return sqlite_error(c.db(), "prepare insight questions");
            }
            s.bind(1, id);
            int rc = SQLITE_ROW;
            while ((rc = s.step()) == SQLITE_ROW) {
                out.questions.push_back(read_draft(s));
            }
            if (rc != SQLITE_DONE) {
                return sqlite_error(c.db(), "insight questions");
            }
        }
        statement s{c, insight_answers_sql};
        if (!s) {
            return sqlite_error(c.db(), "prepare insight answers");
        }
        s.bind(1, id);
        s.bind(2, std::int64_t{std::clamp(limit, 1, 5000)});
        int rc = SQLITE_ROW;
        while ((rc = s.step()) == SQLITE_ROW) {
            rules::message_parse_result parsed = rules::parse_message_json(s.text(0));
            if (!parsed.message) {
                return "a stored answer is corrupt: " + parsed.error;
            }
            out.answers.push_back(stored_message{std::move(*parsed.message), time_of(s.integer(1)),
                                                 s.text(2), parse_tags(s.text(3))});
        }
        return rc == SQLITE_DONE ? std::string{} : sqlite_error(c.db(), "insight answers");
    });
}

store_result<audit_page> sqlite_store::list_audit(const audit_filter& filter) {
    return impl_->with_reader<audit_page>([&filter](connection& c, audit_page& page) {
        std::string error;
        const auto after = parse_sequence_cursor(filter.after, error);
        if (!error.empty()) {
            return error;
        }
        const int limit = std::clamp(filter.limit, 1, 500);
        statement s{c, list_audit_sql};
        if (!s) {
            return sqlite_error(c.db(), "prepare list audit");
        }
        s.bind(1, filter.draft_id);
        s.bind(2, after);
        s.bind(3, std::int64_t{limit} + 1);
        int rc = SQLITE_ROW;
        while ((rc = s.step()) == SQLITE_ROW) {
            if (page.entries.size() == static_cast<std::size_t>(limit)) {
                page.next = std::to_string(page.entries.back().seq);
                break;
            }
            page.entries.push_back(audit_entry{s.integer(0), s.text(1), time_of(s.integer(2)),
                                               s.text(3), s.text(4), s.text(5), s.text(6)});
        }
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? std::string{}
                                                     : sqlite_error(c.db(), "list audit");
    });
}

store_result<message_page> sqlite_store::list_messages(const message_filter& filter) {
    return impl_->with_reader<message_page>([&filter](connection& c, message_page& page) {
        std::string error;
        const auto after = parse_sequence_cursor(filter.after, error);
        if (!error.empty()) {
            return error;
        }
        const int limit = std::clamp(filter.limit, 1, 500);
        statement s{c, list_messages_sql};
        if (!s) {
            return sqlite_error(c.db(), "prepare list messages");
        }
        s.bind(1, filter.tag);
        s.bind(2, filter.account);
        s.bind(3, filter.since);
        s.bind(4, after);
        s.bind(5, std::int64_t{limit} + 1);
        int rc = SQLITE_ROW;
        std::int64_t last_row = 0;
        while ((rc = s.step()) == SQLITE_ROW) {
            if (page.messages.size() == static_cast<std::size_t>(limit)) {
                page.next = std::to_string(last_row);
                break;
            }
            last_row = s.integer(0);
            rules::message_parse_result parsed = rules::parse_message_json(s.text(1));
            if (!parsed.message) {
                return "stored message row " + std::to_string(last_row) +
                       " is corrupt: " + parsed.error;
            }
            page.messages.push_back(stored_message{std::move(*parsed.message),
                                                   time_of(s.integer(2)), s.text(3),
                                                   parse_tags(s.text(4))});
        }
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? std::string{}
                                                     : sqlite_error(c.db(), "list messages");
    });
}

std::string sqlite_store::background_problem() {
    std::lock_guard lock{impl_->background_mutex};
    return impl_->background_error.empty() ? impl_->checkpoint_error : impl_->background_error;
}

void sqlite_store::close() {
    {
        std::lock_guard lock{impl_->queue_mutex};
        if (impl_->closed) {
            return;
        }
        impl_->closed = true;
        impl_->stopping = true;
    }
    impl_->queue_ready.notify_one();
    if (impl_->writer_thread.joinable()) {
        impl_->writer_thread.join();
    }
    impl_->stop_checkpointer();
    // Nothing waits in memory after a clean stop, and every slice is marked moved through the
    // newest message, so the next start reads nothing back. Best effort: the next start would
    // find anything left in the messages.
    if (impl_->move_history(true).value_or("").empty()) {
        (void)impl_->write(mark_all_moved_sql, "mark history moved",
                           [&](statement& s) { s.bind(1, impl_->last_message_rowid); });
    }
    {
        std::lock_guard lock{impl_->readers_mutex};
        impl_->readers_closed = true;
        impl_->idle_readers.clear();
    }
    // Truncates the WAL into the database so the file is whole on its own; best effort.
    impl_->writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

std::uint64_t sqlite_store::commits_for_test() const {
    return impl_->commits.load(std::memory_order_relaxed);
}

sqlite_store::checkpoint_counts sqlite_store::checkpoints_for_test() const {
    return {impl_->background_checkpoints.load(std::memory_order_relaxed),
            impl_->writer_checkpoints.load(std::memory_order_relaxed)};
}

} // namespace rapport::daemon
