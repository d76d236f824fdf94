// A program of ours started in the background for an integration test: its stderr goes to a
// file the test can read, and it is stopped (SIGKILL as a last resort) when the test ends.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rapport::testing {

class daemon_process {
public:
    /// Starts `argv` in `cwd` with `env` added to the environment; stderr goes to `log`.
    /// The entry `JOURNAL_STREAM=<stderr>` becomes what systemd would set when stderr is the
    /// journal: the device and inode of that log file.
    daemon_process(std::vector<std::string> argv,
                   std::filesystem::path cwd,
                   std::vector<std::string> env,
                   std::filesystem::path log);
    ~daemon_process();
    daemon_process(const daemon_process&) = delete;
    daemon_process& operator=(const daemon_process&) = delete;

    /// Waits until a whole line of the log contains `text`; returns that line, or nullopt after
    /// `timeout` or when the process has exited.
    std::optional<std::string> wait_for_log(const std::string& text,
                                            std::chrono::milliseconds timeout);

    /// Sends `signal`.
    void signal(int signal);

    /// Waits for the process to exit; its exit code, or -1 for a signal or the timeout (after
    /// which it is killed).
    int wait(std::chrono::milliseconds timeout);

    [[nodiscard]] std::string log_text() const;

private:
    int pid_ = -1;
    std::filesystem::path log_;
};

} // namespace rapport::testing
