// rapportd: the daemon (CONTRACT §1). `rapportd --config FILE` runs in the foreground under
// systemd (Type=notify); `--check` validates config, secrets and playbooks and exits.
#include "daemon/config/config.hpp"
#include "daemon/rapportd/application.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"rapportd: one-to-one conversations with human approval"};
    std::string config_file;
    bool check = false;
    app.add_option("--config", config_file, "Config file (YAML)")->required();
    app.add_flag("--check", check, "Validate config, secrets and playbooks, then exit");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }

    auto loaded = rapport::daemon::load_config(config_file);
    if (!loaded.value) {
        for (const auto& d : loaded.diagnostics) {
            std::cerr << rapport::rules::to_string(d) << '\n';
        }
        return 1;
    }
    if (check) {
        const auto problems = rapport::daemon::check_everything(*loaded.value);
        for (const auto& d : problems) {
            std::cout << rapport::rules::to_string(d) << '\n';
        }
        return problems.empty() ? 0 : 1;
    }
    return rapport::daemon::run_daemon(*loaded.value);
}
