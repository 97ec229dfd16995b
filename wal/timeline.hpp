// A run's records as a timeline people can read: one line per event.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "wal/record.hpp"

namespace airlock::wal {

// How an event should stand out: good news, a question, a refusal or failure, or neither.
enum class Tone { plain, good, attention, bad };

struct TimelineEntry {
    std::string time;   // "10:35:30.123" (UTC)
    std::string call;   // "c1", or "" for run events
    std::string event;  // the record type
    std::string detail;
    Tone tone = Tone::plain;
};

// Stateful because a call's last line shows how long the whole call took.
class Timeline {
  public:
    TimelineEntry add(const Record& record);

  private:
    std::map<std::string, std::int64_t> call_started_;  // call id -> micros
};

// One line, aligned; ANSI colours only when `colour` is set.
std::string render(const TimelineEntry& entry, bool colour);

// A header line for the run: "run ID  airlock 0.1.0  user@host  workspace /path".
std::string render_header(const Record& run_started, bool colour);

// Colour is for terminals: stdout is one and NO_COLOR is unset or empty.
bool stdout_wants_colour();

}  // namespace airlock::wal
