// rapportctl as a user runs it: the real binary, its exit codes and output (CONTRACT §1, §4).
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using rapport::testing::process_result;
using rapport::testing::run_process;

const std::string examples = std::string(RAPPORT_SOURCE_DIR) + "/config/playbooks";

process_result ctl(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), RAPPORTCTL_PATH);
    return run_process(args, input);
}

// A scratch directory removed at the end of the test; paths as the command line wants them.
class scratch_dir {
public:
    std::string write(const std::string& name, const std::string& text) const {
        return dir_.write(name, text).string();
    }
    std::string path() const { return dir_.path().string(); }

private:
    rapport::testing::temp_dir dir_{"rapportctl-test"};
};

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

// ---- check ----------------------------------------------------------------------------------

TEST(rapportctl_check, example_playbooks_are_clean) {
    const auto r = ctl({"check", examples});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "");
}

TEST(rapportctl_check, reports_every_problem_as_file_line_col) {
    scratch_dir dir;
    const auto file = dir.write("bad.yaml", R"(playbook: bad
lexicons:
  neg: [broken]
rules:
  - id: one
    when: {query: '$negs AND (refund'}
    then: {priority: hihg}
  - id: one
    then: {reply: "Hi {{author.nam}}", sla: 2x}
)");
    const auto r = ctl({"check", file});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(lines(r.out),
              (std::vector<std::string>{
                  file + ":6:30: error: query: '(' is never closed",
                  file + ":7:22: error: priority must be one of low, normal, high, urgent, got "
                         "'hihg' (did you mean 'high'?)",
                  file + ":8:9: error: duplicate rule id 'one' (first used on line 5)",
                  file + ":9:25: error: unknown template variable 'author.nam' (did you mean "
                         "'author.name'?)",
                  file + ":9:45: error: bad duration '2x' for 'sla': write a whole number and a "
                         "unit (s, m, h, d), e.g. 90m or 30d",
              }));
}

TEST(rapportctl_check, a_missing_path_is_a_problem) {
    const auto r = ctl({"check", "/nonexistent/playbooks"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "/nonexistent/playbooks:1:1: error: no such file or directory\n");
}

TEST(rapportctl_check, usage_errors_exit_2) {
    EXPECT_EQ(ctl({"check"}).exit_code, 2);
    EXPECT_EQ(ctl({"check", "--no-such-flag", examples}).exit_code, 2);
    EXPECT_EQ(ctl({}).exit_code, 2);
    EXPECT_EQ(ctl({"frobnicate"}).exit_code, 2);
}

// ---- test -----------------------------------------------------------------------------------

TEST(rapportctl_test, example_playbook_tests_pass) {
    const auto r = ctl({"test", examples});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto out = lines(r.out);
    ASSERT_FALSE(out.empty());
    EXPECT_TRUE(out.back().ends_with(" passed, 0 failed")) << out.back();
}

TEST(rapportctl_test, failing_cases_show_expected_and_actual) {
    scratch_dir dir;
    dir.write("pb.yaml", R"(playbook: pb
rules:
  - id: complaint
    when: {query: broken}
    then: {tag: [complaint], reply: "Sorry {{author.name}}"}
)");
    const auto tests = dir.write("pb.test.yaml", R"(playbooks: [pb.yaml]
tests:
  - name: passes
    message: {text: "it is broken", author: {id: "1", name: Sam}}
    expect: {tags: [complaint], drafts: [{rule: complaint, text: "Sorry Sam"}]}
  - name: wrong tags
    message: {text: "it is broken", author: {id: "1", name: Sam}}
    expect: {tags: [praise]}
  - name: wrong text
    message: {text: "it is broken", author: {id: "1", name: Sam}}
    expect: {drafts: [{text_contains: "Hello"}]}
)");
    const auto r = ctl({"test", tests});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(lines(r.out),
              (std::vector<std::string>{
                  "FAIL " + tests + ":6: wrong tags",
                  "    tags: expected [praise], got [complaint]",
                  "FAIL " + tests + ":9: wrong text",
                  "    drafts[0]: expected text containing \"Hello\", got {rule: pb/complaint, "
                  "kind: reply, team: -, priority: normal, private: false, text: \"Sorry Sam\"}",
                  "1 passed, 2 failed",
              }));
}

TEST(rapportctl_test, a_broken_test_file_is_reported_and_fails) {
    scratch_dir dir;
    const auto tests = dir.write("x.test.yaml", "playbooks: [x.yaml]\ntests:\n  - nme: typo\n");
    const auto r = ctl({"test", tests});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find(tests + ":3:5: error: unknown key 'nme' in 'test' (did you mean 'name'?)"),
              std::string::npos)
        << r.out;
    EXPECT_TRUE(r.out.ends_with("0 passed, 1 failed\n")) << r.out;
}

TEST(rapportctl_test, usage_errors_exit_2) {
    EXPECT_EQ(ctl({"test"}).exit_code, 2);
    scratch_dir dir;
    EXPECT_EQ(ctl({"test", dir.path()}).exit_code, 2); // no test files there
}

// ---- simulate -------------------------------------------------------------------------------

std::vector<boost::json::value> json_lines(const std::string& text) {
    std::vector<boost::json::value> out;
    for (const auto& line : lines(text)) {
        out.push_back(boost::json::parse(line));
    }
    return out;
}

TEST(rapportctl_simulate, one_decision_a_line_in_input_order_and_bad_lines_reported) {
    const std::string input =
        R"({"id":"a","kind":"mention","text":"My Kestrel battery stopped working, worst","author":{"id":"u1","name":"Sam Lee"},"platform":"mastodon","account":"kestrel-mastodon","created_at":"2026-11-23T10:00:00Z"})"
        "\n"
        "{not json\n"
        "\n"
        R"({"id":"b","text":"no author"})"
        "\n"
        R"({"id":"c","text":"I love my Kestrel","author":{"id":"u2","name":"Ada"},"created_at":"2026-11-23T11:00:00Z"})"
        "\n";
    const auto r = ctl({"simulate", "--playbooks", examples}, input);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto out = json_lines(r.out);
    ASSERT_EQ(out.size(), 4U) << r.out;
    EXPECT_EQ(out[0].at("message_id"), "a");
    EXPECT_EQ(out[0].at("drafts").at(0).at("rule"), "kestrel-care/complaint");
    EXPECT_EQ(out[0].at("sla_seconds"), 3600);
    EXPECT_EQ(out[1].at("line"), 2);
    EXPECT_TRUE(out[1].at("error").as_string().starts_with("invalid JSON"));
    EXPECT_EQ(out[2], boost::json::parse(R"({"line":4,"error":"field 'author.id' is required"})"));
    EXPECT_EQ(out[3].at("message_id"), "c");
}

TEST(rapportctl_simulate, earlier_lines_are_the_persons_history) {
    // The persistent-fan rule needs two earlier messages from the same person in 60 days.
    std::string input;
    for (int day = 1; day <= 3; ++day) {
        input +=
            R"({"id":"w)" + std::to_string(day) +
            R"(","text":"#IWantAKestrel","author":{"id":"fan","handle":"wheelie"},"platform":"x","created_at":"2026-11-0)" +
            std::to_string(day) + R"(T12:00:00Z"})" + "\n";
    }
    // Same author id on another platform is another person.
    input +=
        R"({"id":"w4","text":"#IWantAKestrel","author":{"id":"fan"},"platform":"mastodon","created_at":"2026-11-04T12:00:00Z"})"
        "\n";
    const auto r = ctl({"simulate", "--playbooks", examples}, input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto out = json_lines(r.out);
    ASSERT_EQ(out.size(), 4U);
    EXPECT_EQ(out[0].at("drafts").as_array().size(), 0U);
    EXPECT_EQ(out[1].at("drafts").as_array().size(), 0U);
    EXPECT_EQ(out[2].at("drafts").at(0).at("rule"), "kestrel-delight/persistent-fan");
    EXPECT_EQ(out[3].at("drafts").as_array().size(), 0U);
}

TEST(rapportctl_simulate, drafted_offers_count_as_sent_and_budgets_hold_within_the_replay) {
    scratch_dir dir;
    dir.write("codes.txt", "C1\nC2\nC3\n");
    const auto book = dir.write("offers.yaml", R"(playbook: o
offers:
  gift: {codes_file: codes.txt, per_day: 2, cooldown: 30d}
rules:
  - id: gift
    when: {query: love}
    then: {offer: {pool: gift, text: "Here you go: {{offer.code}}"}}
)");
    std::string input;
    const auto line = [](const std::string& id, const std::string& who, const std::string& at) {
        return R"({"id":")" + id + R"(","text":"love it","author":{"id":")" + who +
               R"("},"created_at":")" + at + "\"}\n";
    };
    input += line("1", "ann", "2026-11-01T10:00:00Z"); // offer (code 1 of 3)
    input += line("2", "ann", "2026-11-01T11:00:00Z"); // ann is cooling down
    input += line("3", "bob", "2026-11-01T12:00:00Z"); // offer (2 of 2 for the day)
    input += line("4", "cat", "2026-11-01T13:00:00Z"); // budget spent today
    input += line("5", "cat", "2026-11-02T09:00:00Z"); // new day: offer (code 3 of 3)
    input += line("6", "dan", "2026-11-02T10:00:00Z"); // no codes left
    const auto r = ctl({"simulate", "--playbooks", book}, input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto out = json_lines(r.out);
    ASSERT_EQ(out.size(), 6U);
    const auto skipped = [&](std::size_t i) -> std::string {
        const auto* s = out[i].as_object().if_contains("skipped");
        return s == nullptr ? "" : std::string(s->at(0).at("reason").as_string());
    };
    EXPECT_EQ(out[0].at("drafts").at(0).at("offer"), "gift");
    EXPECT_EQ(out[0].at("drafts").at(0).at("text"), "Here you go: {{offer.code}}");
    EXPECT_EQ(out[0].at("drafts").at(0).at("private"), true);
    EXPECT_EQ(skipped(1), "cooldown");
    EXPECT_EQ(out[2].at("drafts").as_array().size(), 1U);
    EXPECT_EQ(skipped(3), "budget");
    EXPECT_EQ(out[4].at("drafts").as_array().size(), 1U);
    EXPECT_EQ(skipped(5), "pool_empty");
}

TEST(rapportctl_simulate, playbooks_that_do_not_load_exit_1_with_the_problems) {
    scratch_dir dir;
    const auto book = dir.write("bad.yaml", "playbook: b\nrules: {}\n");
    const auto r = ctl({"simulate", "--playbooks", book}, "{}\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, book + ":2:8: error: 'rules' must be a list\n");
}

TEST(rapportctl_simulate, usage_errors_exit_2) {
    EXPECT_EQ(ctl({"simulate"}).exit_code, 2);
    EXPECT_EQ(ctl({"simulate", "--playbooks"}).exit_code, 2);
}

TEST(rapportctl_simulate, the_same_input_gives_the_same_output) {
    std::string input;
    for (int i = 0; i < 200; ++i) {
        input +=
            R"({"id":")" + std::to_string(i) +
            R"(","text":"my kestrel battery is broken and I love the motor #IWantAKestrel","author":{"id":"p)" +
            std::to_string(i % 7) + R"("},"created_at":"2026-11-01T10:00:00Z"})" + "\n";
    }
    const auto a = ctl({"simulate", "--playbooks", examples}, input);
    const auto b = ctl({"simulate", "--playbooks", examples}, input);
    EXPECT_EQ(a.exit_code, 0);
    EXPECT_EQ(a.out, b.out);
    EXPECT_EQ(lines(a.out).size(), 200U);
}

} // namespace
