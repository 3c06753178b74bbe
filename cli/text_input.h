// Where a command's texts come from: arguments, a file (-f FILE), or stdin
// (-f - or a lone "-"), one text per line. Lines are streamed, never all
// held at once; "\r\n" endings are accepted. A line longer than
// max_line_bytes keeps only its first max_line_bytes (cut back to a UTF-8
// character boundary); the rest is read and discarded, so memory stays
// bounded whatever the input, and the caller is told (cut_from()).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace bte::cli {

class TextSource {
 public:
  static constexpr size_t kDefaultMaxLineBytes = size_t(1) << 20;

  // From the positionals and -f; stdin when neither names a text.
  TextSource(const std::vector<std::string>& positionals, const std::string& file,
             size_t max_line_bytes = kDefaultMaxLineBytes);
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
  // The full byte length of the text last returned if it was cut, else 0.
  int64_t cut_from() const { return cut_from_; }
  size_t max_line_bytes() const { return max_line_bytes_; }

 private:
  std::vector<std::string> args_;
  size_t arg_pos_ = 0;
  std::FILE* file_ = nullptr;
  bool owns_file_ = false;
  std::string name_;
  int64_t line_ = 0;
  size_t max_line_bytes_;
  int64_t cut_from_ = 0;
};

// After next(): when the text was cut, refuses it (Error naming the line)
// if `refuse`, else warns on stderr that only its first bytes are used.
void check_cut(const TextSource& source, const std::string& text, bool refuse);

}  // namespace bte::cli
