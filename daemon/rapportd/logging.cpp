#include "daemon/rapportd/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace rapport::daemon {

namespace {

// `%*` in a pattern: the syslog priority of the line's level, which journald strips and keeps
// as the entry's PRIORITY (SyslogLevelPrefix=, on by default).
class syslog_priority final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg,
                const std::tm&,
                spdlog::memory_buf_t& dest) override {
        char priority = '6';
        switch (msg.level) {
            case spdlog::level::trace:
            case spdlog::level::debug:
                priority = '7';
                break;
            case spdlog::level::info:
                priority = '6';
                break;
            case spdlog::level::warn:
                priority = '4';
                break;
            case spdlog::level::err:
                priority = '3';
                break;
            case spdlog::level::critical:
                priority = '2';
                break;
            default:
                break;
        }
        const char text[] = {'<', priority, '>'};
        dest.append(text, text + sizeof text);
    }

    [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<syslog_priority>();
    }
};

spdlog::level::level_enum level_of(log_level level) {
    switch (level) {
        case log_level::debug:
            return spdlog::level::debug;
        case log_level::info:
            return spdlog::level::info;
        case log_level::warning:
            return spdlog::level::warn;
        case log_level::error:
            return spdlog::level::err;
    }
    return spdlog::level::info;
}

} // namespace

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) {
        return false;
    }
    unsigned long long device = 0;
    unsigned long long inode = 0;
    if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) {
        return false;
    }
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) {
        return false;
    }
    return static_cast<unsigned long long>(st.st_dev) == device &&
           static_cast<unsigned long long>(st.st_ino) == inode;
}

std::shared_ptr<spdlog::logger> make_logger(const config& c) {
    auto logger = spdlog::stderr_color_mt("rapportd");
    if (stderr_is_journal()) {
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<syslog_priority>('*').set_pattern("%*%v");
        logger->set_formatter(std::move(formatter));
    } else {
        // Colour only when stderr is a terminal (the sink checks).
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    }
    logger->set_level(level_of(c.log.level));
    // A crash must not lose the lines before it: flush warnings and errors at once.
    logger->flush_on(spdlog::level::warn);
    return logger;
}

} // namespace rapport::daemon
