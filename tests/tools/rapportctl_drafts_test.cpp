// rapportctl drafts as an approver runs it: the real binary against a real rapportd on loopback
// (CONTRACT §1, §5), the cursor-following list driven in-process, and the refusal lines for
// every status from canned answers.
#include "tests/integration/rapportd_fixture.hpp"
#include "tests/support/process.hpp"
#include "tools/commands.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;
using rapport::testing::http_call;
using rapport::testing::process_result;
using rapport::testing::run_process;

// Drafts for the support team, which bob is not in; a story gets a long one.
const char* const playbook = R"(playbook: care
rules:
  - id: story
    when: {query: story}
    then: {team: support, priority: high, reply: "Thanks {{author.name}}: {{message.text}}", stop: true}
  - id: complaint
    when: {query: broken}
    then: {team: support, priority: high, reply: "Sorry {{author.name}}"}
)";

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// A loopback port nobody listens on: bound, read, closed.
std::uint16_t closed_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t size = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    close(fd);
    return ntohs(address.sin_port);
}

// The integration tests' rapportd (tokens alice, bob, carol; "guaranteed" is a blocked phrase)
// with this file's playbook, started for each test.
class rapportctl_drafts : public rapport::testing::integration::rapportd_fixture {
protected:
    void SetUp() override {
        rapportd_fixture::SetUp();
        write("playbooks/care.yaml", playbook);
        start();
        url_ = "http://127.0.0.1:" + std::to_string(port_);
    }

    // A message from Sam (with his handle) that the playbook drafts a reply to; its draft's id.
    std::string draft_for(const std::string& message_id, const std::string& text = "it is broken") {
        const auto r = post_signed(R"({"id":")" + message_id + R"(","text":")" + text +
                                   R"(","author":{"id":"u1","handle":"sam","name":"Sam"}})");
        EXPECT_EQ(r.status, 200) << r.body;
        const auto at = r.body.find("\"d-");
        return at == std::string::npos ? ""
                                       : r.body.substr(at + 1, r.body.find('"', at + 1) - at - 1);
    }

    // `rapportctl drafts ARGS...` as alice, against this test's rapportd; `env` adds or
    // (a bare NAME) removes variables after the defaults.
    process_result ctl(std::vector<std::string> args, std::vector<std::string> env = {}) {
        args.insert(args.begin(), {RAPPORTCTL_PATH, "drafts"});
        std::vector<std::string> environment{"RAPPORT_URL=" + url_,
                                             "RAPPORT_TOKEN=alice",
                                             "VISUAL",
                                             "EDITOR",
                                             "COLUMNS",
                                             "NO_COLOR"};
        environment.insert(environment.end(), env.begin(), env.end());
        return run_process(args, {}, dir_.string(), environment);
    }

    // An executable script in the test's directory, for EDITOR.
    std::string script(const std::string& name, const std::string& body) {
        const auto path = temp_.write(name, "#!/bin/sh\n" + body + "\n");
        fs::permissions(path, fs::perms::owner_all);
        return path.string();
    }

    std::string url_;
};

TEST_F(rapportctl_drafts, list_prints_a_table_without_colours_when_piped) {
    const std::string older = draft_for("m1");
    const std::string newer = draft_for("m2", "broken again");
    const auto r = ctl({"list"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_FALSE(contains(r.out, "\x1b[")) << r.out;
    const auto out = lines(r.out);
    ASSERT_EQ(out.size(), 3U) << r.out;
    EXPECT_EQ(out[0], "ID               STATE    PRIORITY  TEAM     ACCOUNT  AGE  TEXT");
    EXPECT_TRUE(out[1].starts_with(newer + "  pending  high      support  site     ")) << out[1];
    EXPECT_TRUE(out[1].ends_with("  Sorry Sam")) << out[1];
    EXPECT_TRUE(out[2].starts_with(older)) << out[2];

    // Filters go to the server.
    const auto none = ctl({"list", "--state", "rejected", "--team", "support"});
    EXPECT_EQ(none.exit_code, 0) << none.err;
    EXPECT_EQ(none.out, "no drafts\n");
}

TEST_F(rapportctl_drafts, list_fits_the_text_to_the_width_and_hints_at_more) {
    draft_for("m1");
    const std::string newer = draft_for("m2", "a long story about a bike that goes on and on");
    const auto r = ctl({"list", "--limit", "1"}, {"COLUMNS=80"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto out = lines(r.out);
    ASSERT_EQ(out.size(), 2U) << r.out;
    EXPECT_TRUE(out[1].starts_with(newer)) << out[1];
    // The columns before the text take 59 of the 80; the text gets 20 and an ellipsis.
    EXPECT_TRUE(out[1].ends_with("  Thanks Sam: a long s\xE2\x80\xA6")) << out[1];
    EXPECT_EQ(out[1].size(), 80U + 2U) << out[1]; // "…" is 3 bytes for 1 column
    EXPECT_TRUE(contains(r.err, "more drafts match than the 1 shown")) << r.err;
    EXPECT_TRUE(contains(r.err, "--after ")) << r.err;
}

TEST_F(rapportctl_drafts, list_json_is_the_servers_answer) {
    draft_for("m1");
    const auto r = ctl({"list", "--json", "--state", "pending"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto server = http_call(port_, "GET", "/v1/drafts?state=pending", {}, as_alice);
    EXPECT_EQ(r.out, server.body + "\n");
}

TEST_F(rapportctl_drafts, a_limit_beyond_a_page_follows_the_next_cursor) {
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) {
        ids.insert(ids.begin(), draft_for("m" + std::to_string(i)));
    }
    const auto token = temp_.write("token", "alice\n");
    rapport::tools::drafts_options options;
    options.url = url_;
    options.token_file = token.string();
    options.json = true;
    options.limit = 3;
    options.page_size_for_test = 1; // three pages of one
    std::ostringstream out;
    std::ostringstream err;
    ASSERT_EQ(rapport::tools::run_drafts(options, out, err), 0) << err.str();
    const auto page = boost::json::parse(out.str()).as_object();
    const auto& drafts = page.at("drafts").as_array();
    ASSERT_EQ(drafts.size(), 3U) << out.str();
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(drafts[i].at("id").as_string(), ids[i]);
    }
    EXPECT_TRUE(page.at("next").is_string()) << "a fourth draft is left";

    options.json = false;
    options.limit = 4;
    std::ostringstream table;
    ASSERT_EQ(rapport::tools::run_drafts(options, table, err), 0) << err.str();
    EXPECT_EQ(lines(table.str()).size(), 5U) << table.str();
}

TEST_F(rapportctl_drafts, a_terminal_gets_colours) {
    draft_for("m1");
    const auto token = temp_.write("token", "alice");
    rapport::tools::drafts_options options;
    options.url = url_;
    options.token_file = token.string();
    options.colour = true; // what detect_terminal() decides for a terminal
    std::ostringstream out;
    std::ostringstream err;
    ASSERT_EQ(rapport::tools::run_drafts(options, out, err), 0) << err.str();
    EXPECT_TRUE(contains(out.str(), "\x1b[1;33mpending  \x1b[0m")) << out.str();
    EXPECT_TRUE(contains(out.str(), "\x1b[31mhigh      \x1b[0m")) << out.str();
}

TEST_F(rapportctl_drafts, show_prints_the_draft_and_the_message_it_answers) {
    const std::string id = draft_for("m1", "my bike is broken");
    const auto r = ctl({"show", id});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto out = lines(r.out);
    ASSERT_GE(out.size(), 4U) << r.out;
    EXPECT_EQ(out[0], "draft      " + id + ", version 1");
    EXPECT_EQ(out[1], "state      pending (nobody has decided yet)");
    EXPECT_EQ(out[2],
              "route      reply on site (generic), team support, priority high, "
              "rule care/complaint");
    EXPECT_TRUE(contains(r.out, "\ntext\n  Sorry Sam\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "\nin reply to Sam (@sam)\n  my bike is broken\n")) << r.out;

    const auto json = ctl({"show", id, "--json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(boost::json::parse(json.out), boost::json::value(draft(id)));
}

TEST_F(rapportctl_drafts, approve_with_text_and_a_note) {
    const std::string id = draft_for("m1");
    const auto r =
        ctl({"approve", id, "--text", "Sorry Sam, on it", "--note", "checked", "--version", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "state      approved by alice at ")) << r.out;
    EXPECT_TRUE(contains(r.out, "note       checked\n")) << r.out;
    EXPECT_TRUE(contains(r.out, "\ntext\n  Sorry Sam, on it\nas first drafted\n  Sorry Sam\n"))
        << r.out;
    const auto d = draft(id);
    EXPECT_EQ(d.at("text").as_string(), "Sorry Sam, on it");
    EXPECT_EQ(d.at("note").as_string(), "checked");
    EXPECT_EQ(d.at("decided_by").as_string(), "alice");
}

TEST_F(rapportctl_drafts, approve_with_edit_approves_what_the_editor_left) {
    const std::string id = draft_for("m1");
    // The editor gets the current text in a file, and notes the file's name.
    const std::string editor =
        script("edit.sh", "echo \"$1\" > \"" + (dir_ / "edited-path").string() +
                              "\"\nsed -i 's/Sorry/Apologies/' \"$1\"");
    // VISUAL wins over EDITOR, as in git.
    const auto r = ctl({"approve", id, "--edit", "--json"}, {"VISUAL=" + editor, "EDITOR=false"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto answer = boost::json::parse(r.out).as_object();
    EXPECT_EQ(answer.at("state").as_string(), "approved");
    EXPECT_EQ(answer.at("text").as_string(), "Apologies Sam"); // the editor's newline dropped
    EXPECT_EQ(answer.at("version").as_int64(), 2);
    std::ifstream seen(dir_ / "edited-path");
    std::string path;
    std::getline(seen, path);
    EXPECT_TRUE(path.ends_with(".txt")) << path;
    EXPECT_FALSE(fs::exists(path)) << "the temporary file is removed";
}

TEST_F(rapportctl_drafts, a_refused_edit_is_kept_for_the_person) {
    const std::string id = draft_for("m1");
    const std::string editor = script("edit.sh", "echo 'Sorry Sam, my careful words' > \"$1\"");
    // Someone else changed the draft since version 1 (as far as this approval knows).
    const auto r = ctl({"approve", id, "--edit", "--version", "7"}, {"EDITOR=" + editor});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(r.err.starts_with("rapportctl drafts: conflict: ")) << r.err;
    const auto at = r.err.find("; the edited text is kept in ");
    ASSERT_NE(at, std::string::npos) << r.err;
    const std::string kept = r.err.substr(at + 29, r.err.size() - at - 30);
    std::ifstream in(kept);
    std::string text;
    std::getline(in, text);
    EXPECT_EQ(text, "Sorry Sam, my careful words") << kept;
    fs::remove(kept);
}

TEST_F(rapportctl_drafts, an_edit_that_changes_nothing_or_fails_approves_nothing) {
    const std::string id = draft_for("m1");
    const auto same = ctl({"approve", id, "--edit"}, {"EDITOR=true"});
    EXPECT_EQ(same.exit_code, 1);
    EXPECT_TRUE(contains(same.err, "the text is unchanged; draft " + id + " was not approved"))
        << same.err;
    const auto emptied =
        ctl({"approve", id, "--edit"}, {"EDITOR=" + script("empty.sh", ": > \"$1\"")});
    EXPECT_EQ(emptied.exit_code, 1);
    EXPECT_TRUE(contains(emptied.err, "the edited text is empty")) << emptied.err;
    const auto failed = ctl({"approve", id, "--edit"}, {"EDITOR=false"});
    EXPECT_EQ(failed.exit_code, 1);
    EXPECT_TRUE(contains(failed.err, "the editor (false) exited with status 1")) << failed.err;
    const auto d = draft(id);
    EXPECT_EQ(d.at("state").as_string(), "pending");
    EXPECT_EQ(d.at("version").as_int64(), 1);

    // A decided draft is not opened in the editor at all.
    ASSERT_EQ(ctl({"reject", id}).exit_code, 0);
    const auto decided = ctl({"approve", id, "--edit"}, {"EDITOR=true"});
    EXPECT_EQ(decided.exit_code, 1);
    EXPECT_TRUE(contains(decided.err, "is rejected, so its text can no longer be edited"))
        << decided.err;
}

TEST_F(rapportctl_drafts, reject_with_a_reason) {
    const std::string id = draft_for("m1");
    const auto r = ctl({"reject", id, "--reason", "answered by phone"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "state      rejected by alice at ")) << r.out;
    EXPECT_TRUE(contains(r.out, "reason     answered by phone\n")) << r.out;
    EXPECT_EQ(draft(id).at("state").as_string(), "rejected");
}

TEST_F(rapportctl_drafts, the_token_can_come_from_a_file) {
    const std::string id = draft_for("m1");
    const auto file = temp_.write("token", "carol\n").string();
    const auto r = ctl({"approve", id, "--token-file", file}, {"RAPPORT_TOKEN"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "approved by carol")) << r.out;

    const auto missing = ctl({"list", "--token-file", (dir_ / "nope").string()});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_TRUE(contains(missing.err, "cannot read the token file")) << missing.err;
}

TEST_F(rapportctl_drafts, refusals_are_one_clear_line_and_exit_1) {
    const std::string id = draft_for("m1");

    const auto unauthorized = ctl({"list"}, {"RAPPORT_TOKEN=not-a-real-token"});
    EXPECT_EQ(unauthorized.exit_code, 1);
    EXPECT_EQ(unauthorized.err,
              "rapportctl drafts: the token was refused: check RAPPORT_TOKEN or --token-file\n");
    EXPECT_EQ(unauthorized.out, "");

    const auto forbidden = ctl({"approve", id}, {"RAPPORT_TOKEN=bob"});
    EXPECT_EQ(forbidden.exit_code, 1);
    // The rest of the line is the server's explanation.
    EXPECT_TRUE(forbidden.err.starts_with("rapportctl drafts: not your team: draft " + id +
                                          " belongs to team 'support'"))
        << forbidden.err;

    const auto missing = ctl({"show", "d-0000000000000"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.err, "rapportctl drafts: no such draft: d-0000000000000\n");

    const auto blocked = ctl({"approve", id, "--text", "Fixed, guaranteed"});
    EXPECT_EQ(blocked.exit_code, 1);
    EXPECT_TRUE(blocked.err.starts_with("rapportctl drafts: draft " + id +
                                        " cannot be approved as is: the text contains the "
                                        "blocked phrase \"guaranteed\""))
        << blocked.err;
    EXPECT_TRUE(
        blocked.err.ends_with("; change it with `rapportctl drafts approve " + id + " --edit`\n"))
        << blocked.err;

    ASSERT_EQ(ctl({"reject", id}).exit_code, 0);
    const auto conflict = ctl({"approve", id});
    EXPECT_EQ(conflict.exit_code, 1);
    EXPECT_TRUE(
        conflict.err.starts_with("rapportctl drafts: conflict: someone decided or edited "
                                 "draft " +
                                 id + " since: "))
        << conflict.err;
    EXPECT_TRUE(conflict.err.ends_with("; see `rapportctl drafts show " + id + "`\n"))
        << conflict.err;

    const std::string nowhere = "http://127.0.0.1:" + std::to_string(closed_port());
    const auto refused = ctl({"list", "--url", nowhere}, {"RAPPORT_TOKEN=not-a-real-token"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_TRUE(refused.err.starts_with("rapportctl drafts: cannot connect to " + nowhere + ": "))
        << refused.err;
    EXPECT_TRUE(contains(refused.err, "is rapportd running there?")) << refused.err;

    // The token never shows, whether the server refused it or could not be reached.
    for (const auto* r : {&unauthorized, &refused}) {
        EXPECT_FALSE(contains(r->out + r->err, "not-a-real-token")) << r->err;
    }
}

TEST_F(rapportctl_drafts, usage_errors_exit_2) {
    const auto no_token = ctl({"list"}, {"RAPPORT_TOKEN"});
    EXPECT_EQ(no_token.exit_code, 2);
    EXPECT_EQ(no_token.err,
              "rapportctl drafts: no token: set RAPPORT_TOKEN or pass --token-file FILE\n");
    EXPECT_EQ(ctl({"approve", "d-1", "--text", "x", "--edit"}).exit_code, 2);
    EXPECT_EQ(ctl({"approve"}).exit_code, 2);
    EXPECT_EQ(ctl({"list", "--limit", "0"}).exit_code, 2);
    EXPECT_EQ(ctl({}).exit_code, 2);
    const auto plain = ctl({"list", "--url", "http://192.0.2.1:8080"});
    EXPECT_EQ(plain.exit_code, 2);
    EXPECT_TRUE(contains(plain.err, "use https://")) << plain.err;
}

// ---- the refusal lines, from canned answers ----------------------------------------------

using rapport::tools::describe_refusal;

TEST(rapportctl_drafts_refusal, unprocessable_names_the_problem_and_suggests_edit) {
    EXPECT_EQ(describe_refusal(422,
                               R"({"error":"unprocessable","message":"the text contains the )"
                               R"(blocked phrase 'guaranteed'"})",
                               "d-1"),
              "draft d-1 cannot be approved as is: the text contains the blocked phrase "
              "'guaranteed'; change it with `rapportctl drafts approve d-1 --edit`");
}

TEST(rapportctl_drafts_refusal, each_status_says_what_happened) {
    const std::string body = R"({"error":"x","message":"the server's words"})";
    EXPECT_EQ(describe_refusal(401, body, "d-1"),
              "the token was refused: check RAPPORT_TOKEN or --token-file");
    EXPECT_EQ(describe_refusal(403, body, "d-1"), "not your team: the server's words");
    EXPECT_EQ(describe_refusal(404, body, "d-1"), "no such draft: d-1");
    EXPECT_EQ(describe_refusal(404, body, ""),
              "not found: the server's words (does --url point at rapportd?)");
    EXPECT_EQ(describe_refusal(409, body, "d-1"),
              "conflict: someone decided or edited draft d-1 since: the server's words; see "
              "`rapportctl drafts show d-1`");
    EXPECT_EQ(describe_refusal(400, body, "d-1"),
              "rapportd refused the request: the server's words");
    EXPECT_EQ(describe_refusal(503, body, ""),
              "rapportd is not ready: the server's words; try again in a moment");
    EXPECT_EQ(describe_refusal(500, body, ""), "rapportd failed (HTTP 500): the server's words");
    EXPECT_EQ(describe_refusal(418, "", ""), "unexpected answer from rapportd (HTTP 418)");
}

TEST(rapportctl_drafts_refusal, a_body_that_is_not_ours_is_shown_safely) {
    // A proxy's page: its first line, with the escape sequence defused.
    EXPECT_EQ(describe_refusal(502, "Bad \x1b[2Jgateway\n<html>...", ""),
              "rapportd failed (HTTP 502): Bad \xEF\xBF\xBD[2Jgateway");
}

} // namespace
