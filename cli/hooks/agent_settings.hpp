// Where each agent keeps its hook settings, and airlock's entry in them: added, found and taken
// out again without touching anything else in the file.
#pragma once

#include <filesystem>
#include <string>

#include "platform/result.hpp"

namespace airlock::hooks {

struct SettingsFile {
    std::filesystem::path path;
    enum class Format { json_claude, json_gemini, json_cursor, toml_codex } format;
};

// The agent's settings file: --project (under `project`) or --user (under `home`).
Result<SettingsFile> settings_file(const std::string& agent, bool user,
                                   const std::filesystem::path& project,
                                   const std::filesystem::path& home);

// The text of the settings file with airlock's hook entry in it (replacing an older one of
// airlock's); `text` is the current content ("" when the file does not exist). An Error when the
// file cannot be read as its format: nothing is changed then.
Result<std::string> with_hook(const SettingsFile& file, const std::string& text,
                              const std::string& hook_command);
// The text without airlock's entry (unchanged when there is none).
Result<std::string> without_hook(const SettingsFile& file, const std::string& text);
// The command of airlock's entry, if the text has one.
Result<std::string> installed_hook(const SettingsFile& file, const std::string& text);

}  // namespace airlock::hooks
