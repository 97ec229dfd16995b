// A shell-aware view of a command: what programs run, with which arguments and redirections.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::guard {

struct Redirect {
    std::string op;        // ">", ">>", "<", ">|", "<<", "2>&1", ...
    std::string target;    // file name or fd as written (after quote removal)
    bool dynamic = false;  // target contains an expansion not known statically
};

// One simple command after normalisation: wrappers stripped (`sudo`, `env X=1`, `nice`,
// `timeout 5`, `command`, `sh -c '...'`...), argv[0] reduced to its basename.
struct Segment {
    std::vector<std::string> argv;      // normalised argv; argv[0] is the program's basename
    std::string program_path;           // argv[0] as written after quote removal (/usr/bin/git)
    std::vector<std::string> wrappers;  // stripped wrappers, outermost first
    std::vector<std::string> assignment_keys;  // KEY of each KEY=value before the command
    std::vector<Redirect> redirects;
    bool dynamic = false;   // some word (or the program name) comes from an expansion
    int depth = 0;          // 0 top level; +1 inside sh -c, $(...), `...`, <(...)
    int pipeline = 0;       // index of the pipeline this segment belongs to
    int pipe_position = 0;  // position inside that pipeline (0 = first)
    // Added fields (additive to the original interface):
    bool program_dynamic = false;  // the program name itself comes from an expansion
    bool background = false;       // run with `&`
    int parent = -1;       // segment whose words hold the substitution that produced this one
    std::string function;  // name of the shell function whose body holds this command
    bool escaped = false;  // a word spells characters as $'...' escapes ($'\x72', $'\162')
};
// A segment with an empty argv carries redirections that belong to no program
// (`> /dev/sda`, `(cmd) > file`, `bash -c '...' > file`).

struct Parse {
    std::vector<Segment> segments;
    bool complete = true;                // false when some input was not understood
    std::vector<std::string> problems;   // why not complete (unterminated quote, depth limit...)
    std::vector<std::string> functions;  // added: names of shell functions the script defines
};

// Limits that keep parsing linear and bounded; input beyond them is reported incomplete.
inline constexpr std::size_t kMaxScriptBytes = 1024 * 1024;  // larger scripts are not parsed
inline constexpr int kMaxDepth = 8;     // sh -c / $(...) / `...` / <(...) / eval levels
inline constexpr int kMaxNesting = 64;  // groups and substitutions on the parser's stack
inline constexpr std::size_t kMaxSegments = 4096;

// Parses a shell string (as `/bin/sh -c` would run it).
Parse parse_shell(std::string_view script);

// Parses an argv call (no shell involved); unwraps `sh -c` and friends recursively.
Parse parse_argv(const std::vector<std::string>& argv);

}  // namespace airlock::guard
