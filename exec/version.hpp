#pragma once

#include <string_view>

namespace airlock {
inline constexpr std::string_view kVersion = "0.1.0";
}
