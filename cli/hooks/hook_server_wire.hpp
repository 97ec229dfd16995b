// What a hook call and a hook server say to each other on their unix socket. A message is a
// 4-byte length and its bytes, and so is every field in it (host order: both ends are this
// binary on this machine).
//
//   call:   "airlock-hook/1"  KEY  UMASK  ENV-COUNT  ENV...  EVENT
//   server: 'M'                                  not served: nothing was done, the call decides
//                                                itself (a refused peer, another key, bad input)
//           'A'  EXIT-CODE  STDOUT  STDERR       accepted, then answered; a call that sees 'A'
//                                                and no answer fails closed (it may have been
//                                                recorded: it is never decided twice)
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/hooks/adapter.hpp"
#include "cli/hooks/mapped_buffer.hpp"

namespace airlock::hooks::wire {

struct Call {
    std::string key;
    mode_t umask = 022;
    std::vector<std::string> environment;  // "NAME=value" entries
    std::string event;                     // the agent's event, as read from stdin
};

constexpr char kNotServed = 'M';
constexpr char kAccepted = 'A';

// The caller's side encodes and reads without the heap: it runs before the C++ runtime starts
// (hook_client.hpp). `environment` is a NULL-terminated list of NAME=value entries.
bool encode_call(MappedBuffer& out, std::string_view key, mode_t umask, char** environment,
                 std::string_view event) noexcept;
std::string encode_answer(const Rendered& answer);  // what follows kAccepted

// An answer as read: views into the message it was read from.
struct AnswerView {
    int exit_code = 0;
    std::string_view out;
    std::string_view err;
};

// Read from a connected socket (its receive timeout bounds each wait). nullopt (false) on EOF,
// a timeout, or anything malformed or over the limits.
std::optional<Call> read_call(int fd);
bool read_message(int fd, MappedBuffer& message) noexcept;
std::optional<AnswerView> parse_answer(std::string_view message) noexcept;

// One byte; nullopt on EOF or an error.
std::optional<char> read_byte(int fd) noexcept;

}  // namespace airlock::hooks::wire
