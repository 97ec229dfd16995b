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
#include <vector>

#include "cli/hooks/adapter.hpp"

namespace airlock::hooks::wire {

struct Call {
    std::string key;
    mode_t umask = 022;
    std::vector<std::string> environment;  // "NAME=value" entries
    std::string event;                     // the agent's event, as read from stdin
};

constexpr char kNotServed = 'M';
constexpr char kAccepted = 'A';

std::string encode_call(const Call& call);
std::string encode_answer(const Rendered& answer);  // what follows kAccepted

// Read from a connected socket (its receive timeout bounds each wait). nullopt on EOF, a
// timeout, or anything malformed or over the limits.
std::optional<Call> read_call(int fd);
std::optional<Rendered> read_answer(int fd);

// One byte; nullopt on EOF or an error.
std::optional<char> read_byte(int fd);

}  // namespace airlock::hooks::wire
