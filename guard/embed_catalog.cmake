# Turns guard/catalog/rules.json into a C++ source with the text as a raw string.
file(READ "${INPUT}" AIRLOCK_CATALOG_TEXT)
file(WRITE "${OUTPUT}" "// Generated from guard/catalog/rules.json; do not edit.\n"
  "#include <string_view>\n"
  "namespace airlock::guard::detail {\n"
  "extern const std::string_view kBuiltinCatalog;\n"
  "const std::string_view kBuiltinCatalog = R\"airlock_catalog(${AIRLOCK_CATALOG_TEXT})airlock_catalog\";\n"
  "}\n")
