# Writes OUT, a C++ source whose function FUNCTION returns the bytes of IN.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUT}"
"// Generated from ${IN}; do not edit.\n#include <string_view>\n"
"namespace rapport::rules::detail {\n"
"namespace { constexpr char data[] = {${bytes} 0}; }\n"
"std::string_view ${FUNCTION}() { return {data, sizeof data - 1}; }\n"
"}\n")
