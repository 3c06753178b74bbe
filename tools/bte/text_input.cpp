#include "tools/bte/text_input.h"

#include <cerrno>
#include <cstring>

#include "base/check.h"

namespace bte::cli {

TextSource::TextSource(const std::vector<std::string>& positionals, const std::string& file) {
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
  if (!file_) {
    if (arg_pos_ >= args_.size()) return false;
    text = args_[arg_pos_++];
    return true;
  }
  text.clear();
  int c;
  bool any = false;
  while ((c = std::getc(file_)) != EOF) {
    any = true;
    if (c == '\n') break;
    text.push_back(char(c));
  }
  BTE_REQUIRE(!std::ferror(file_), ErrorKind::BadInput, name_, ":", line_ + 1, ": read error: ",
              std::strerror(errno));
  if (!any) return false;
  if (!text.empty() && text.back() == '\r') text.pop_back();
  ++line_;
  return true;
}

std::string TextSource::where() const {
  if (!file_) return "argument " + std::to_string(arg_pos_);
  return name_ + ":" + std::to_string(line_);
}

int64_t TextSource::known_total() const { return file_ ? -1 : int64_t(args_.size()); }

}  // namespace bte::cli
