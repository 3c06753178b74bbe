"""Loads libbte and declares the C API's functions for ctypes (engine/include/bte/bte.h)."""
import ctypes
import ctypes.util
import os

c_int_p = ctypes.POINTER(ctypes.c_int)
c_float_p = ctypes.POINTER(ctypes.c_float)
c_size_p = ctypes.POINTER(ctypes.c_size_t)
c_char_pp = ctypes.POINTER(ctypes.c_char_p)


class ModelOptions(ctypes.Structure):
    _fields_ = [("device", ctypes.c_int), ("threads", ctypes.c_int), ("dtype", ctypes.c_int),
                ("mode", ctypes.c_int), ("truncate", ctypes.c_int), ("max_batch_tokens", ctypes.c_int)]


class EmbedOptions(ctypes.Structure):
    _fields_ = [("pooling", ctypes.c_int), ("normalize", ctypes.c_int),
                ("prompt_name", ctypes.c_char_p), ("prompt_text", ctypes.c_char_p)]


def _find():
    """BTE_LIBRARY when set, else wherever the dynamic loader finds libbte."""
    explicit = os.environ.get("BTE_LIBRARY")
    if explicit:
        return explicit
    for name in ("libbte.so.0", ctypes.util.find_library("bte")):
        if not name:
            continue
        try:
            ctypes.CDLL(name)
            return name
        except OSError:
            pass
    raise OSError("libbte not found: build bte and install it (cmake --install build), or set "
                  "BTE_LIBRARY to the path of libbte.so (e.g. build/engine/libbte.so)")


def load():
    lib = ctypes.CDLL(_find())  # CDLL: the GIL is released during each call
    P = ctypes.c_void_p
    sig = {
        "bte_version": (ctypes.c_char_p, []),
        "bte_last_error": (ctypes.c_char_p, []),
        "bte_model_default_options": (ModelOptions, []),
        "bte_model_load": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(ModelOptions), ctypes.POINTER(P)]),
        "bte_model_free": (None, [P]),
        "bte_model_hidden_size": (ctypes.c_int, [P]),
        "bte_model_num_labels": (ctypes.c_int, [P]),
        "bte_model_label": (ctypes.c_char_p, [P, ctypes.c_int]),
        "bte_model_max_tokens": (ctypes.c_int, [P]),
        "bte_model_architecture": (ctypes.c_char_p, [P]),
        "bte_model_family": (ctypes.c_char_p, [P]),
        "bte_model_describe": (ctypes.c_char_p, [P]),
        "bte_model_dtype": (ctypes.c_int, [P]),
        "bte_model_pooling": (ctypes.c_int, [P]),
        "bte_model_normalizes": (ctypes.c_int, [P]),
        "bte_model_embedding_max_tokens": (ctypes.c_int, [P]),
        "bte_model_num_prompts": (ctypes.c_int, [P]),
        "bte_model_prompt_name": (ctypes.c_char_p, [P, ctypes.c_int]),
        "bte_model_prompt_text": (ctypes.c_char_p, [P, ctypes.c_int]),
        "bte_model_default_prompt": (ctypes.c_char_p, [P]),
        "bte_model_head_activation": (ctypes.c_char_p, [P]),
        "bte_embed_default_options": (EmbedOptions, []),
        "bte_embed_with": (ctypes.c_int, [P, c_char_pp, ctypes.c_size_t, ctypes.POINTER(EmbedOptions),
                                          c_float_p, ctypes.c_size_t]),
        "bte_classify": (ctypes.c_int, [P, c_char_pp, ctypes.c_size_t, c_float_p, ctypes.c_size_t]),
        "bte_classify_logits": (ctypes.c_int, [P, c_char_pp, ctypes.c_size_t, c_float_p, ctypes.c_size_t]),
        "bte_rerank": (ctypes.c_int, [P, ctypes.c_char_p, c_char_pp, ctypes.c_size_t, ctypes.c_int,
                                      c_float_p, ctypes.c_size_t]),
        "bte_count_tokens": (ctypes.c_int, [P, c_char_pp, ctypes.c_size_t, c_size_p]),
        "bte_tokenize": (ctypes.c_int, [P, c_char_pp, ctypes.c_size_t, c_int_p, ctypes.c_size_t, c_size_p]),
    }
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype = res
        f.argtypes = args
    return lib
