// Evaluates compiled rules against the segments of a parse (and file tool calls).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "guard/catalog_view.hpp"
#include "guard/path_classes.hpp"

namespace airlock::guard::detail {

struct MatchContext {
    const std::vector<Segment>& segments;
    const PathContext& paths;
    List<List<MatcherView>> kinds;
};

bool matches(const MatcherView& m, std::size_t segment, const MatchContext& ctx);
bool matches_file(const MatcherView& m, std::string_view path, std::string_view content,
                  const PathContext& paths);

}  // namespace airlock::guard::detail
