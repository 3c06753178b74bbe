// Writing result lines to standard output so that a failed write stops the
// command at once (exit 1 with a message) instead of after the whole input:
// `bte tokenize -f big.txt > /dev/full` fails on its first buffer, not at the end.
// main() still checks the final flush and close (tools/bte/main.cpp).
#pragma once

#include <string_view>

namespace bte::cli {

// Throws Error(BadInput) "cannot write to standard output: <reason>" when
// the bytes cannot be handed to stdout.
void write_stdout(std::string_view bytes);

}  // namespace bte::cli
