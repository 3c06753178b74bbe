// Truncation rules shared by the tokenizer kinds.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>

namespace bte {

// How many tokens of a pair's two sides to keep when `room` tokens are left
// after the specials, as Hugging Face's "longest_first" truncation: the
// shorter side stays whole if the longer can take the cut alone; otherwise
// each keeps half of `room`, the longer one the odd token.
//   longest_first(10, 3, 8) == {5, 3};  longest_first(10, 9, 8) == {4, 4}
inline std::pair<size_t, size_t> longest_first(size_t na, size_t nb, size_t room) {
  if (na + nb <= room) return {na, nb};
  const bool a_short = na <= nb;
  size_t short_n = a_short ? na : nb;
  size_t long_n = std::max(short_n, room > short_n ? room - short_n : 0);
  if (short_n + long_n > room) {
    short_n = room / 2;
    long_n = room / 2 + room % 2;
  }
  return a_short ? std::pair{short_n, long_n} : std::pair{long_n, short_n};
}

}  // namespace bte
