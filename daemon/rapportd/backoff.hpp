// Backoff for the daemon's loops that retry a platform or a receiver (the notifier, the Slack
// approval surface, the Telegram poller): one rule for how long to wait.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>

namespace rapport::daemon {

/// `backoff` less a random part of up to half of it, so that loops backing off from one outage
/// do not all try again at the same moment.
[[nodiscard]] inline std::chrono::steady_clock::duration jittered(
    std::chrono::steady_clock::duration backoff, std::mt19937_64& random) {
    using steady = std::chrono::steady_clock;
    const auto spread = std::max<steady::rep>(1, backoff.count() / 2);
    return backoff - steady::duration{static_cast<steady::rep>(random() % spread)};
}

/// The pauses between tries of one delivery: each the current step, jittered, but never shorter
/// than what the other side asked for (Retry-After); the step doubles up to `ceiling`.
class retry_backoff {
public:
    using duration = std::chrono::steady_clock::duration;

    retry_backoff(duration first, duration ceiling) : step_(first), ceiling_(ceiling) {}

    [[nodiscard]] duration next(std::optional<std::chrono::seconds> asked,
                                std::mt19937_64& random) {
        duration pause = jittered(step_, random);
        if (asked) {
            pause = std::max<duration>(pause, *asked);
        }
        step_ = std::min(step_ * 2, ceiling_);
        return pause;
    }

private:
    duration step_;
    duration ceiling_;
};

} // namespace rapport::daemon
