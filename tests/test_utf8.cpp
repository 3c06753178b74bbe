#include <catch2/catch.hpp>

#include "base/utf8.h"

using bte::find_invalid_utf8;
constexpr auto npos = std::string_view::npos;

TEST_CASE("utf8: valid text of every length class passes", "[tokenizer]") {
  CHECK(find_invalid_utf8("") == npos);
  CHECK(find_invalid_utf8("plain ascii") == npos);
  CHECK(find_invalid_utf8("caf\xC3\xA9") == npos);                 // 2-byte é
  CHECK(find_invalid_utf8("\xE4\xB8\xAD\xE6\x96\x87") == npos);    // 3-byte 中文
  CHECK(find_invalid_utf8("\xF0\x9F\x98\x80") == npos);            // 4-byte emoji
  CHECK(find_invalid_utf8("\xF4\x8F\xBF\xBF") == npos);            // U+10FFFF
}

TEST_CASE("utf8: each kind of invalid sequence is found at its offset", "[tokenizer]") {
  CHECK(find_invalid_utf8("ab\x80") == 2);                 // stray continuation byte
  CHECK(find_invalid_utf8("a\xC3") == 1);                  // truncated 2-byte
  CHECK(find_invalid_utf8("a\xE4\xB8") == 1);              // truncated 3-byte
  CHECK(find_invalid_utf8("\xC0\xAF") == 0);               // overlong '/'
  CHECK(find_invalid_utf8("\xE0\x80\xAF") == 0);           // overlong 3-byte
  CHECK(find_invalid_utf8("\xED\xA0\x80") == 0);           // surrogate U+D800
  CHECK(find_invalid_utf8("\xF4\x90\x80\x80") == 0);       // above U+10FFFF
  CHECK(find_invalid_utf8("ok \xFF") == 3);                // never valid byte
  CHECK(find_invalid_utf8("\xC3\x28") == 0);               // bad continuation
}
