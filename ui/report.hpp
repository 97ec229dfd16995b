// `airlock wal report`: one self-contained HTML file with the run view. The page's own style
// and script are inlined and allowed by hash in the file's Content-Security-Policy; the run is
// embedded as JSON data (never markup) and nothing is loaded from anywhere.
#pragma once

#include <string>

#include "platform/result.hpp"
#include "ui/run_index.hpp"
#include "wal/verify.hpp"

namespace airlock::ui {

Result<std::string> render_report(const RunInfo& run, const wal::Log& log);

// JSON that can stand inside a <script> element: '<', '>' and '&' as \u escapes.
std::string script_safe_json(const std::string& json);

}  // namespace airlock::ui
