// The daemon's durable store: messages with their decisions, drafts (CONTRACT §8), person
// history, outbox. An abstract interface so that a PostgreSQL implementation can follow the
// SQLite one (ARCHITECTURE "Scale beyond one machine"); plain C++ with threads, no Asio.
#pragma once

#include "rules/decision.hpp"
#include "rules/history.hpp"
#include "rules/message.hpp"
#include "rules/playbook.hpp"
#include "rules/time.hpp"

#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::daemon {

/// Now, in the whole seconds the store keeps.
[[nodiscard]] rules::time_point now_seconds();

/// A non-negative whole number written in decimal and nothing else (cursors, query
/// parameters, stored positions); nullopt for anything else.
[[nodiscard]] std::optional<std::int64_t> parse_whole_number(std::string_view text);

/// The life of a draft (CONTRACT §8).
enum class draft_state {
    pending,
    approved,
    sending,
    sent,
    rejected,
    expired,
    failed,
    needs_review
};

/// The contract's name of a state: `pending`, `needs_review`, ...
[[nodiscard]] std::string_view to_string(draft_state s);
[[nodiscard]] std::optional<draft_state> parse_draft_state(std::string_view s);
/// The inverse of rules::to_string(draft_kind).
[[nodiscard]] std::optional<rules::draft_kind> parse_draft_kind(std::string_view s);

/// A message as stored: the message, when it arrived, and what the playbooks decided.
struct stored_message {
    rules::message message;
    rules::time_point received_at;
    /// The decision as CONTRACT §7 JSON text.
    std::string decision_json;
    std::vector<std::string> tags;

    friend bool operator==(const stored_message&, const stored_message&) = default;
};

/// One draft (CONTRACT §8). `in_reply_to` is the id of the message it answers (same account);
/// the API embeds that message when it shows the draft.
struct draft_record {
    std::string id;
    int version = 1;
    draft_state state = draft_state::pending;
    rules::draft_kind kind = rules::draft_kind::reply;
    std::string account;
    std::string platform;
    std::string rule;
    std::optional<std::string> team;
    rules::priority priority = rules::priority::normal;
    bool is_private = false;
    bool too_long = false;
    std::string text;
    std::string original_text;
    std::string in_reply_to;
    rules::time_point created_at;
    std::optional<rules::time_point> sla_due_at;
    std::optional<rules::time_point> expires_at;
    std::optional<std::string> decided_by;
    std::optional<rules::time_point> decided_at;
    std::optional<std::string> note;
    std::optional<std::string> sent_id;
    std::optional<rules::time_point> sent_at;
    int attempts = 0;
    std::optional<std::string> last_error;
    /// Qualified offer pool, for offer drafts.
    std::optional<std::string> offer;
    /// An approved draft whose last attempt failed in a way worth retrying waits until then.
    std::optional<rules::time_point> next_attempt_at;
    /// Insight question drafts: the question's id (their `in_reply_to` is empty).
    std::optional<std::string> insight;

    friend bool operator==(const draft_record&, const draft_record&) = default;
};

/// What an offer draft may take from its pool (CONTRACT §3 `offers`, §7): checked again
/// in the transaction that creates the draft, so concurrent messages cannot overspend.
struct offer_terms {
    /// Offers from the pool drafted per UTC day, across all people; nullopt: no budget.
    std::optional<int> per_day;
    /// How long after an offer from this pool the same person gets no other; nullopt: none.
    std::optional<rules::duration> cooldown;
    /// The pool hands out codes from its `codes_file`: one is reserved for the draft and
    /// written into its text in place of `{{offer.code}}`.
    bool uses_codes = false;

    friend bool operator==(const offer_terms&, const offer_terms&) = default;
};

/// A draft to create with a message: what the playbooks rendered plus its deadlines.
struct new_draft {
    rules::draft_spec spec;
    rules::time_point created_at;
    std::optional<rules::time_point> sla_due_at;
    std::optional<rules::time_point> expires_at;
    /// Offer drafts only.
    std::optional<offer_terms> offer;

    friend bool operator==(const new_draft&, const new_draft&) = default;
};

/// Everything one inbound message writes, in one transaction.
struct ingest_request {
    rules::message message;
    rules::decision decision;
    rules::time_point received_at;
    std::vector<new_draft> drafts;
    /// When the message must have a sent reply (its decision's `sla`); a later sweep raises
    /// `sla.breached` once if none went out by then.
    std::optional<rules::time_point> sla_due_at;
};

/// Builds the request for a message and its decision: one draft per `decision.drafts`, created
/// at `now`, expiring at `now + expire_after` (CONTRACT §8, `approval.expire_after`), due by
/// the message's creation time (else `now`) plus `decision.sla` when the decision has an SLA.
/// Offer drafts take their pool's budget and codes from `playbooks` (null: no limits).
[[nodiscard]] ingest_request make_ingest_request(rules::message message,
                                                 rules::decision decision,
                                                 rules::time_point now,
                                                 rules::duration expire_after,
                                                 const rules::playbook_set* playbooks = nullptr);

enum class ingest_status {
    /// Committed: message, decision, drafts, person event and outbox entries.
    stored,
    /// (account, id) was stored before; nothing was written. Acknowledge it like `stored`.
    duplicate,
    /// Nothing was written; `error` says why. Do not acknowledge: let the platform redeliver.
    failed,
};

struct ingest_result {
    ingest_status status = ingest_status::failed;
    std::string error;
    /// Ids of the drafts created, in the order of the request's drafts (an offer the
    /// transaction had to skip makes none).
    std::vector<std::string> draft_ids;
    /// Offers skipped in the transaction (budget spent or pool empty by the time it ran);
    /// they are also in the stored decision's `skipped`.
    std::vector<rules::skipped_offer> skipped;
};

/// A person's decision on a draft (CONTRACT §5, §8).
struct decide_request {
    enum class action { approve, reject };
    std::string draft_id;
    decide_request::action what = action::approve;
    /// The approver deciding.
    std::string approver;
    /// Approve only: the text to send instead of the draft's.
    std::optional<std::string> text;
    /// The approver's note, or a rejection's reason.
    std::optional<std::string> note;
    /// The version the approver saw; a draft that moved on since is a conflict.
    std::optional<int> version;
    rules::time_point at;
    /// For an HMAC-signed decision (CONTRACT §5.3): its signature, accepted once. Kept until
    /// `signature_expires_at`, after which the timestamp check refuses it anyway.
    std::optional<std::string> signature;
    rules::time_point signature_expires_at;
};

enum class decide_status {
    /// The draft changed as asked (state, maybe text); an audit entry and an outbox event were
    /// committed with it.
    changed,
    /// The same decision was made before: nothing changed (CONTRACT §5.1: 200).
    unchanged,
    not_found,
    /// The draft's state or version does not allow this decision (409); `error` says why.
    conflict,
    /// Nothing was written; `error` says why.
    failed,
    /// The signed decision's signature was used before: nothing changed (401).
    replay,
};

struct decide_result {
    decide_status status = decide_status::failed;
    std::string error;
    /// The draft as it now is (also on unchanged and conflict).
    std::optional<draft_record> draft;
    /// A send that gave the replied-to message its first sent reply: how long after the
    /// message was written (its created_at, else when it arrived) that reply went out.
    std::optional<rules::duration> first_response;
};

/// How one send attempt ended, as the dispatcher records it (CONTRACT §8).
struct send_outcome {
    enum class result {
        /// The platform took the reply: `sent`, with the platform's id when it gave one.
        sent,
        /// Not delivered and safe to try again: back to `approved`, due at `retry_at`.
        retry,
        /// Refused for good (or too many attempts): `failed`.
        failed,
        /// Perhaps delivered, perhaps not, and the receiver cannot deduplicate: `needs_review`,
        /// so a person decides instead of the machine sending it twice.
        needs_review,
    };
    std::string draft_id;
    result what = result::failed;
    std::optional<std::string> sent_id;
    /// What went wrong (retry, failed, needs_review); kept on the draft as `last_error`.
    std::optional<std::string> error;
    /// retry only.
    std::optional<rules::time_point> retry_at;
    rules::time_point at;
};

/// A value, or the reason there is none. Reads report storage failures this way instead of
/// throwing or pretending that nothing was found.
template <typename T>
struct store_result {
    T value{};
    /// Empty on success.
    std::string error;

    [[nodiscard]] bool ok() const { return error.empty(); }
};

/// Which drafts to list; absent fields do not filter.
struct draft_filter {
    std::optional<draft_state> state;
    std::optional<std::string> team;
    std::optional<std::string> account;
    /// Clamped to [1, 500] (CONTRACT §5).
    int limit = 50;
    /// The `next` cursor of the previous page.
    std::optional<std::string> after;
};

/// One page of drafts, newest first.
struct draft_page {
    std::vector<draft_record> drafts;
    /// Pass as `draft_filter::after` for the next page; nullopt on the last page.
    std::optional<std::string> next;
};

/// One event for the notification receivers (CONTRACT §5.4), kept in the outbox in the
/// order the changes committed.
struct outbox_event {
    std::int64_t seq = 0;
    /// `draft.created`, `draft.approved`, ..., `sla.breached`.
    std::string event;
    std::string draft_id;
    rules::time_point at;
    /// The draft as it was right after the event (API JSON, with the replied-to message).
    std::string draft_json;
    /// More members of the notification body as a JSON object (`sla.breached`: how late),
    /// or empty.
    std::string details_json;

    friend bool operator==(const outbox_event&, const outbox_event&) = default;
};

/// A message whose SLA passed with no sent reply, as the sweep found it.
struct sla_breach {
    std::string account;
    std::string message_id;
    rules::time_point due_at;
    /// How far past due the sweep found it.
    rules::duration late{};
    /// The message's draft the notification shows (the most urgent still open one), if any.
    std::optional<draft_record> draft;
};

/// One audit entry: who did what to a draft (or, with an empty draft id, to sending as a
/// whole: pause and resume), and the draft before and after.
struct audit_entry {
    std::int64_t seq = 0;
    std::string draft_id;
    rules::time_point at;
    std::string actor;
    std::string action;
    /// JSON objects (version, state, text, last_error), or empty.
    std::string before_json;
    std::string after_json;

    friend bool operator==(const audit_entry&, const audit_entry&) = default;
};

struct audit_filter {
    /// Nullopt: every entry.
    std::optional<std::string> draft_id;
    int limit = 50;
    std::optional<std::string> after;
};

/// One page of audit entries, newest first.
struct audit_page {
    std::vector<audit_entry> entries;
    std::optional<std::string> next;
};

struct message_filter {
    std::optional<std::string> tag;
    std::optional<std::string> account;
    /// Received at or after.
    std::optional<rules::time_point> since;
    int limit = 50;
    std::optional<std::string> after;
};

/// One page of stored messages, newest first.
struct message_page {
    std::vector<stored_message> messages;
    std::optional<std::string> next;
};

/// What an insight question gathered: the drafts that asked it (one per firing and account)
/// and the messages that answered, oldest first.
struct insight_record {
    std::vector<draft_record> questions;
    std::vector<stored_message> answers;
};

/// One firing of an insight question: its drafts (one per account; ids and states are the
/// store's to set) for the schedule slot `slot`.
struct insight_firing {
    std::string insight;
    rules::time_point slot;
    std::vector<draft_record> drafts;
};

/// The store. All members may be called from any thread, concurrently.
class store {
public:
    virtual ~store() = default;

    /// Queues the writes of one inbound message. `done` runs exactly once: on the writer
    /// thread after the transaction holding the writes committed (or failed), or at once on
    /// the calling thread if the store is closed. `done` must be quick and must not throw: it
    /// delays every later commit.
    virtual void ingest(ingest_request request, std::function<void(ingest_result)> done) = 0;

    /// The draft with this id; nullopt value when there is none.
    [[nodiscard]] virtual store_result<std::optional<draft_record>> get_draft(
        std::string_view id) = 0;

    /// Drafts matching `filter`, newest first, with a cursor for the next page.
    [[nodiscard]] virtual store_result<draft_page> list_drafts(const draft_filter& filter) = 0;

    /// The stored message (account, id); nullopt value when there is none.
    [[nodiscard]] virtual store_result<std::optional<stored_message>> get_message(
        std::string_view account, std::string_view id) = 0;

    /// A person's messages (with their tags) and offers sent to them at or after `since`,
    /// oldest first.
    [[nodiscard]] virtual store_result<rules::person_history> load_history(
        std::string_view platform, std::string_view author_id, rules::time_point since) = 0;

    /// Applies a decision in one transaction with its audit entry and `draft.approved` /
    /// `draft.rejected` outbox event; `done` runs on the writer thread after COMMIT.
    virtual void decide(decide_request request, std::function<void(decide_result)> done) = 0;

    /// Approved drafts due for a send at `now` (no retry pending after it), most urgent
    /// first: by priority, then the oldest decision; at most `limit`.
    [[nodiscard]] virtual store_result<std::vector<draft_record>> due_drafts(rules::time_point now,
                                                                             int limit) = 0;

    /// How many drafts are in `state` now.
    [[nodiscard]] virtual store_result<std::int64_t> count_drafts(draft_state state) = 0;

    /// When each reply sent at or after `since` went out, oldest first (the hourly cap
    /// counts them across restarts).
    [[nodiscard]] virtual store_result<std::vector<rules::time_point>> sent_since(
        rules::time_point since) = 0;

    /// Marks an approved draft `sending` (one more attempt, a new version, an audit entry)
    /// before the dispatcher calls the platform: if the process dies during the call, the
    /// committed `sending` state is what tells the next start that the send was interrupted.
    /// `conflict` when the draft is no longer approved.
    virtual void begin_send(std::string draft_id,
                            rules::time_point at,
                            std::function<void(decide_result)> done) = 0;

    /// Records how a send ended: `sending` becomes `sent`, `approved` (retry), `failed` or
    /// `needs_review`, with an audit entry and, except for a retry, the outbox event
    /// (`draft.sent`, `draft.failed`, `draft.needs_review`). `conflict` when the draft is not
    /// `sending`.
    virtual void finish_send(send_outcome outcome, std::function<void(decide_result)> done) = 0;

    /// At start: every draft left `sending` by a process that died mid-send becomes
    /// `needs_review` (CONTRACT §8) — or `approved` again when its account is in
    /// `idempotent_accounts`, whose receivers deduplicate by Idempotency-Key. `done` gets the
    /// drafts as they now are.
    virtual void recover_interrupted_sends(
        std::vector<std::string> idempotent_accounts,
        rules::time_point at,
        std::function<void(store_result<std::vector<draft_record>>)> done) = 0;

    /// Pending drafts whose `expires_at` passed by `now` become `expired` (with the audit
    /// entry, the `draft.expired` event, and an offer's code back in its pool); at most
    /// `limit` per call. `done` gets them as they now are.
    virtual void expire_drafts(
        rules::time_point now,
        int limit,
        std::function<void(store_result<std::vector<draft_record>>)> done) = 0;

    /// Messages whose SLA passed by `now` with no sent reply are marked breached (so each is
    /// reported once) with an `sla.breached` event; at most `limit` per call.
    virtual void breach_slas(rules::time_point now,
                             int limit,
                             std::function<void(store_result<std::vector<sla_breach>>)> done) = 0;

    /// Outbox events after `seq`, oldest first, at most `limit`.
    [[nodiscard]] virtual store_result<std::vector<outbox_event>> outbox_after(std::int64_t seq,
                                                                               int limit) = 0;

    /// The last outbox sequence number (0 when the outbox is empty).
    [[nodiscard]] virtual store_result<std::int64_t> last_outbox_seq() = 0;

    /// Forgets outbox events up to `seq` (every receiver has them). `done` gets the error,
    /// empty on success.
    virtual void prune_outbox(std::int64_t seq, std::function<void(std::string)> done) = 0;

    /// A value kept across restarts for `owner` (an account, or a part of the daemon such as
    /// `notify`): stream positions, delivery progress, when a schedule last fired.
    [[nodiscard]] virtual store_result<std::optional<std::string>> get_cursor(
        std::string_view owner, std::string_view key) = 0;
    virtual void put_cursor(std::string owner,
                            std::string key,
                            std::string value,
                            std::function<void(std::string)> done) = 0;

    /// Whether sending is paused (CONTRACT §5 `/v1/pause`); false until someone pauses it.
    [[nodiscard]] virtual store_result<bool> paused() = 0;
    /// Pauses or resumes sending, with an audit entry naming `actor`. `done` gets the error,
    /// empty on success.
    virtual void set_paused(bool paused,
                            std::string actor,
                            rules::time_point at,
                            std::function<void(std::string)> done) = 0;

    /// Puts `codes` into the offer pool `pool` (qualified name); codes it holds already keep
    /// their state, so reloading a codes file never hands a used code out again. `done` gets
    /// how many were new.
    virtual void add_offer_codes(std::string pool,
                                 std::vector<std::string> codes,
                                 std::function<void(store_result<std::int64_t>)> done) = 0;

    /// Codes of `pool` neither reserved nor used.
    [[nodiscard]] virtual store_result<std::int64_t> offer_codes_left(std::string_view pool) = 0;

    /// Offer drafts from `pool` created on the UTC day that contains `day_of`, not counting
    /// ones rejected or expired (their budget is given back).
    [[nodiscard]] virtual store_result<std::int64_t> offers_drafted_on_day(
        std::string_view pool, rules::time_point day_of) = 0;

    /// The insight question `m` answers: the one posted from m's account whose platform id is
    /// m's `in_reply_to` or `thread_id`; nullopt value when there is none.
    [[nodiscard]] virtual store_result<std::optional<std::string>> question_answered_by(
        const rules::message& m) = 0;

    /// Creates the drafts of one firing with their `draft.created` events and records `slot`
    /// as the question's last firing (cursor `insight`/<id>), in one transaction, so a slot
    /// is asked once even across crashes: when the recorded firing is at or after `slot`,
    /// nothing is written and `done` gets no drafts.
    virtual void fire_insight(
        insight_firing firing,
        std::function<void(store_result<std::vector<draft_record>>)> done) = 0;

    /// The question drafts and answers of insight `id` (answers: at most `limit`, oldest
    /// first).
    [[nodiscard]] virtual store_result<insight_record> get_insight(std::string_view id,
                                                                   int limit) = 0;

    /// Audit entries, newest first.
    [[nodiscard]] virtual store_result<audit_page> list_audit(const audit_filter& filter) = 0;

    /// Stored messages with their tags and decisions, newest first.
    [[nodiscard]] virtual store_result<message_page> list_messages(
        const message_filter& filter) = 0;

    /// What the store's own background work (not a request's) last failed at, empty while it
    /// works: the daemon logs it, since no request carries it.
    [[nodiscard]] virtual std::string background_problem() = 0;

    /// Writes everything queued, commits, runs its `done` callbacks, and closes. Later calls
    /// fail with "store is closed". Idempotent; must not be called from a `done` callback.
    virtual void close() = 0;
};

/// Runs `start(done)`, a store operation that reports through a callback, and blocks until it
/// has: for start-up, timed work off the request path, and tests; never inside a coroutine.
template <typename Result, typename Start>
Result wait_for_store(Start start) {
    std::promise<Result> promise;
    auto future = promise.get_future();
    start([&promise](Result r) { promise.set_value(std::move(r)); });
    return future.get();
}

} // namespace rapport::daemon
