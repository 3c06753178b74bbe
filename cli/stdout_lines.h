// Writing results so that a failed write stops the command at once (exit 1
// with a message) instead of after the whole input: `bte tokenize -f big.txt
// > /dev/full` fails on its first buffer, not at the end. main() still
// checks standard output's final flush and close (cli/main.cpp).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace bte::cli {

// Throws Error(BadInput) "cannot write to NAME: <reason>" when the bytes
// cannot be handed to `out`.
void write_bytes(std::FILE* out, std::string_view bytes, const std::string& name);
// write_bytes(stdout, bytes, "standard output").
void write_stdout(std::string_view bytes);

}  // namespace bte::cli
