#include "cli/text_input.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/check.h"

namespace bte::cli {

namespace {

// Cuts `text` to at most `cap` bytes without splitting a UTF-8 sequence
// (continuation bytes are 10xxxxxx); returns the length before the cut.
void cut_at_char_boundary(std::string& text, size_t cap) {
  if (text.size() <= cap) return;
  size_t n = cap;
  for (int back = 0; back < 3 && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80; ++back)
    --n;
  text.resize(n);
}

}  // namespace

TextSource::TextSource(const std::vector<std::string>& positionals, const std::string& file,
                       size_t max_line_bytes)
    : max_line_bytes_(max_line_bytes) {
  BTE_REQUIRE(max_line_bytes >= 1, ErrorKind::BadInput, "the line byte cap must be at least 1");
  for (const auto& p : positionals) {
    if (p == "-") {
      BTE_REQUIRE(file.empty(), ErrorKind::BadInput, "give texts either with -f or as '-', not both");
      name_ = "-";
    } else {
      args_.push_back(p);
    }
  }
  if (!file.empty()) name_ = file;
  if (args_.empty() && name_.empty()) name_ = "-";  // nothing named: read stdin
  BTE_REQUIRE(args_.empty() || name_.empty(), ErrorKind::BadInput,
              "give texts either as arguments or from a file/stdin, not both");
  if (name_ == "-") {
    file_ = stdin;
    name_ = "<stdin>";
  } else if (!name_.empty()) {
    file_ = std::fopen(name_.c_str(), "rb");
    BTE_REQUIRE(file_, ErrorKind::BadInput, name_, ": cannot open: ", std::strerror(errno));
    owns_file_ = true;
  }
}

TextSource::~TextSource() {
  if (owns_file_) std::fclose(file_);
}

bool TextSource::next(std::string& text) {
  cut_from_ = 0;
  if (!file_) {
    if (arg_pos_ >= args_.size()) return false;
    text = args_[arg_pos_++];
    if (text.size() > max_line_bytes_) {
      cut_from_ = int64_t(text.size());
      cut_at_char_boundary(text, max_line_bytes_);
    }
    return true;
  }
  text.clear();
  int c;
  bool any = false;
  int last = -1;
  int64_t length = 0;  // of the whole line
  // One byte past the cap is kept so the boundary cut can see whether the
  // byte at the cap continues a character.
  while ((c = std::getc(file_)) != EOF) {
    any = true;
    if (c == '\n') break;
    if (text.size() <= max_line_bytes_) text.push_back(char(c));
    ++length;
    last = c;
  }
  BTE_REQUIRE(!std::ferror(file_), ErrorKind::BadInput, name_, ":", line_ + 1, ": read error: ",
              std::strerror(errno));
  if (!any) return false;
  if (last == '\r') {  // a "\r\n" ending (or a lone "\r" before EOF)
    --length;
    if (text.size() > size_t(length)) text.pop_back();
  }
  if (size_t(length) > max_line_bytes_) {
    cut_from_ = length;
    cut_at_char_boundary(text, max_line_bytes_);
  }
  ++line_;
  return true;
}

std::string TextSource::where() const {
  if (!file_) return "argument " + std::to_string(arg_pos_);
  return name_ + ":" + std::to_string(line_);
}

void check_cut(const TextSource& source, const std::string& text, bool refuse) {
  if (source.cut_from() == 0) return;
  BTE_REQUIRE(!refuse, ErrorKind::BadInput, source.where(), ": text of ", source.cut_from(),
              " bytes is longer than the cap of ", source.max_line_bytes(),
              " bytes (--max-line-bytes; --no-truncate refuses it)");
  std::fprintf(stderr, "bte: warning: %s: text of %lld bytes: only its first %zu bytes are used (--max-line-bytes)\n",
               source.where().c_str(), (long long)source.cut_from(), text.size());
}

int64_t TextSource::known_total() const { return file_ ? -1 : int64_t(args_.size()); }

}  // namespace bte::cli
