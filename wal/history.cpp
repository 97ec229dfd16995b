#include "wal/history.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/unique_fd.hpp"

namespace airlock::wal {

namespace {

constexpr std::size_t kBlock = 64 * 1024;

}  // namespace

History::History(std::filesystem::path file, std::string run_id, std::uint64_t tail_seq,
                 std::string tail_hash)
    : file_(std::move(file)),
      run_id_(std::move(run_id)),
      tail_seq_(tail_seq),
      tail_hash_(std::move(tail_hash)) {}

Result<void> History::newest_first(const std::function<bool(const Record&)>& visit) const {
    if (tail_seq_ == 0) return {};
    const std::string name = file_.string();
    UniqueFd fd(::open(file_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return sys_error("wal", "cannot open " + name, "open");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return sys_error("wal", "cannot stat " + name, "fstat");

    // `text` holds the file's bytes from `pos` up to the end of the newest unvisited line.
    off_t pos = st.st_size;
    std::string text;
    std::uint64_t seq = tail_seq_;      // the seq the next record visited must have
    std::string expected = tail_hash_;  // and its sha256
    auto broken = [&](const std::string& why) {
        return make_error("wal", "the run's log " + name + " is broken at line " +
                                     std::to_string(seq) + " (" + why +
                                     "); airlock does not decide on it (see airlock wal verify)");
    };
    while (seq > 0) {
        const std::size_t end = text.size();
        const std::size_t nl = end >= 2 ? text.rfind('\n', end - 2) : std::string::npos;
        if (nl == std::string::npos && pos > 0) {
            const auto chunk = static_cast<std::size_t>(std::min<off_t>(pos, kBlock));
            pos -= static_cast<off_t>(chunk);
            std::string block(chunk, '\0');
            if (::pread(fd.get(), block.data(), chunk, pos) != static_cast<ssize_t>(chunk))
                return sys_error("wal", "cannot read " + name, "pread");
            text.insert(0, block);
            continue;
        }
        if (end == 0 || text.back() != '\n') return broken("the line is not whole");
        const std::size_t start = nl == std::string::npos ? 0 : nl + 1;
        auto parsed = parse_record(std::string_view(text).substr(start, end - 1 - start));
        if (auto* fault = std::get_if<LineFault>(&parsed)) return broken(fault->reason);
        Record& r = std::get<Record>(parsed);
        r.line = seq;
        if (r.hash != expected)
            return broken(seq == tail_seq_ ? "the last line is not the verified tail"
                                           : "its sha256 is not the prev of the line after it");
        if (r.seq != seq) return broken("seq is " + std::to_string(r.seq));
        if (r.run_id != run_id_) return broken("run_id \"" + r.run_id + "\" is not the run's");
        if (seq == 1 &&
            (start != 0 || pos != 0 || r.type != "run_started" || r.prev != std::string(64, '0')))
            return broken("the first record is not a run_started that starts the file");
        if (!visit(r)) return {};
        expected = r.prev;
        --seq;
        text.resize(start);
    }
    return {};
}

}  // namespace airlock::wal
