#pragma once

namespace airlock::netproxy {

// Receives one descriptor sent with SCM_RIGHTS (close-on-exec, not waiting); -1 with errno on
// failure or end of stream.
int receive_fd(int channel);
// Sends one descriptor with SCM_RIGHTS. Async-signal-safe.
bool send_fd(int channel, int fd);

}  // namespace airlock::netproxy
