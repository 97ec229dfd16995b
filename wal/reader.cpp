#include "wal/reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace airlock::wal {

namespace fs = std::filesystem;

LogReader::LogReader(UniqueFd fd, fs::path path, std::optional<std::string> run_id)
    : fd_(std::move(fd)), path_(std::move(path)), chain_(std::move(run_id)) {}

Result<LogReader> LogReader::open(const fs::path& file, std::optional<std::string> run_id) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sys_error("wal", "cannot open the WAL " + file.string(), "open");
    UniqueFd owned(fd);
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        return make_error("wal", file.string() + " is not a regular file");
    return LogReader(std::move(owned), file, std::move(run_id));
}

namespace {

// The last `want` bytes of the file (fewer when it is shorter), read without moving its offset.
Result<std::string> read_end(int fd, const fs::path& path, off_t size, off_t want) {
    const off_t start = size > want ? size - want : 0;
    std::string bytes(static_cast<std::size_t>(size - start), '\0');
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n =
            ::pread(fd, bytes.data() + got, bytes.size() - got, start + static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys_error("wal", "cannot read the WAL " + path.string(), "pread");
        if (n == 0) break;  // shrunk meanwhile: the caller finds no whole tail and reads it all
        got += static_cast<std::size_t>(n);
    }
    bytes.resize(got);
    return bytes;
}

}  // namespace

Result<LogReader> LogReader::open_at_tail(const fs::path& file, std::optional<std::string> run_id) {
    auto opened = open(file, run_id);
    if (!opened) return opened.error();
    LogReader reader = std::move(opened).value();
    struct stat st {};
    if (::fstat(reader.fd(), &st) != 0)
        return sys_error("wal", "cannot read the WAL " + file.string(), "fstat");
    // The last two lines: grow the window until it holds the newline before them, or the
    // whole file (then the log has at most two lines, and reading it all costs nothing).
    std::string tail;
    std::size_t before_last = std::string::npos, before_prev = std::string::npos;
    for (off_t want = 8192;; want *= 4) {
        auto bytes = read_end(reader.fd(), file, st.st_size, want);
        if (!bytes) return bytes.error();
        tail = std::move(bytes).value();
        if (tail.size() < 2 || tail.back() != '\n') return reader;  // empty, or a torn end
        before_last = tail.rfind('\n', tail.size() - 2);
        if (before_last != std::string::npos && before_last > 0)
            before_prev = tail.rfind('\n', before_last - 1);
        if (before_prev != std::string::npos) break;
        if (static_cast<off_t>(tail.size()) >= st.st_size) return reader;
    }
    auto prev =
        parse_record(std::string_view(tail).substr(before_prev + 1, before_last - before_prev - 1));
    auto last =
        parse_record(std::string_view(tail).substr(before_last + 1, tail.size() - before_last - 2));
    if (!std::holds_alternative<Record>(prev) || !std::holds_alternative<Record>(last))
        return reader;
    Record& p = std::get<Record>(prev);
    Record& l = std::get<Record>(last);
    // In an intact log, line n holds seq n; the line numbers only name places in messages.
    p.line = p.seq;
    l.line = p.seq + 1;
    ChainChecker chain(run_id);
    if (p.seq < 2 || !chain.resume_after(p) || chain.add(l)) return reader;
    reader.offset_ = st.st_size;
    reader.chain_ = std::move(chain);
    reader.lines_ = l.seq;
    return reader;
}

void LogReader::take_line(std::string line, std::vector<Record>& out) {
    ++lines_;
    if (unparsable_) {
        // A line that is not JSON is only a torn write when nothing follows it.
        break_ = ChainBreak{unparsable_->line, chain_.records() + 1,
                            "line " + std::to_string(unparsable_->line) + " is " +
                                unparsable_->reason + ", and more lines follow it"};
        return;
    }
    auto parsed = parse_record(line);
    if (auto* fault = std::get_if<LineFault>(&parsed)) {
        if (fault->not_json && !chain_.ended()) {
            unparsable_ = TornLine{lines_, line.size(), fault->reason};
            return;
        }
        break_ =
            ChainBreak{lines_, chain_.records() + 1,
                       chain_.ended() ? "a line follows the run's final record" : fault->reason};
        return;
    }
    Record record = std::get<Record>(std::move(parsed));
    record.line = lines_;
    if (auto b = chain_.add(record)) {
        break_ = std::move(b);
        return;
    }
    out.push_back(std::move(record));
}

Result<std::vector<Record>> LogReader::read_more(std::size_t max_bytes) {
    std::vector<Record> out;
    char buf[65536];
    std::size_t taken = 0;
    more_pending_ = false;
    while (!break_) {
        if (taken >= max_bytes) {
            more_pending_ = true;
            return out;  // the rest waits for the next call; nothing below applies mid-file
        }
        const ssize_t n = ::pread(fd_.get(), buf, sizeof buf, offset_);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("wal", "cannot read the WAL " + path_.string(), "pread");
        }
        if (n == 0) break;
        offset_ += n;
        taken += static_cast<std::size_t>(n);
        std::string_view chunk(buf, static_cast<std::size_t>(n));
        for (std::size_t nl; !break_ && (nl = chunk.find('\n')) != std::string_view::npos;) {
            partial_.append(chunk.substr(0, nl));
            chunk.remove_prefix(nl + 1);
            take_line(std::exchange(partial_, {}), out);
        }
        if (!break_) partial_.append(chunk);
    }
    if (!break_ && !partial_.empty()) {
        if (unparsable_)
            break_ = ChainBreak{unparsable_->line, chain_.records() + 1,
                                "line " + std::to_string(unparsable_->line) + " is " +
                                    unparsable_->reason + ", and more bytes follow it"};
        // Bytes after a final record without a newline: a later airlock process resuming the
        // run (run_resumed) was cut short, or is writing that line now; torn, not tampered.
    }
    return out;
}

bool LogReader::take_own_line(std::size_t bytes, const Record& own, off_t at) {
    if (break_ || unparsable_ || !partial_.empty() || more_pending_ || at != offset_) return false;
    Record record = own;
    record.line = lines_ + 1;
    ChainChecker next = chain_;
    if (next.add(record)) return false;  // never for a writer's own next record
    chain_ = std::move(next);
    ++lines_;
    offset_ += static_cast<off_t>(bytes);
    return true;
}

std::optional<TornLine> LogReader::torn() const {
    if (break_) return std::nullopt;
    if (unparsable_) return unparsable_;
    if (!partial_.empty())
        return TornLine{lines_ + 1, partial_.size(),
                        "the line has no newline: its write was cut short"};
    return std::nullopt;
}

}  // namespace airlock::wal
