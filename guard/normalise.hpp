// Normalisation: strips wrappers (sudo, env, nice, timeout, xargs, command, exec...) from a
// simple command to reveal the program that really runs, and hands inline scripts
// (sh -c '...', eval, trap) back to the parser.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "guard/shell_lexer.hpp"
#include "guard/shell_parse.hpp"

namespace airlock::guard::detail {

class NormaliseSink {
  public:
    virtual ~NormaliseSink() = default;
    // Appends a finished segment; returns its index.
    virtual int emit(Segment segment) = 0;
    // Parses `script` one level deeper, its segments wrapped in `wrappers`.
    virtual void nested_script(std::string_view script,
                               const std::vector<std::string>& wrappers) = 0;
    virtual void problem(std::string what) = 0;
};

// `base` carries what the parser knows (redirects, assignments, depth, pipeline, outer
// wrappers); the result's argv/program_path/wrappers come from `words`.
// Returns the index of the segment that owns the command's redirections, or -1.
int normalise_command(const std::vector<Word>& words, Segment base, NormaliseSink& sink);

// The basename of a program path ("/usr/bin/rm" -> "rm").
std::string_view program_basename(std::string_view path);

// True for the shells whose `-c` argument is parsed recursively.
bool is_shell(std::string_view program);

}  // namespace airlock::guard::detail
