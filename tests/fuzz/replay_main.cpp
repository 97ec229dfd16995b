// Replays files through a fuzz target without libFuzzer: how the seed corpus and every saved
// regression run in the normal test suite (any compiler, no sanitizer needed).
//
//   <target>_replay FILE|DIR...    (directories are read recursively, dot files skipped)
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_target.hpp"

namespace fs = std::filesystem;

namespace {

bool collect(const fs::path& arg, std::vector<fs::path>& out) {
    std::error_code ec;
    if (fs::is_regular_file(arg, ec)) {
        out.push_back(arg);
        return true;
    }
    if (!fs::is_directory(arg, ec)) {
        std::cerr << "replay: " << arg << " is neither a file nor a directory\n";
        return false;
    }
    for (const auto& entry : fs::recursive_directory_iterator(arg)) {
        if (entry.is_regular_file() && entry.path().filename().string().front() != '.')
            out.push_back(entry.path());
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " FILE|DIR...\n";
        return 2;
    }
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i)
        if (!collect(argv[i], files)) return 2;
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        // Replaying nothing would pass without checking anything.
        std::cerr << "replay: no input files\n";
        return 2;
    }
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            std::cerr << "replay: cannot read " << file << "\n";
            return 2;
        }
        const std::string bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
        // A crash or a broken invariant aborts here, naming the file on the line before.
        std::cerr << "replay: " << file.string() << "\n";
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::cout << "replayed " << files.size() << " inputs\n";
    return 0;
}
