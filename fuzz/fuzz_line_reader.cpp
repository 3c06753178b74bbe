// libFuzzer target: arbitrary bytes as the stdin/file stream of `bte
// classify` (the CLI's line reader). Checked against a plain re-split of
// the same bytes: every line comes out once, in order, without its "\n" or
// "\r\n", cut to the byte cap (at a character boundary) and flagged when cut.
#include <cstdlib>
#include <string>
#include <vector>

#include "base/check.h"
#include "fuzz/fuzz_input_file.h"
#include "cli/text_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t cap = 1 + data[0] % 64;  // small caps so cuts happen often
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string> want;  // the reference split
  for (size_t start = 0; start < bytes.size();) {
    size_t end = bytes.find('\n', start);
    const bool newline = end != std::string::npos;
    if (!newline) end = bytes.size();
    std::string line = bytes.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    want.push_back(line);
    start = end + (newline ? 1 : 0);
  }
  bte::fuzz::InputFile file(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  try {
    bte::cli::TextSource src({}, file.path(), cap);
    std::string text;
    size_t i = 0;
    while (src.next(text)) {
      if (i >= want.size()) std::abort();  // an extra line
      const std::string& w = want[i++];
      if (w.size() <= cap) {
        if (text != w || src.cut_from() != 0) std::abort();
      } else {
        // A prefix of the line, at most cap bytes, at most 3 bytes short of it.
        if (src.cut_from() != int64_t(w.size())) std::abort();
        if (text.size() > cap || text.size() + 3 < cap || w.compare(0, text.size(), text) != 0)
          std::abort();
      }
    }
    if (i != want.size()) std::abort();  // a lost line
  } catch (const bte::Error&) {
    std::abort();  // a readable in-memory stream must never fail
  }
  return 0;
}
