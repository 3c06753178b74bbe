#include "cli/args.h"

#include <cerrno>
#include <cstdlib>

#include "base/check.h"

namespace bte::cli {

Args::Args(int argc, char** argv, int first, const std::set<std::string>& valued,
           const std::set<std::string>& flags, const std::map<std::string, std::string>& aliases) {
  bool only_positionals = false;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (only_positionals || a.size() < 2 || a[0] != '-') {
      positionals_.push_back(a);  // "-" alone (stdin) is a positional too
      continue;
    }
    if (a == "--") {
      only_positionals = true;
      continue;
    }
    std::string value;
    bool has_value = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1), a = a.substr(0, eq), has_value = true;
    }
    if (auto it = aliases.find(a); it != aliases.end()) a = it->second;
    if (flags.count(a)) {
      BTE_REQUIRE(!has_value, ErrorKind::BadInput, "option ", a, " takes no value");
      flags_.insert(a);
    } else if (valued.count(a)) {
      if (!has_value) {
        BTE_REQUIRE(i + 1 < argc, ErrorKind::BadInput, "option ", a, " needs a value");
        value = argv[++i];
      }
      values_[a] = value;
    } else {
      BTE_FAIL(ErrorKind::BadInput, "unknown option ", a, " (see `bte help`)");
    }
  }
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::get_or(const std::string& name, const std::string& fallback) const {
  return get(name).value_or(fallback);
}

int Args::get_int(const std::string& name, int fallback, int lo, int hi) const {
  auto v = get(name);
  if (!v) return fallback;
  errno = 0;
  char* end = nullptr;
  const long x = std::strtol(v->c_str(), &end, 10);
  BTE_REQUIRE(errno == 0 && end != v->c_str() && *end == '\0' && x >= lo && x <= hi,
              ErrorKind::BadInput, "option ", name, " needs an integer in [", lo, ", ", hi,
              "], got '", *v, "'");
  return int(x);
}

}  // namespace bte::cli
