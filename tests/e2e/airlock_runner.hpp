// Runs the real airlock binary in a scratch workspace and collects what it did.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "exec/process_runner.hpp"

namespace airlock::test {

namespace fs = std::filesystem;

struct Ran {
    int exit_code = -1;
    std::string out;
    std::string err;
    nlohmann::json json() const { return nlohmann::json::parse(out); }
};

// A fresh directory, removed at the end of the test.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "airlock-test.XXXXXX").string();
        path_ = fs::path(::mkdtemp(tmpl.data()));
        // mkdtemp makes it 0700. Run as root, airlock's sandbox is another user, who could not
        // even enter it: the tests' files outside the workspace must meet the sandbox's own
        // protections, not this directory's mode.
        fs::permissions(path_, fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

inline void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class Workspace {
  public:
    Workspace() : dir_(), ws_(dir_.path() / "ws"), home_(dir_.path() / "home") {
        fs::create_directories(ws_);
        fs::create_directories(home_);
    }
    const fs::path& path() const { return ws_; }
    const fs::path& outside() const { return dir_.path(); }

    // Runs `airlock ARGS...` with the workspace as cwd and an isolated HOME.
    Ran airlock(const std::vector<std::string>& args, const std::string& stdin_text = "",
                const std::vector<std::string>& extra_env = {}) const {
        const fs::path input = dir_.path() / "stdin";
        write_text(input, stdin_text);
        std::string command = "exec \"$0\" \"$@\" <" + quote(input.string());
        exec::ProcessSpec spec;
        spec.program = "/bin/sh";
        spec.argv = {"/bin/sh", "-c", command, AIRLOCK_BINARY};
        spec.argv.insert(spec.argv.end(), args.begin(), args.end());
        spec.envp = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home_.string(), "LANG=C.UTF-8"};
        // An extra variable replaces a default of the same name.
        for (const auto& extra : extra_env) {
            const std::string key = extra.substr(0, extra.find('=') + 1);
            std::erase_if(spec.envp, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
        }
        spec.envp.insert(spec.envp.end(), extra_env.begin(), extra_env.end());
        spec.cwd = ws_.string();
        exec::RunLimits limits;
        limits.timeout = std::chrono::seconds(60);
        limits.output_bytes = 16 << 20;
        auto r = exec::run_process(spec, limits);
        Ran ran;
        if (!r) return ran;
        ran.exit_code = r->exit_code;
        ran.out = r->stdout_bytes;
        ran.err = r->stderr_bytes;
        return ran;
    }

    // Every WAL record of every run in the workspace, oldest run first.
    std::vector<nlohmann::json> wal_records() const {
        std::vector<fs::path> files;
        const fs::path runs = ws_ / ".airlock" / "runs";
        if (fs::exists(runs))
            for (const auto& e : fs::directory_iterator(runs))
                files.push_back(e.path() / "events.jsonl");
        std::sort(files.begin(), files.end());
        std::vector<nlohmann::json> out;
        for (const auto& f : files) {
            std::ifstream in(f);
            for (std::string line; std::getline(in, line);)
                out.push_back(nlohmann::json::parse(line));
        }
        return out;
    }

    std::string wal_text() const {
        std::string all;
        const fs::path runs = ws_ / ".airlock" / "runs";
        if (fs::exists(runs))
            for (const auto& e : fs::directory_iterator(runs))
                all += read_text(e.path() / "events.jsonl");
        return all;
    }

    // The records of the run a --json result names.
    std::vector<nlohmann::json> run_records(const std::string& wal_path) const {
        std::vector<nlohmann::json> out;
        std::ifstream in(wal_path);
        for (std::string line; std::getline(in, line);)
            out.push_back(nlohmann::json::parse(line));
        return out;
    }

  private:
    static std::string quote(const std::string& s) {
        std::string q = "'";
        for (char c : s)
            q += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return q + "'";
    }
    TempDir dir_;
    fs::path ws_;
    fs::path home_;
};

// True when some process on the host has `marker` in its command line.
inline bool process_with_marker_exists(const std::string& marker) {
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string cmdline = read_text(entry.path() / "cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        if (cmdline.find(marker) != std::string::npos) return true;
    }
    return false;
}

inline bool has_record(const std::vector<nlohmann::json>& records, const std::string& type) {
    for (const auto& r : records)
        if (r.at("type") == type) return true;
    return false;
}

inline nlohmann::json find_record(const std::vector<nlohmann::json>& records,
                                  const std::string& type) {
    for (const auto& r : records)
        if (r.at("type") == type) return r;
    return nullptr;
}

}  // namespace airlock::test
