// rapportctl: the command line for people who write playbooks and approve drafts.
#include "tools/commands.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
    using namespace rapport::tools;
    CLI::App app{"rapportctl: check, test and replay Rapport playbooks; approve drafts"};
    app.require_subcommand(1);
    app.set_help_all_flag("--help-all", "Show help for every subcommand");

    check_options check;
    std::vector<std::string> check_paths;
    std::string config_file;
    auto* check_cmd = app.add_subcommand(
        "check", "Validate playbooks (files or directories) and, with --config, the config");
    check_cmd->add_option("--config", config_file,
                          "rapportd config file (also checks teams and "
                          "accounts the playbooks name)");
    check_cmd->add_option("paths", check_paths, "Playbook files or directories");

    std::vector<std::string> test_paths;
    auto* test_cmd = app.add_subcommand("test", "Run playbook tests (*.test.yaml)");
    test_cmd->add_option("paths", test_paths, "Test files or directories")->required();

    std::vector<std::string> simulate_paths;
    auto* simulate_cmd = app.add_subcommand(
        "simulate", "Replay messages (JSON lines on stdin) and print one decision a line");
    simulate_cmd->add_option("--playbooks", simulate_paths, "Playbook file or directory")
        ->required();

    drafts_options drafts;
    auto* drafts_cmd = app.add_subcommand(
        "drafts", "List, show, approve and reject drafts through rapportd's API");
    drafts_cmd->require_subcommand(1);
    // Every leaf takes the connection options, so each one's --help shows them.
    const auto connection = [&drafts](CLI::App* cmd) {
        cmd->add_option("--url", drafts.url,
                        "rapportd's address (default: $RAPPORT_URL, else http://127.0.0.1:8080)");
        cmd->add_option("--token-file", drafts.token_file,
                        "File holding your bearer token (default: $RAPPORT_TOKEN)");
        cmd->add_flag("--json", drafts.json, "Print the server's JSON as it is, for scripts");
        return cmd;
    };
    auto* list_cmd = connection(drafts_cmd->add_subcommand("list", "Drafts, newest first"));
    list_cmd->add_option("--state", drafts.state,
                         "pending, approved, sending, sent, rejected, expired, failed or "
                         "needs_review");
    list_cmd->add_option("--team", drafts.team, "Only this team's drafts");
    list_cmd->add_option("--account", drafts.account, "Only this account's drafts");
    list_cmd
        ->add_option("--limit", drafts.limit,
                     "How many (default: one page of 50); more than 500 reads several pages")
        ->check(CLI::PositiveNumber);
    list_cmd->add_option("--after", drafts.after, "Continue from a `next` cursor");
    auto* show_cmd = connection(drafts_cmd->add_subcommand("show", "One draft in full"));
    show_cmd->add_option("id", drafts.id, "Draft id (d-...)")->required();
    auto* approve_cmd =
        connection(drafts_cmd->add_subcommand("approve", "Approve a draft, as it is or edited"));
    approve_cmd->add_option("id", drafts.id, "Draft id (d-...)")->required();
    auto* text_opt = approve_cmd->add_option("--text", drafts.text, "Approve this text instead");
    approve_cmd
        ->add_flag("--edit", drafts.edit,
                   "Edit the text in $VISUAL or $EDITOR (else vi) and approve the result")
        ->excludes(text_opt);
    approve_cmd->add_option("--note", drafts.note, "A note for the audit log");
    approve_cmd->add_option("--version", drafts.version,
                            "Approve only if the draft is still at this version");
    auto* reject_cmd = connection(drafts_cmd->add_subcommand("reject", "Reject a draft"));
    reject_cmd->add_option("id", drafts.id, "Draft id (d-...)")->required();
    reject_cmd->add_option("--reason", drafts.reason, "Why, for the audit log");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_usage;
    }

    const auto to_paths = [](const std::vector<std::string>& v) {
        return std::vector<std::filesystem::path>(v.begin(), v.end());
    };
    if (*check_cmd) {
        if (config_file.empty() && check_paths.empty()) {
            std::cerr << "rapportctl check: give playbook paths, --config FILE, or both\n";
            return exit_usage;
        }
        if (!config_file.empty()) {
            check.config = config_file;
        }
        check.paths = to_paths(check_paths);
        return run_check(check, std::cout, std::cerr);
    }
    if (*drafts_cmd) {
        drafts.action = *show_cmd      ? drafts_action::show
                        : *approve_cmd ? drafts_action::approve
                        : *reject_cmd  ? drafts_action::reject
                                       : drafts_action::list;
        detect_terminal(drafts);
        return run_drafts(drafts, std::cout, std::cerr);
    }
    if (*test_cmd) {
        return run_tests(to_paths(test_paths), std::cout, std::cerr);
    }
    std::ios::sync_with_stdio(false);
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return run_simulate(to_paths(simulate_paths), stdin, stdout, std::cerr, now);
}
