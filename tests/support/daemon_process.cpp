#include "tests/support/daemon_process.hpp"

#include "tests/support/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <sstream>
#include <thread>

namespace rapport::testing {

daemon_process::daemon_process(std::vector<std::string> argv,
                               std::filesystem::path cwd,
                               std::vector<std::string> env,
                               std::filesystem::path log)
    : log_(std::move(log)) {
    // Gone before the child starts, so nothing from an earlier run can be read as this one's.
    std::error_code ec;
    std::filesystem::remove(log_, ec);
    pid_ = fork();
    if (pid_ == 0) {
        const int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        const int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        if (chdir(cwd.c_str()) != 0) {
            _exit(127);
        }
        std::string journal_stream;
        for (auto& e : env) {
            if (e == "JOURNAL_STREAM=<stderr>") {
                // As systemd sets it: the device and inode of the stream stderr writes to.
                struct stat st {};
                fstat(fd, &st);
                journal_stream =
                    "JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
                putenv(journal_stream.data());
                continue;
            }
            putenv(e.data());
        }
        std::vector<char*> args;
        for (auto& a : argv) {
            args.push_back(a.data());
        }
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
}

daemon_process::~daemon_process() {
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
}

std::string daemon_process::log_text() const {
    return read_file(log_).value_or("");
}

std::optional<std::string> daemon_process::wait_for_log(const std::string& text,
                                                        std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        // Only whole lines: a line still being written may hold the text but not yet what
        // follows it (a port number cut after "port=").
        std::string whole_lines = log_text();
        const auto last_newline = whole_lines.rfind('\n');
        whole_lines.resize(last_newline == std::string::npos ? 0 : last_newline + 1);
        std::istringstream lines(whole_lines);
        for (std::string line; std::getline(lines, line);) {
            if (line.find(text) != std::string::npos) {
                return line;
            }
        }
        if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == pid_) {
            pid_ = -1; // exited before saying it
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
}

void daemon_process::signal(int signal) {
    if (pid_ > 0) {
        kill(pid_, signal);
    }
}

int daemon_process::wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) {
        return -1;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
}

} // namespace rapport::testing
