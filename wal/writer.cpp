#include "wal/writer.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <utility>

#include "platform/redact.hpp"
#include "platform/sha256.hpp"
#include "platform/write_all.hpp"
#include "wal/reader.hpp"

namespace airlock::wal {

namespace fs = std::filesystem;

fs::path runs_dir(const fs::path& workspace) {
    return workspace / ".airlock" / "runs";
}

namespace {

std::string utc_timestamp_micros() {
    const auto now = std::chrono::system_clock::now();
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(micros / 1000000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(micros % 1000000));
    return buf;
}

void redact_with(nlohmann::json& value, const std::vector<std::regex>& patterns) {
    if (value.is_string()) {
        std::string s = value.get<std::string>();
        for (const auto& re : patterns)
            s = std::regex_replace(s, re, "[REDACTED:policy]");
        value = std::move(s);
    } else if (value.is_structured()) {
        for (auto& item : value)
            redact_with(item, patterns);
    }
}

// An exclusive flock on a shared run's log: the other airlock processes of the run wait.
Result<void> lock_exclusive(int fd) {
    int rc;
    do {
        rc = ::flock(fd, LOCK_EX);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return sys_error("wal", "cannot lock the run's log", "flock");
    return {};
}

}  // namespace

Result<void> check_run_id(std::string_view id) {
    bool ok = !id.empty() && id.size() <= 128 && id.front() != '.';
    for (char ch : id)
        ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-');
    if (!ok)
        return make_error(
            "input", "run id \"" + std::string(id.substr(0, 128)) +
                         "\" is not 1 to 128 of A-Z a-z 0-9 . _ - (and does not start with .)");
    return {};
}

std::string new_run_id() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    std::random_device rd;
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%06x", rd() & 0xffffffu);
    return std::string(stamp) + "-" + suffix;
}

Writer::Writer(UniqueFd fd, fs::path path, std::string run_id)
    : fd_(std::move(fd)), path_(std::move(path)), run_id_(std::move(run_id)), prev_hash_(64, '0') {}

Writer::Writer(Writer&& other) noexcept
    : fd_(std::move(other.fd_)),
      path_(std::move(other.path_)),
      run_id_(std::move(other.run_id_)),
      seq_(other.seq_),
      synced_(other.synced_),
      prev_hash_(std::move(other.prev_hash_)),
      redact_(std::move(other.redact_)),
      reader_(std::move(other.reader_)),
      ended_(other.ended_),
      file_locked_(std::exchange(other.file_locked_, false)),
      hold_lock_(other.hold_lock_) {}

Writer::~Writer() {
    if (file_locked_) ::flock(fd_.get(), LOCK_UN);
}

// The run's directory, owner only (run logs name commands).
static Result<fs::path> make_run_dir(const fs::path& workspace, const std::string& run_id) {
    const fs::path dir = runs_dir(workspace) / run_id;
    std::error_code ec;
    const bool created = fs::create_directories(dir, ec);
    if (ec)
        return make_error("wal",
                          "cannot create run directory " + dir.string() + ": " + ec.message());
    if (created) ::chmod(dir.c_str(), 0700);  // a shared run's later processes find it so
    return dir;
}

Result<Writer> Writer::create(const fs::path& workspace, const std::string& run_id) {
    auto made = make_run_dir(workspace, run_id);
    if (!made) return made.error();
    const fs::path file = *made / "events.jsonl";
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return sys_error("wal", "cannot create " + file.string(), "open");
    return Writer(UniqueFd(fd), file, run_id);
}

Result<Writer> Writer::open_shared(const fs::path& workspace, const std::string& run_id) {
    if (auto ok = check_run_id(run_id); !ok) return ok.error();
    auto made = make_run_dir(workspace, run_id);
    if (!made) return made.error();
    const fs::path file = *made / "events.jsonl";
    const int fd =
        ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return sys_error("wal", "cannot open " + file.string(), "open");
    Writer w(UniqueFd(fd), file, run_id);
    {
        std::lock_guard lock(w.mutex_);
        if (auto locked = lock_exclusive(w.fd_.get()); !locked) return locked.error();
        w.file_locked_ = true;  // on an error below, the writer's end lets it go
        // Under the lock, so that the tail is not a line another process is writing.
        auto reader = LogReader::open_at_tail(file, run_id);
        if (!reader) return reader.error();
        w.reader_ = std::make_unique<LogReader>(std::move(reader).value());
        if (auto r = w.catch_up(); !r) return r.error();
        w.unlock_file(/*even_if_held=*/true);
    }
    return w;
}

Result<void> Writer::append(std::string_view type, std::string_view call_id, nlohmann::json data) {
    redact_json(data);  // credential-shaped values never reach the log
    auto written = append_checked(nullptr, type, call_id, std::move(data));
    if (!written) return written.error();
    return {};
}

Result<bool> Writer::append_if(const MakeData& make_data, std::string_view type,
                               std::string_view call_id) {
    return append_checked(&make_data, type, call_id, nullptr);
}

Result<bool> Writer::append_checked(const MakeData* make_data, std::string_view type,
                                    std::string_view call_id, nlohmann::json data) {
    std::lock_guard lock(mutex_);
    auto written = append_locked(make_data, type, call_id, std::move(data));
    unlock_file(!written);
    return written;
}

Result<bool> Writer::append_locked(const MakeData* make_data, std::string_view type,
                                   std::string_view call_id, nlohmann::json data) {
    if (auto locked = lock_file(); !locked) return locked.error();
    if (make_data) {
        auto made = (*make_data)(History(path_, run_id_, seq_, prev_hash_));
        if (!made) return made.error();
        if (!*made) return false;
        data = std::move(**made);
        redact_json(data);
    }
    if (ended_) {
        // Another process of the run finished it meanwhile: this one continues it, on the record.
        if (auto r = write_record("run_resumed", "",
                                  {{"pid", ::getpid()}, {"reason", "continues the run"}});
            !r)
            return r.error();
        ended_ = false;
    }
    if (auto r = write_record(type, call_id, std::move(data)); !r) return r.error();
    return true;
}

Result<std::string> Writer::append_opening(nlohmann::json data) {
    redact_json(data);
    std::lock_guard lock(mutex_);
    auto locked = lock_file();
    const std::string type = seq_ == 0 ? "run_started" : "run_resumed";
    auto written = locked ? write_record(type, "", std::move(data)) : locked;
    unlock_file(!written);
    if (!written) return written.error();
    ended_ = false;
    return type;
}

void Writer::hold_lock_until_sync() {
    std::lock_guard lock(mutex_);
    hold_lock_ = true;
}

Result<void> Writer::lock_file() {
    if (!reader_ || file_locked_) return {};  // held since an earlier append: nobody appended
    if (auto locked = lock_exclusive(fd_.get()); !locked) return locked;
    file_locked_ = true;
    return catch_up();
}

void Writer::unlock_file(bool even_if_held) {
    if (!file_locked_ || (hold_lock_ && !even_if_held)) return;
    ::flock(fd_.get(), LOCK_UN);
    file_locked_ = false;
}

Result<void> Writer::catch_up() {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0)
        return sys_error("wal", "cannot read the WAL " + path_.string(), "fstat");
    end_ = st.st_size;
    if (end_ != reader_->offset())
        if (auto records = reader_->read_more(); !records) return records.error();
    const std::string file = path_.string();
    if (const auto& broken = reader_->broken())
        return make_error("wal", "the run's log " + file + " is broken at line " +
                                     std::to_string(broken->line) + " (" + broken->reason +
                                     "); airlock does not continue it (see airlock wal verify)");
    if (const auto torn = reader_->torn())
        return make_error("wal", "the run's log " + file + " ends in a torn line " +
                                     std::to_string(torn->line) + " (" + torn->reason +
                                     "); airlock does not continue it (see airlock wal verify)");
    seq_ = reader_->records();
    prev_hash_ = reader_->last_hash();
    ended_ = reader_->ended();
    return {};
}

Result<void> Writer::write_record(std::string_view type, std::string_view call_id,
                                  nlohmann::json data) {
    if (!redact_.empty()) redact_with(data, redact_);
    // The envelope is written field by field, in the record's fixed order (the same bytes an
    // ordered_json would give, without copying `data` into one). Invalid UTF-8 from a child's
    // output must not make the log unwritable: it is replaced, never rejected.
    auto json_text = [](const nlohmann::json& value) {
        return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    std::string line;
    line.reserve(256);
    line += "{\"v\":" + std::to_string(kFormatVersion);
    line += ",\"seq\":" + std::to_string(seq_ + 1);
    line += ",\"ts\":" + json_text(utc_timestamp_micros());
    line += ",\"run_id\":" + json_text(run_id_);
    line += ",\"type\":" + json_text(std::string(type));
    line += ",\"call_id\":" + json_text(std::string(call_id));
    line += ",\"data\":" + json_text(data);
    line += ",\"prev\":" + json_text(prev_hash_) + "}";
    const std::string hash = sha256_hex(line);  // of the line's bytes, without its newline
    line.push_back('\n');
    if (const int err = write_all(fd_.get(), line); err != 0)
        return sys_error("wal", "cannot append to the WAL", "write", err);
    if (reader_) {
        // A shared run: the next catch_up need not read this line back and parse it (about
        // 85,000 instructions a record).
        Record own;
        own.v = kFormatVersion;
        own.seq = seq_ + 1;
        own.run_id = run_id_;
        own.type = std::string(type);
        own.call_id = std::string(call_id);
        own.prev = prev_hash_;
        own.hash = hash;
        reader_->take_own_line(line.size(), own, end_);
        end_ += static_cast<off_t>(line.size());
    }
    ++seq_;
    prev_hash_ = hash;
    return {};
}

void Writer::set_redaction(const std::vector<std::string>& patterns) {
    std::lock_guard lock(mutex_);
    redact_.clear();
    for (const auto& p : patterns)
        redact_.emplace_back(p, std::regex::ECMAScript | std::regex::optimize);
}

Result<void> Writer::sync() {
    std::unique_lock lock(mutex_);
    // A held lock ends here: the run's other processes need not wait for the disk.
    unlock_file(/*even_if_held=*/true);
    const std::uint64_t target = seq_;
    while (synced_ < target && syncing_)
        synced_cv_.wait(lock);
    if (synced_ >= target) return {};
    syncing_ = true;
    const std::uint64_t covering = seq_;  // every record written so far goes down with this flush
    lock.unlock();
    const int rc = ::fdatasync(fd_.get());
    const int err = errno;
    lock.lock();
    syncing_ = false;
    if (rc == 0 && covering > synced_) synced_ = covering;
    synced_cv_.notify_all();
    if (rc != 0) return sys_error("wal", "cannot flush the WAL to disk", "fdatasync", err);
    return {};
}

std::uint64_t Writer::records() const {
    std::lock_guard lock(mutex_);
    return seq_;
}

}  // namespace airlock::wal
