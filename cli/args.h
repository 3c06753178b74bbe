// A small command-line parser: `--name value`, `--name=value`, `-x value`,
// `--flag`, and positionals. Unknown options are usage errors (exit 1).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bte::cli {

class Args {
 public:
  // `valued` and `flags` list accepted names ("--threads", "-m"); aliases map
  // a short name to its long one.
  Args(int argc, char** argv, int first, const std::set<std::string>& valued,
       const std::set<std::string>& flags, const std::map<std::string, std::string>& aliases = {});

  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  // Integer option within [lo, hi]; a bad value is a usage error naming the option.
  int get_int(const std::string& name, int fallback, int lo, int hi) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positionals_;
};

}  // namespace bte::cli
