// Strict UTF-8 validation (RFC 3629): no overlong forms, no surrogates,
// nothing above U+10FFFF.
#pragma once

#include <cstddef>
#include <string_view>

namespace bte {

// Byte offset of the first invalid sequence, or npos when `text` is valid.
size_t find_invalid_utf8(std::string_view text);

}  // namespace bte
