# Writes OUTPUT from INPUT with AIRLOCK_COMMIT set to the git commit of SOURCE_DIR: its short
# hash, "-modified" appended when tracked files differ from it, or "unknown" when SOURCE_DIR is
# not a git checkout (a source tarball) or git cannot read it. configure_file rewrites OUTPUT
# only when its content changes, so an unchanged commit recompiles nothing.
set(AIRLOCK_COMMIT unknown)
find_program(GIT_EXECUTABLE git)
if(EXISTS "${SOURCE_DIR}/.git" AND GIT_EXECUTABLE)
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" rev-parse --short HEAD
                  OUTPUT_VARIABLE hash OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0 AND hash MATCHES "^[0-9a-f]+$")
    set(AIRLOCK_COMMIT "${hash}")
    # --no-optional-locks: reading the status must not rewrite the index under a running git.
    # A status that cannot be read does not vouch for a clean tree: "-modified" then too.
    execute_process(COMMAND "${GIT_EXECUTABLE}" --no-optional-locks -C "${SOURCE_DIR}"
                            status --porcelain --untracked-files=no
                    OUTPUT_VARIABLE changes RESULT_VARIABLE rc ERROR_QUIET)
    if(NOT rc EQUAL 0 OR NOT changes STREQUAL "")
      string(APPEND AIRLOCK_COMMIT "-modified")
    endif()
  endif()
endif()
configure_file("${INPUT}" "${OUTPUT}" @ONLY)
