// Shared helpers for the approvals tests.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "approvals/approvals.hpp"

namespace airlock::approvals::test {

inline ToolCall shell_call(std::vector<std::string> argv, std::string cwd = "") {
    ToolCall call;
    call.tool = Tool::shell_exec;
    call.call_id = "c1";
    call.argv = std::move(argv);
    call.cwd = std::move(cwd);
    return call;
}

inline ToolCall write_call(std::string path, std::string content) {
    ToolCall call;
    call.tool = Tool::file_write;
    call.call_id = "c1";
    call.path = std::move(path);
    call.content = std::move(content);
    return call;
}

inline ApprovalRequest request_for(const ToolCall& call, std::vector<std::string> env_keys = {}) {
    ApprovalRequest request;
    request.call = call;
    request.env_keys = std::move(env_keys);
    request.risk.level = guard::Level::high;
    request.risk.score = 70;
    request.risk.reasons.push_back({"rm_recursive", guard::Level::high, "recursive delete", 0});
    request.verdict.decision = policy::Decision::ask;
    request.verdict.rule = "ask-rm";
    request.verdict.reason = "removing files needs a person";
    request.key = approval_key(call, request.env_keys);
    return request;
}

// A directory removed with everything in it at the end of the test.
class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "airlock-approvals-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

    // An executable /bin/sh script.
    std::string script(const std::string& name, const std::string& body) const {
        const auto file = path_ / name;
        std::ofstream(file) << "#!/bin/sh\n" << body << "\n";
        ::chmod(file.c_str(), 0755);
        return file.string();
    }

  private:
    std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace airlock::approvals::test
