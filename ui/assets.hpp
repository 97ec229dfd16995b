// The page's files (ui/web), compiled into the binary by ui/embed.cmake.
#pragma once

#include <string_view>

namespace airlock::ui {

struct Asset {
    std::string_view name;  // "app.js"
    std::string_view content_type;
    std::string_view bytes;
};

// nullptr when there is no such file.
const Asset* find_asset(std::string_view name);

}  // namespace airlock::ui
