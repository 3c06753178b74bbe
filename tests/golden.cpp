#include "tests/golden.h"

#include <map>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "tests/test_util.h"

namespace bte::test {

Golden load_golden(const std::string& path) {
  const auto j = nlohmann::json::parse(read_file(path));
  if (j.at("magic") != "bte-golden" || j.at("version") != 1)
    throw std::runtime_error(path + ": not a bte-golden v1 file (regenerate: " +
                             j.value("regenerate", std::string("tools/oracle")) + ")");
  Golden g;
  const auto& c = j.at("config");
  g.hidden = c.at("hidden");
  g.num_labels = c.value("num_labels", 0);
  if (c.contains("labels")) g.labels = c.at("labels").get<std::vector<std::string>>();
  for (const auto& k : j.at("cases")) {
    GoldenCase gc;
    gc.text = k.at("text");
    gc.ids = k.at("ids").get<std::vector<int32_t>>();
    gc.truncated = k.value("truncated", false);
    for (const auto& row : k.at("hidden"))
      for (float x : row) gc.hidden.push_back(x);
    gc.cls = k.at("cls").get<std::vector<float>>();
    gc.mean = k.at("mean").get<std::vector<float>>();
    gc.cls_l2 = k.at("cls_l2").get<std::vector<float>>();
    gc.mean_l2 = k.at("mean_l2").get<std::vector<float>>();
    if (k.contains("logits")) {
      gc.logits = k.at("logits").get<std::vector<float>>();
      gc.probs = k.at("probs").get<std::vector<float>>();
    }
    g.cases.push_back(std::move(gc));
  }
  return g;
}

std::string convert_checkpoint(const std::string& hf_dir, const std::string& extra_args) {
  // One conversion per checkpoint and arguments in a test process: the
  // tests only read the result, and under the sanitizers each `bte convert`
  // costs seconds.
  static std::map<std::string, std::string> done;
  const std::string key = hf_dir + '\n' + extra_args;
  if (auto it = done.find(key); it != done.end()) return it->second;
  const std::string out = temp_dir() + "/model.bte";
  const auto r = run_command(bte_binary() + " convert " + shell_quote(hf_dir) + " -o " + out +
                             (extra_args.empty() ? "" : " " + extra_args));
  if (r.exit_code != 0)
    throw std::runtime_error("bte convert " + hf_dir + " failed (" +
                             std::to_string(r.exit_code) + "): " + r.err);
  done[key] = out;
  return out;
}

}  // namespace bte::test
