# cmake -DIN=file -DOUT=file.cpp -P embed_bytes.cmake
# Writes `extern const unsigned char bte_embedded_spm[]` and its size.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR bytes "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE ${OUT} "// Generated from ${IN} by cmake/embed_bytes.cmake. Do not edit.\n"
  "#include <cstddef>\n"
  "extern const unsigned char bte_embedded_spm[] = {${body}};\n"
  "extern const size_t bte_embedded_spm_size = ${bytes};\n")
