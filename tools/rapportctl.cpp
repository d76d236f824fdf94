// rapportctl: the command line for people who write playbooks and approve drafts.
#include "tools/commands.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
    using namespace rapport::tools;
    CLI::App app{"rapportctl: check, test and replay Rapport playbooks"};
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
    if (*test_cmd) {
        return run_tests(to_paths(test_paths), std::cout, std::cerr);
    }
    std::ios::sync_with_stdio(false);
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return run_simulate(to_paths(simulate_paths), stdin, stdout, std::cerr, now);
}
