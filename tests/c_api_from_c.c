/* Compiled as C: proves bte.h is C99 and exercises the API from C. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bte/bte.h"

/* Loads the model, embeds two texts, checks statuses; returns 0 on success,
 * else writes why into msg. */
int bte_test_from_c(const char* model_path, char* msg, size_t cap) {
  bte_model_options opt = bte_model_default_options();
  bte_model* model = NULL;
  const char* texts[2] = {"Hello world", "How are you!"};
  float* out;
  int d;
  opt.threads = 1;
  if (bte_model_load(model_path, &opt, &model) != BTE_OK) {
    snprintf(msg, cap, "load: %s", bte_last_error());
    return 1;
  }
  d = bte_model_hidden_size(model);
  out = (float*)malloc(sizeof(float) * 2 * (size_t)d);
  if (bte_embed(model, texts, 2, BTE_POOLING_MEAN, 1, out, 2 * (size_t)d) != BTE_OK) {
    snprintf(msg, cap, "embed: %s", bte_last_error());
    free(out);
    bte_model_free(model);
    return 2;
  }
  if (bte_embed(model, texts, 2, BTE_POOLING_MEAN, 1, out, 1) != BTE_ERROR_CAPACITY ||
      strstr(bte_last_error(), "floats") == NULL) {
    snprintf(msg, cap, "capacity check did not fire: %s", bte_last_error());
    free(out);
    bte_model_free(model);
    return 3;
  }
  free(out);
  bte_model_free(model);
  snprintf(msg, cap, "ok, d=%d, version %s", d, bte_version());
  return 0;
}
