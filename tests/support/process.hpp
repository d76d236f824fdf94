// Running a program of ours as a child process in tests, as a user would from a shell.
#pragma once

#include <string>
#include <vector>

namespace rapport::testing {

struct process_result {
    int exit_code = -1; // -1: killed by a signal or could not start
    std::string out;
    std::string err;
};

/// Runs `argv` (argv[0] is the program path) with `input` on its standard input and waits for
/// it, collecting both output streams. `cwd` (if not empty) is its working directory. `env`
/// entries `NAME=value` set a variable for the child only, and a bare `NAME` removes one; the
/// rest of the environment is inherited.
process_result run_process(const std::vector<std::string>& argv,
                           const std::string& input = {},
                           const std::string& cwd = {},
                           const std::vector<std::string>& env = {});

} // namespace rapport::testing
