// Shared by the fuzz targets: an invariant check that stops the run with a message, so
// libFuzzer (or the corpus replay under ctest) records the input that broke it.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace rapport::fuzz {

/// Aborts with `what` on stderr when `ok` is false. Active in every build type: a fuzz
/// target's checks are the point of running it, so they must not vanish under NDEBUG.
inline void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
        std::abort();
    }
}

} // namespace rapport::fuzz
