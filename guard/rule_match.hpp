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
    const CatalogView& cat;
};

bool matches(const MatcherRec& m, std::size_t segment, const MatchContext& ctx);
bool matches_file(const MatcherRec& m, std::string_view path, std::string_view content,
                  const CatalogView& cat, const PathContext& paths);

}  // namespace airlock::guard::detail
