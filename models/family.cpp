#include "models/family.h"

#include "base/check.h"

namespace bte {

const std::vector<const ModelFamily*>& model_families() {
  static const std::vector<const ModelFamily*> all = {&xlm_roberta_family(), &bert_family(),
                                                       &distilbert_family()};
  return all;
}

const ModelFamily& model_family(std::string_view name) {
  std::string known;
  for (const ModelFamily* f : model_families()) {
    if (f->name == name) return *f;
    known += (known.empty() ? "\"" : ", \"") + f->name + "\"";
  }
  BTE_FAIL(ErrorKind::BadModel, "model family \"", name, "\" is not one this bte knows (", known,
           ")");
}

const ModelFamily* family_for_hf_model_type(std::string_view model_type) {
  for (const ModelFamily* f : model_families())
    for (const std::string& t : f->hf_model_types)
      if (t == model_type) return f;
  return nullptr;
}

}  // namespace bte
