// The rapportctl subcommands (CONTRACT §1, §4, §5): the offline ones on playbooks, and `drafts`,
// a client of rapportd's approval API. Each takes its streams so tests can drive it in-process,
// and returns the process exit code.
#pragma once

#include "rules/time.hpp"

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::tools {

/// Exit codes shared by the subcommands.
enum exit_code : int { exit_ok = 0, exit_problems = 1, exit_usage = 2 };

struct check_options {
    std::optional<std::filesystem::path> config;
    std::vector<std::filesystem::path> paths;
};

/// `rapportctl check`: validates playbooks and, with a config, the config (and the playbooks
/// against its teams and accounts). Each problem is one line FILE:LINE:COL: error: MESSAGE on
/// `out`. 0 when all is well, 1 when there are problems.
int run_check(const check_options& options, std::ostream& out, std::ostream& err);

/// `rapportctl test`: runs playbook test files (or every *.test.yaml in the directories
/// given). Prints each failing case with expected vs actual and ends with `N passed, M failed`.
int run_tests(const std::vector<std::filesystem::path>& paths,
              std::ostream& out,
              std::ostream& err);

/// `rapportctl simulate`: replays messages (one JSON object a line) from `in`, writing one
/// decision a line to `out`. `now` is used for messages without created_at.
int run_simulate(const std::vector<std::filesystem::path>& playbooks,
                 std::FILE* in,
                 std::FILE* out,
                 std::ostream& err,
                 rules::time_point now);

/// What `rapportctl drafts` does.
enum class drafts_action { list, show, approve, reject };

/// `rapportctl drafts ...`, as parsed from the command line. Empty strings mean "not given".
struct drafts_options {
    drafts_action action = drafts_action::list;
    /// rapportd's base URL; empty: $RAPPORT_URL, else http://127.0.0.1:8080.
    std::string url;
    /// A file holding the bearer token (one trailing newline stripped); empty: $RAPPORT_TOKEN.
    std::string token_file;
    /// Print the server's JSON instead of a table or a view.
    bool json = false;
    /// Colour the output (stdout is a terminal, NO_COLOR unset).
    bool colour = false;
    /// Columns the table may use; 0: no limit, nothing is truncated.
    std::size_t width = 0;

    // list
    std::string state;
    std::string team;
    std::string account;
    std::string after;
    /// How many drafts to list; 0: the server's default page. More than a page follows `next`.
    int limit = 0;
    /// Largest page asked for at once: the server's maximum; smaller only in tests.
    int page_size_for_test = 500;

    // show, approve, reject
    std::string id;
    // approve
    std::optional<std::string> text;
    /// Edit the current text in $VISUAL / $EDITOR (else vi) and approve the result.
    bool edit = false;
    std::optional<std::string> note;
    std::optional<int> version;
    // reject
    std::optional<std::string> reason;
};

/// Fills `colour` and `width` from how stdout looks: a terminal gets colours (unless NO_COLOR
/// is set or TERM is dumb) and its width; $COLUMNS, when set, wins for the width.
void detect_terminal(drafts_options& options);

/// `rapportctl drafts`: one call (or, for a long list, a few) to rapportd's approval API. The
/// result goes to `out` (a table, a view of one draft, or the server's JSON); problems go to
/// `err` as one line. 0 when the server did what was asked, 1 when it refused or could not be
/// reached (or an edit was abandoned), 2 for usage errors (no token, conflicting options).
int run_drafts(const drafts_options& options, std::ostream& out, std::ostream& err);

/// The line printed for a non-2xx answer (CONTRACT §5.1): `status` and the body
/// `{"error", "message"}` (or anything else, for a proxy's error page), about draft `id` (empty
/// for a list). Says what to do next where there is something to do.
[[nodiscard]] std::string describe_refusal(unsigned status,
                                           std::string_view body,
                                           std::string_view id);

} // namespace rapport::tools
