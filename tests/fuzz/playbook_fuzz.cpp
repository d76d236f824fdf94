// Fuzz target for the playbook loader (CONTRACT §3): any YAML text must load or be rejected
// with diagnostics, never crash; a playbook that loads is then evaluated over fixed messages.
#include "rules/decision.hpp"
#include "rules/evaluator.hpp"
#include "rules/loader.hpp"
#include "rules/message.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using rapport::fuzz::check;
namespace rules = rapport::rules;

namespace {

rules::time_point at(int day, int hour) {
    using namespace std::chrono;
    return sys_days{year{2026} / November / day} + hours{hour};
}

// A few messages that between them reach most conditions: words, tags, handles, CJK,
// an answer to an insight, each message kind.
const std::vector<rules::message>& fixed_messages() {
    static const std::vector<rules::message> messages = [] {
        std::vector<rules::message> ms;
        rules::message m;
        m.id = "ext-123";
        m.text = "my acme toaster is broken, never again! I want a refund #help @acme";
        m.author = {"u1", "sam", "Sam Lee", 1200};
        m.thread_id = "t-9";
        m.in_reply_to = "ext-100";
        m.created_at = at(23, 14);
        m.lang = "en";
        m.platform = "x";
        m.account = "acme-site";
        ms.push_back(m);

        m.id = "ext-124";
        m.kind = rules::message_kind::reply;
        m.text =
            "I love it, great stuff \xe2\x9d\xa4\xef\xb8\x8f can't wait \xe6\x97\xa5\xe6\x9c\xac";
        m.author = {"u2", "kim", "", std::nullopt};
        m.platform = "mastodon";
        m.account = "acme-mastodon";
        m.insight = "organizing-apps";
        ms.push_back(m);

        m.id = "ext-125";
        m.kind = rules::message_kind::direct;
        m.text = "";
        m.author = {"u3", "", "", 0};
        m.lang.reset();
        m.insight.reset();
        ms.push_back(m);
        return ms;
    }();
    return messages;
}

rules::person_history fixed_history() {
    rules::person_history h;
    for (int day = 1; day <= 20; day += 4) {
        h.events.push_back({rules::history_event::kind::message, at(day, 10), {"advocate"}, {}});
    }
    h.events.push_back({rules::history_event::kind::offer, at(2, 9), {}, "acme-core/sneak-peek"});
    return h;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<rules::playbook_source> sources(1);
    // A directory that does not exist, so `codes_file` reads fail instead of touching disk.
    sources[0].file = "/nonexistent/fuzz.yaml";
    sources[0].text.assign(reinterpret_cast<const char*>(data), size);

    const rules::load_result loaded = rules::load_playbook_sources(sources);
    for (const auto& d : loaded.diagnostics) {
        check(!d.message.empty(), "diagnostic without a message");
        (void)rules::to_string(d);
    }
    if (!loaded.set) {
        check(!loaded.diagnostics.empty(), "playbook rejected without a diagnostic");
        return 0;
    }

    rules::evaluator evaluator(loaded.set);
    rules::replay_ledger ledger(*loaded.set);
    const rules::person_history history = fixed_history();
    const rules::person_history nobody;
    std::string json;
    for (const auto& m : fixed_messages()) {
        const rules::time_point now = *m.created_at;
        const rules::decision d = evaluator.evaluate(m, history, now, &ledger);
        // Deterministic: the evaluator's reused scratch must not change the answer.
        check(evaluator.evaluate(m, history, now, &ledger) == d, "evaluation not deterministic");
        check(d.message_id == m.id, "decision for another message");
        ledger.record(d, now);
        (void)evaluator.evaluate(m, nobody, now);
        json.clear();
        rules::append_json(json, d);
    }
    return 0;
}
