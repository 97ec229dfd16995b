#include "exec/undo.hpp"

#include <cstdlib>
#include <set>
#include <utility>

#include "exec/beneath.hpp"
#include "exec/blob_store.hpp"
#include "exec/file_tools.hpp"
#include "platform/sha256.hpp"

namespace airlock::exec {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string string_field(const json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

Result<mode_t> parse_mode(const json& previous) {
    const std::string text = string_field(previous, "mode");
    char* end = nullptr;
    const long mode = std::strtol(text.c_str(), &end, 8);
    if (text.empty() || *end != '\0' || mode < 0 || mode > 07777)
        return make_error("undo", "the recorded mode \"" + text + "\" is not an octal mode");
    return static_cast<mode_t>(mode);
}

}  // namespace

std::vector<UndoableWrite> undoable_writes(const std::vector<wal::Record>& records,
                                           const fs::path& wal_file) {
    std::vector<UndoableWrite> writes;
    std::set<std::uint64_t> undone;  // seqs of this run already undone within it
    for (const auto& r : records) {
        const json data = json::parse(r.data.dump());
        if (r.type == "undo" && data.contains("target") && data["target"].is_object() &&
            string_field(data["target"], "run_id") == r.run_id && data["target"].contains("seq") &&
            data["target"]["seq"].is_number_unsigned())
            undone.insert(data["target"]["seq"].get<std::uint64_t>());
        if ((r.type != "file_written" && r.type != "undo") || !data.contains("previous") ||
            !data["previous"].is_object())
            continue;
        if (r.type == "undo" && string_field(data, "action") == "unchanged") continue;
        UndoableWrite w;
        w.run_id = r.run_id;
        w.seq = r.seq;
        w.call_id = r.call_id;
        w.path = string_field(data, "path");
        w.written_sha256 = string_field(data, "sha256");
        w.previous = data["previous"];
        w.blobs = blobs_dir(wal_file);
        writes.push_back(std::move(w));
    }
    std::erase_if(writes, [&](const UndoableWrite& w) { return undone.count(w.seq) > 0; });
    return writes;
}

Result<json> undo_write(const fs::path& workspace, const UndoableWrite& write,
                        const fs::path& own_blobs) {
    // The log is evidence, not trusted input: its path goes through the same checks as a call's.
    auto relative = validate_file_path(workspace, write.path);
    if (!relative) return relative.error();
    auto root = open_directory(workspace);
    if (!root) return root.error();
    auto current = read_state_beneath(root->get(), *relative);
    if (!current) return current.error();

    const bool existed = write.previous.value("existed", false);
    std::string content;
    mode_t mode = 0;
    if (existed) {
        auto blob = load_blob(write.blobs, string_field(write.previous, "sha256"));
        if (!blob) return blob.error();
        auto parsed = parse_mode(write.previous);
        if (!parsed) return parsed.error();
        content = std::move(blob).value();
        mode = *parsed;
    }

    json data = {
        {"target", {{"run_id", write.run_id}, {"seq", write.seq}, {"call_id", write.call_id}}},
        {"path", relative->string()}};
    const bool already =
        existed ? current->exists && current->content == content && current->mode == mode
                : !current->exists;
    if (already) {
        data["action"] = "unchanged";
        data["sha256"] = existed ? json(sha256_hex(content)) : json(nullptr);
        return data;
    }
    const bool as_left =
        write.written_sha256.empty()
            ? !current->exists
            : current->exists && sha256_hex(current->content) == write.written_sha256;
    if (!as_left)
        return make_error("undo", "\"" + relative->string() + "\" changed after " + write.run_id +
                                      " seq " + std::to_string(write.seq) +
                                      " wrote it; not overwriting that change");

    auto kept = keep_previous(workspace, *relative, own_blobs);
    if (!kept) return kept.error();
    data["previous"] = std::move(kept).value();
    if (existed) {
        if (auto put = put_file_beneath(root->get(), *relative, content, mode); !put)
            return put.error();
        data["action"] = "restored";
        data["sha256"] = sha256_hex(content);
    } else {
        std::optional<fs::path> created_dir;
        if (const std::string dir = string_field(write.previous, "created_dir"); !dir.empty())
            created_dir = fs::path(dir);
        if (auto removed = remove_file_beneath(root->get(), *relative, created_dir); !removed)
            return removed.error();
        data["action"] = "removed";
        data["sha256"] = nullptr;
    }
    return data;
}

}  // namespace airlock::exec
