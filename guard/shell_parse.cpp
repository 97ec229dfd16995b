// Placeholder parser: argv calls only; shell strings are reported as not understood.
#include "guard/shell_parse.hpp"

#include <filesystem>

namespace airlock::guard {

Parse parse_argv(const std::vector<std::string>& argv) {
    Parse parse;
    if (argv.empty()) return parse;
    Segment seg;
    seg.argv = argv;
    seg.program_path = argv[0];
    seg.argv[0] = std::filesystem::path(argv[0]).filename().string();
    parse.segments.push_back(std::move(seg));
    return parse;
}

Parse parse_shell(std::string_view script) {
    Parse parse;
    parse.complete = false;
    parse.problems.push_back("shell parsing not implemented");
    (void)script;
    return parse;
}

}  // namespace airlock::guard
