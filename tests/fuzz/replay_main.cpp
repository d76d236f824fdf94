// main() for fuzz targets built without libFuzzer: runs LLVMFuzzerTestOneInput once over
// every file named on the command line (directories: every regular file in them, in name
// order), so ctest replays each corpus as a regression test.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool read_file(const std::filesystem::path& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path arg(argv[i]);
        std::error_code ec;
        if (std::filesystem::is_directory(arg, ec)) {
            std::vector<std::filesystem::path> found;
            for (const auto& entry : std::filesystem::recursive_directory_iterator(arg, ec)) {
                if (entry.is_regular_file()) {
                    found.push_back(entry.path());
                }
            }
            if (ec) {
                std::fprintf(stderr, "%s: %s\n", argv[i], ec.message().c_str());
                return 1;
            }
            std::sort(found.begin(), found.end());
            files.insert(files.end(), found.begin(), found.end());
        } else {
            files.push_back(arg);
        }
    }

    std::string bytes;
    std::size_t ran = 0;
    for (const auto& file : files) {
        if (!read_file(file, bytes)) {
            std::fprintf(stderr, "%s: cannot read\n", file.string().c_str());
            return 1;
        }
        // A copy in its own allocation, so ASan sees reads past the end of the input.
        const std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
        std::fprintf(stderr, "running %s (%zu bytes)\n", file.string().c_str(), input.size());
        LLVMFuzzerTestOneInput(input.data(), input.size());
        ++ran;
    }
    std::printf("ran %zu inputs\n", ran);
    return 0;
}
