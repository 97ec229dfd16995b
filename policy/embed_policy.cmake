# Turns policy/defaults/default.json into a C++ source with the text as a raw string.
file(READ "${INPUT}" AIRLOCK_POLICY_TEXT)
file(WRITE "${OUTPUT}" "// Generated from policy/defaults/default.json; do not edit.\n"
  "#include <string_view>\n"
  "namespace airlock::policy::detail {\n"
  "extern const std::string_view kBuiltinPolicy = R\"airlock_policy(${AIRLOCK_POLICY_TEXT})airlock_policy\";\n"
  "}\n")
