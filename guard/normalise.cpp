#include "guard/normalise.hpp"

#include <array>
#include <cstddef>

namespace airlock::guard::detail {
namespace {

constexpr int kMaxUnwrapLevels = 16;  // nested find -exec / wrappers per command

// How a wrapper program is called: which options take a value, how many positional words
// precede the wrapped command, whether NAME=value words may follow.
struct WrapperSpec {
    std::string_view name;
    std::array<std::string_view, 16> value_options{};
    int positional_skip = 0;
    bool assignments = false;
};

constexpr std::array<WrapperSpec, 18> kWrappers = {{
    {"command", {}, 0, false},
    {"builtin", {}, 0, false},
    {"exec", {"-a"}, 0, false},
    {"nohup", {}, 0, false},
    {"time", {"-f", "-o", "--format", "--output"}, 0, false},
    {"nice", {"-n", "--adjustment"}, 0, false},
    {"ionice", {"-c", "-n", "-p", "-P", "-u", "--class", "--classdata"}, 0, false},
    {"timeout", {"-s", "-k", "--signal", "--kill-after"}, 1, false},
    {"env", {"-u", "-C", "--unset", "--chdir"}, 0, true},
    {"sudo",
     {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group", "--chdir",
      "--host", "--prompt", "--role"},
     0,
     true},
    {"doas", {"-u", "-C"}, 0, false},
    {"pkexec", {"--user"}, 0, false},
    {"xargs",
     {"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--arg-file", "--delimiter", "--max-args",
      "--max-procs", "--max-lines", "--max-chars", "--eof"},
     0,
     false},
    {"stdbuf", {"-i", "-o", "-e"}, 0, false},
    {"setsid", {}, 0, false},
    {"watch", {"-n", "--interval"}, 0, false},
    {"busybox", {}, 0, false},
    {"chroot", {"--userspec", "--groups"}, 1, false},
}};

const WrapperSpec* find_wrapper(std::string_view name) {
    for (const auto& w : kWrappers)
        if (w.name == name) return &w;
    return nullptr;
}

bool takes_value(const WrapperSpec& spec, std::string_view option) {
    for (auto v : spec.value_options)
        if (!v.empty() && v == option) return true;
    return false;
}

bool is_assignment(const Word& w) {
    return w.assign_eq != std::string::npos && !w.quoted;
}

// A NAME=value word given as argv (no shell quoting to tell it apart).
bool looks_like_assignment(std::string_view text) {
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    for (std::size_t i = 0; i < eq; ++i) {
        const char c = text[i];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                        (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

std::string join_words(const std::vector<Word>& words, std::size_t from, bool& dynamic) {
    std::string out;
    for (std::size_t i = from; i < words.size(); ++i) {
        if (i > from) out += ' ';
        out += words[i].text;
        dynamic = dynamic || words[i].dynamic;
    }
    return out;
}

class Normaliser {
  public:
    Normaliser(NormaliseSink& sink) : sink_(sink) {}

    int run(const std::vector<Word>& words, std::size_t i, Segment seg, int level);

  private:
    // Skips a wrapper's options (and NAME=value words); returns the index of the wrapped
    // command, or words.size() when there is none.
    std::size_t skip_wrapper(const WrapperSpec& spec, const std::vector<Word>& words, std::size_t i,
                             Segment& seg);
    int finish(const std::vector<Word>& words, std::size_t i, Segment seg);
    int run_shell(const std::vector<Word>& words, std::size_t i, Segment seg);
    void run_find_execs(const std::vector<Word>& words, std::size_t i, const Segment& seg,
                        int level);

    NormaliseSink& sink_;
};

std::size_t Normaliser::skip_wrapper(const WrapperSpec& spec, const std::vector<Word>& words,
                                     std::size_t i, Segment& seg) {
    const std::size_t n = words.size();
    while (i < n) {
        const std::string& w = words[i].text;
        if (w == "--") {
            ++i;
            break;
        }
        if (spec.assignments && (is_assignment(words[i]) || looks_like_assignment(w))) {
            seg.assignment_keys.push_back(w.substr(0, w.find('=')));
            ++i;
            continue;
        }
        if (w.size() < 2 || w[0] != '-') break;
        if (spec.name == "command" && (w == "-v" || w == "-V")) return n;  // a lookup, no run
        if (spec.name == "env" && (w == "-S" || w.rfind("--split-string", 0) == 0 ||
                                   (w.size() > 2 && w.rfind("-S", 0) == 0))) {
            // env -S 'cmd args' splits its argument like a shell would.
            return n + 1;
        }
        if (takes_value(spec, w)) {
            i += 2;
        } else {
            ++i;
        }
    }
    for (int k = 0; k < spec.positional_skip && i < n; ++k)
        ++i;
    return i;
}

int Normaliser::finish(const std::vector<Word>& words, std::size_t i, Segment seg) {
    seg.program_path = words[i].text;
    seg.program_dynamic = words[i].dynamic;
    seg.argv.reserve(words.size() - i);
    for (std::size_t k = i; k < words.size(); ++k) {
        seg.argv.push_back(words[k].text);
        seg.dynamic = seg.dynamic || words[k].dynamic;
        seg.escaped = seg.escaped || words[k].escaped;
    }
    seg.argv[0] = std::string(program_basename(seg.program_path));
    return sink_.emit(std::move(seg));
}

int Normaliser::run_shell(const std::vector<Word>& words, std::size_t i, Segment seg) {
    // words[i] is a shell; find `-c` among its options (also -lc, -ec, -xc...).
    const std::size_t n = words.size();
    bool has_c = false;
    std::size_t k = i + 1;
    while (k < n) {
        const std::string& w = words[k].text;
        if (w == "--") {
            ++k;
            break;
        }
        if (w.size() < 2 || (w[0] != '-' && w[0] != '+')) break;
        if (w == "-o" || w == "+o" || w == "-O" || w == "+O" || w == "--rcfile" ||
            w == "--init-file") {
            k += 2;
            continue;
        }
        if (w[1] != '-' && w.find('c') != std::string::npos) has_c = true;
        ++k;
    }
    if (!has_c || k >= n || words[k].dynamic) return finish(words, i, std::move(seg));
    const std::string shell(program_basename(words[i].text));
    std::vector<std::string> wrappers = seg.wrappers;
    wrappers.push_back(shell);
    int owner = -1;
    if (!seg.redirects.empty()) {
        Segment carrier = seg;  // the shell's own redirections stay visible
        carrier.argv.clear();
        carrier.program_path.clear();
        owner = sink_.emit(std::move(carrier));
    }
    sink_.nested_script(words[k].text, wrappers);
    return owner;
}

void Normaliser::run_find_execs(const std::vector<Word>& words, std::size_t i, const Segment& seg,
                                int level) {
    const std::size_t n = words.size();
    Word start;
    start.text = ".";
    for (std::size_t k = i + 1; k < n; ++k) {
        const std::string& w = words[k].text;
        if (w.empty() || w[0] == '-' || w == "(" || w == "!") break;
        start = words[k];
        break;
    }
    for (std::size_t k = i + 1; k < n; ++k) {
        const std::string& w = words[k].text;
        if (w != "-exec" && w != "-execdir" && w != "-ok" && w != "-okdir") continue;
        std::size_t end = k + 1;
        while (end < n && words[end].text != ";" && words[end].text != "+")
            ++end;
        if (end > k + 1) {
            std::vector<Word> inner(words.begin() + static_cast<std::ptrdiff_t>(k + 1),
                                    words.begin() + static_cast<std::ptrdiff_t>(end));
            // {} stands for each path found, the starting point included.
            for (auto& w : inner)
                if (w.text == "{}") w = start;
            Segment child;
            child.depth = seg.depth;
            child.pipeline = seg.pipeline;
            child.pipe_position = seg.pipe_position;
            child.function = seg.function;
            child.wrappers = seg.wrappers;
            child.wrappers.push_back("find");
            run(inner, 0, std::move(child), level + 1);
        }
        k = end;
    }
}

int Normaliser::run(const std::vector<Word>& words, std::size_t i, Segment seg, int level) {
    if (level > kMaxUnwrapLevels) {
        sink_.problem("wrappers nested deeper than " + std::to_string(kMaxUnwrapLevels));
        return -1;
    }
    const std::size_t n = words.size();
    std::size_t last_wrapper = n;
    while (i < n && !words[i].dynamic) {
        const std::string_view name = program_basename(words[i].text);
        const WrapperSpec* spec = find_wrapper(name);
        if (spec == nullptr) break;
        const std::size_t next = skip_wrapper(*spec, words, i + 1, seg);
        if (next == n + 1) {
            // env -S: the rest is a command line split like a shell would.
            bool dynamic = false;
            std::size_t s = i + 1;
            while (s < n && words[s].text.rfind("-S", 0) != 0 &&
                   words[s].text.rfind("--split-string", 0) != 0)
                ++s;
            if (s >= n) return finish(words, i, std::move(seg));
            std::string script = words[s].text;
            const auto eq = script.find('=');
            if (script.rfind("--split-string", 0) == 0) {
                script = eq == std::string::npos ? std::string() : script.substr(eq + 1);
            } else {
                script = script.substr(2);
            }
            if (script.empty() && s + 1 < n) {
                ++s;
                script = words[s].text;
                dynamic = words[s].dynamic;
            }
            const std::string rest = join_words(words, s + 1, dynamic);
            if (!script.empty() && !rest.empty()) script.push_back(' ');
            script.append(rest);
            if (dynamic) return finish(words, i, std::move(seg));
            seg.wrappers.push_back(std::string(name));
            sink_.nested_script(script, seg.wrappers);
            return -1;
        }
        if (next >= n) break;  // a wrapper with nothing to wrap is the command itself
        seg.wrappers.push_back(std::string(name));
        last_wrapper = i;
        i = next;
    }
    (void)last_wrapper;
    if (i >= n) {
        if (n == 0) return -1;
        // Only wrappers (`sudo -i`, `env`, `nohup`): the last one is the program.
        std::size_t k = n;
        while (k > 0 && find_wrapper(program_basename(words[k - 1].text)) == nullptr)
            --k;
        const std::size_t start = k == 0 ? 0 : k - 1;
        if (!seg.wrappers.empty() && k > 0) seg.wrappers.pop_back();
        return finish(words, start, std::move(seg));
    }
    if (words[i].dynamic) return finish(words, i, std::move(seg));

    const std::string_view name = program_basename(words[i].text);
    if (is_shell(name)) return run_shell(words, i, std::move(seg));
    if (name == "eval" || name == "trap" || name == "su" || name == "runuser") {
        const Segment outer = seg;
        const int owner = finish(words, i, std::move(seg));
        bool dynamic = false;
        std::string script;
        if (name == "eval") {
            script = join_words(words, i + 1, dynamic);
        } else if (name == "trap") {
            if (i + 1 < n) {
                script = words[i + 1].text;
                dynamic = words[i + 1].dynamic;
            }
        } else {
            for (std::size_t k = i + 1; k + 1 < n; ++k) {
                if (words[k].text == "-c" || words[k].text == "--command") {
                    script = words[k + 1].text;
                    dynamic = words[k + 1].dynamic;
                    break;
                }
            }
        }
        if (!script.empty() && !dynamic) {
            std::vector<std::string> wrappers = outer.wrappers;
            wrappers.push_back(std::string(name));
            sink_.nested_script(script, wrappers);
        }
        return owner;
    }
    if (name == "find") {
        const Segment outer = seg;
        const int owner = finish(words, i, std::move(seg));
        Segment inner_base = outer;
        inner_base.redirects.clear();
        inner_base.assignment_keys.clear();
        run_find_execs(words, i, inner_base, level);
        return owner;
    }
    return finish(words, i, std::move(seg));
}

}  // namespace

std::string_view program_basename(std::string_view path) {
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos || slash + 1 == path.size()) return path;
    return path.substr(slash + 1);
}

bool is_shell(std::string_view p) {
    return p == "sh" || p == "bash" || p == "zsh" || p == "dash" || p == "ksh" || p == "mksh" ||
           p == "ash" || p == "yash" || p == "posh" || p == "fish" || p == "rbash";
}

int normalise_command(const std::vector<Word>& words, Segment base, NormaliseSink& sink) {
    Normaliser n(sink);
    return n.run(words, 0, std::move(base), 0);
}

}  // namespace airlock::guard::detail
