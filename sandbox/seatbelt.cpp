#include "sandbox/seatbelt.hpp"
#include "sandbox/path_list.hpp"

#include <algorithm>
#include <optional>
#include <system_error>

#include "platform/workspace_path.hpp"

namespace airlock::sandbox {

namespace fs = std::filesystem;

namespace {

// Read-only machine facts that language runtimes and build tools ask for (CPU count and
// features, page size, OS version, argument size limit). Anything else (kern.proc.* would list
// host processes) stays denied.
constexpr std::string_view kSysctlNames[] = {
    "hw.activecpu",
    "hw.byteorder",
    "hw.cachelinesize",
    "hw.cpufamily",
    "hw.cpusubtype",
    "hw.cputype",
    "hw.l1dcachesize",
    "hw.l1icachesize",
    "hw.l2cachesize",
    "hw.l3cachesize",
    "hw.logicalcpu",
    "hw.logicalcpu_max",
    "hw.machine",
    "hw.memsize",
    "hw.model",
    "hw.ncpu",
    "hw.nperflevels",
    "hw.pagesize",
    "hw.physicalcpu",
    "hw.physicalcpu_max",
    "hw.vectorunit",
    "kern.argmax",
    "kern.hostname",
    "kern.maxfilesperproc",
    "kern.maxproc",
    "kern.osproductversion",
    "kern.osrelease",
    "kern.ostype",
    "kern.osvariant_status",
    "kern.osversion",
    "kern.secure_kernel",
    "kern.usrstack64",
    "kern.version",
    "sysctl.proc_cputype",
    "sysctl.proc_translated",
};
// CPU feature flags (hw.optional.arm.FEAT_*, hw.optional.avx2_0, ...) and the per-cluster
// core counts of Apple silicon (hw.perflevel0.physicalcpu, ...).
constexpr std::string_view kSysctlPrefixes[] = {"hw.optional.", "hw.perflevel"};

// The text before the path rules: fixed, the same for every profile.
constexpr std::string_view kPreamble = R"((version 1)
(deny default)

; Processes: run programs and fork; signal and inspect only processes in this sandbox.
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))

; POSIX semaphores (Python multiprocessing locks).
(allow ipc-posix-sem)

; Mach services ordinary tools need: user and group lookups (getpwuid, id, ls -l, git),
; libc change notifications, and the name of the per-user temporary directory.
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.system.opendirectoryd.membership")
  (global-name "com.apple.system.notification_center")
  (global-name "com.apple.bsd.dirhelper"))
)";

// Writes every program may make whatever its writable roots: discarding output and talking to
// its own terminal. Data only: no ioctl (no TIOCSTI into a terminal), no create or unlink.
constexpr std::string_view kDeviceWrites = R"(
; Device writes: discard output, write to the own terminal and standard streams.
(allow file-write-data
  (literal "/dev/null")
  (literal "/dev/zero")
  (literal "/dev/tty")
  (literal "/dev/stdout")
  (literal "/dev/stderr")
  (regex #"^/dev/fd/[0-9]+$"))
)";

// Raw disks would let a root-run command read every file, hidden ones included.
constexpr std::string_view kDiskReads = R"(
; Raw disk and memory devices are never readable (a root-run command could read hidden files).
(deny file-read* file-write*
  (regex #"^/dev/r?disk[0-9]")
  (regex #"^/dev/k?mem$"))
)";

constexpr std::string_view kNetworkOn = R"(
; Network: on (the policy says network: "on"). DNS configuration and TLS trust services.
(allow network*)
(allow mach-lookup
  (global-name "com.apple.SystemConfiguration.DNSConfiguration")
  (global-name "com.apple.SystemConfiguration.configd")
  (global-name "com.apple.networkd")
  (global-name "com.apple.trustd")
  (global-name "com.apple.trustd.agent")
  (global-name "com.apple.SecurityServer")
  (global-name "com.apple.ocspd"))
)";

constexpr std::string_view kNetworkOff = R"(
; Network: off. Nothing allows network*, so (deny default) refuses every socket connect and
; bind, unix sockets included, and DNS (its mach services are not reachable either).
)";

// A path as one of the profile's parameters.
struct NamedPath {
    std::string name;
    fs::path path;
};

// Seatbelt matches the real path of what is accessed, so a profile path that is relative or not
// lexically normal would never match: refuse it instead of protecting nothing.
std::optional<Error> check_path(const fs::path& path, std::string_view what) {
    const std::string text = path.string();
    const auto bad = [&](std::string_view why) {
        return make_error("sandbox", "seatbelt profile: " + std::string(what) + " \"" + text +
                                         "\" " + std::string(why));
    };
    if (text.empty())
        return make_error("sandbox", "seatbelt profile: " + std::string(what) + " is empty");
    if (text.find('\0') != std::string::npos) return bad("contains a NUL byte");
    if (!path.is_absolute()) return bad("is not an absolute path");
    if (path.lexically_normal() != path || (text.size() > 1 && text.back() == '/'))
        return bad("is not lexically normal (no \".\", \"..\", \"//\" or trailing \"/\")");
    return std::nullopt;
}

std::vector<NamedPath> name_paths(const std::vector<fs::path>& paths, std::string_view prefix) {
    std::vector<NamedPath> out;
    for (std::size_t i = 0; i < paths.size(); ++i)
        out.push_back({std::string(prefix) + std::to_string(i), paths[i]});
    return out;
}

std::string param(const std::string& name) {
    return "(param \"" + name + "\")";
}

// Every ancestor of `path` that lies inside a writable root, outermost first: renaming or
// removing one of them would carry `path` out from under its path-based rule.
void add_ancestors(std::vector<fs::path>& out, const fs::path& path,
                   const std::vector<fs::path>& writable) {
    std::vector<fs::path> chain;
    for (fs::path a = path.parent_path(); a != a.parent_path(); a = a.parent_path())
        chain.push_back(a);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
        if (inside_any(*it, writable)) add_unique(out, *it);
}

struct Lists {
    std::vector<fs::path> writable;
    std::vector<fs::path> protected_paths;
    std::vector<fs::path> hidden;
    std::vector<fs::path> ancestors;
};

Result<Lists> collect(const Profile& profile) {
    Lists lists;
    if (auto err = check_path(profile.workspace, "workspace")) return *err;
    for (const auto& w : profile.writable) {
        if (auto err = check_path(w, "writable root")) return *err;
        if (w == w.root_path())
            return make_error("sandbox",
                              "seatbelt profile: the root directory cannot be a "
                              "writable root");
        add_unique(lists.writable, w);
    }
    // airlock's own state (the WAL) is protected even when the profile forgot it.
    std::vector<fs::path> protected_in = profile.read_only;
    protected_in.insert(protected_in.end(), profile.blocked.begin(), profile.blocked.end());
    protected_in.push_back(profile.workspace / ".airlock");
    for (const auto& p : protected_in) {
        if (auto err = check_path(p, "protected path")) return *err;
        add_unique(lists.protected_paths, p);
    }
    for (const auto& h : profile.hidden) {
        if (auto err = check_path(h, "deny-read path")) return *err;
        add_unique(lists.hidden, h);
    }
    for (const auto& p : lists.protected_paths)
        add_ancestors(lists.ancestors, p, lists.writable);
    for (const auto& h : lists.hidden)
        add_ancestors(lists.ancestors, h, lists.writable);
    return lists;
}

// `literal` for a deny-read file, `subpath` for a directory.
std::string hidden_filter(const NamedPath& h, const IsDirectory& is_directory) {
    return std::string(is_directory(h.path) ? "(subpath " : "(literal ") + param(h.name) + ")";
}

std::string render(const Profile& profile, const std::vector<NamedPath>& writable,
                   const std::vector<NamedPath>& protected_paths,
                   const std::vector<NamedPath>& hidden, const std::vector<NamedPath>& ancestors,
                   const IsDirectory& is_directory) {
    std::string t(kPreamble);
    t += "\n; Read-only facts about the machine (CPU, memory, OS version, argument size).\n";
    t += "(allow sysctl-read";
    for (auto name : kSysctlNames)
        t += "\n  (sysctl-name \"" + std::string(name) + "\")";
    for (auto prefix : kSysctlPrefixes)
        t += "\n  (sysctl-name-prefix \"" + std::string(prefix) + "\")";
    t += ")\n";

    t += "\n; Reads: everything, except the deny-read paths (denied at the end).\n";
    t += "(allow file-read*)\n";

    t += "\n; Writes: only inside writable roots, never to protected or deny-read paths.\n";
    if (writable.empty()) t += "; (no writable roots)\n";
    for (const auto& w : writable) {
        t += "(allow file-write*\n  (require-all\n    (subpath " + param(w.name) + ")";
        for (const auto& p : protected_paths)
            t += "\n    (require-not (subpath " + param(p.name) + "))";
        for (const auto& h : hidden)
            t += "\n    (require-not " + hidden_filter(h, is_directory) + ")";
        t += "))\n";
    }
    t += kDeviceWrites;
    t += profile.network ? kNetworkOn : kNetworkOff;
    t += kDiskReads;

    // Denials come last: in SBPL the last matching rule wins.
    if (!hidden.empty()) {
        t += "\n; Deny-read paths: not readable at all.\n";
        for (const auto& h : hidden)
            t += "(deny file-read* " + hidden_filter(h, is_directory) + ")\n";
    }
    if (!ancestors.empty()) {
        t += "\n; Directories above protected and deny-read paths inside writable roots: cannot\n"
             "; be renamed or removed, which would move those paths out from under their rules.\n";
        t += "(deny file-write-unlink";
        for (const auto& a : ancestors)
            t += "\n  (literal " + param(a.name) + ")";
        t += ")\n";
    }
    return t;
}

}  // namespace

Result<SeatbeltInvocation> seatbelt_invocation(const Profile& profile,
                                               const std::vector<std::string>& command,
                                               const IsDirectory& is_directory) {
    if (profile.adapter != Adapter::seatbelt)
        return make_error("sandbox", "seatbelt profile requested for a \"" +
                                         std::string(adapter_name(profile.adapter)) + "\" profile");
    if (command.empty()) return make_error("sandbox", "seatbelt: the command is empty");
    if (!is_directory) return make_error("sandbox", "seatbelt: no path classifier given");
    auto lists = collect(profile);
    if (!lists) return lists.error();

    const auto writable = name_paths(lists->writable, kWritableRootParam);
    const auto protected_paths = name_paths(lists->protected_paths, kProtectedParam);
    const auto hidden = name_paths(lists->hidden, kDenyReadParam);
    const auto ancestors = name_paths(lists->ancestors, kAncestorParam);

    SeatbeltInvocation inv;
    inv.profile_text = render(profile, writable, protected_paths, hidden, ancestors, is_directory);
    for (const auto* group : {&writable, &protected_paths, &hidden, &ancestors})
        for (const auto& named : *group)
            inv.params.emplace_back(named.name, named.path.string());

    inv.argv = {std::string(kSandboxExecPath), "-p", inv.profile_text};
    for (const auto& [name, value] : inv.params) {
        inv.argv.push_back("-D");
        inv.argv.push_back(name + "=" + value);
    }
    // Everything after "--" is the command, even a token that looks like an option.
    inv.argv.push_back("--");
    inv.argv.insert(inv.argv.end(), command.begin(), command.end());
    return inv;
}

Result<SeatbeltInvocation> seatbelt_invocation(const Profile& profile,
                                               const std::vector<std::string>& command) {
    return seatbelt_invocation(profile, command, [](const fs::path& path) {
        std::error_code ec;
        const auto status = fs::status(path, ec);
        if (ec || !fs::exists(status)) return true;
        return fs::is_directory(status);
    });
}

}  // namespace airlock::sandbox
