// Where a command's texts come from: arguments, a file (-f FILE), or stdin
// (-f - or a lone "-"), one text per line. Lines are streamed, never all
// held at once; "\r\n" endings are accepted.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace bte::cli {

class TextSource {
 public:
  // From the positionals and -f; stdin when neither names a text.
  TextSource(const std::vector<std::string>& positionals, const std::string& file);
  ~TextSource();
  TextSource(const TextSource&) = delete;
  TextSource& operator=(const TextSource&) = delete;

  // Next text; false at the end. Throws bte::Error naming the file and line
  // on a read error.
  bool next(std::string& text);
  // "file:line" (or "argument N") of the text last returned, for messages.
  std::string where() const;
  // Total count when known up front (arguments), else -1.
  int64_t known_total() const;

 private:
  std::vector<std::string> args_;
  size_t arg_pos_ = 0;
  std::FILE* file_ = nullptr;
  bool owns_file_ = false;
  std::string name_;
  int64_t line_ = 0;
};

}  // namespace bte::cli
