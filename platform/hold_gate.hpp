// A gate that holds a child back until the parent writes one byte (bwrap's --block-fd).
#pragma once

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"

namespace airlock {

// The child's end is the pipe reopened read-write: it is a writer itself, so it never reads
// end-of-file. When the parent dies before it releases the child, the close of its end does
// not release the child: it stays held until it is killed (PR_SET_PDEATHSIG). A plain pipe
// would let the child go on at the parent's death, before the parent's work (the WAL's sync)
// was done.
struct HoldGate {
    UniqueFd child_end;    // passed to the child, which reads one byte from it
    UniqueFd release_end;  // the parent writes one byte here to let the child go on
};

Result<HoldGate> make_hold_gate();

// Writes the byte that lets the child go on; false when it could not be written.
bool release(const HoldGate& gate);

}  // namespace airlock
