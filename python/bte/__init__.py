"""bte from Python: embeddings, classification, reranking and tokenization
with a converted .bte model, over bte's C library (see README.md).

    with bte.Model("model.bte") as m:
        vectors = m.embed(["Hello world", "How are you?"])   # numpy (2, d) float32
"""
import ctypes
import threading

import numpy as np

from . import _lib as _capi

__all__ = ["Model", "BteError", "BteInputError", "BteModelError", "__version__"]
__version__ = "0.1.0"

_LIB = None
_LIB_LOCK = threading.Lock()

# bte_status values (bte.h) and the exception each becomes.
_OK, _INVALID_ARGUMENT, _BAD_INPUT, _CAPACITY, _BAD_MODEL = 0, 1, 2, 3, 4
_POOLING = {"cls": 0, "mean": 1, "max": 2}
_POOLING_NAME = {v: k for k, v in _POOLING.items()}
_DEVICES = {"cpu": 0, "cuda": 1}
_DTYPES = {"fp32": 0, "bf16": 1, "fp16": 2, "int8": 3, "auto": 4}
_DTYPE_NAME = {v: k for k, v in _DTYPES.items()}
_MODES = {"packed": 0, "fused": 1, "reference": 2}


class BteError(RuntimeError):
    """A failure bte reported; .status is its bte_status code."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class BteInputError(BteError, ValueError):
    """Bad input or a bad argument (bte_status 1 or 2)."""


class BteModelError(BteError):
    """A model file bte cannot use (bte_status 4)."""


def _library():
    global _LIB
    with _LIB_LOCK:
        if _LIB is None:
            _LIB = _capi.load()
        return _LIB


def _raise(status):
    lib = _library()
    msg = (lib.bte_last_error() or b"").decode("utf-8", "replace") or "bte error %d" % status
    if status in (_INVALID_ARGUMENT, _BAD_INPUT):
        raise BteInputError(msg, status)
    if status == _BAD_MODEL:
        raise BteModelError(msg, status)
    raise BteError(msg, status)


def _choice(name, value, table):
    if not isinstance(value, str) or value not in table:
        raise ValueError("%s must be one of %s, got %r" % (name, ", ".join(sorted(table)), value))
    return table[value]


def _c_string(value, what):
    """A str for a C argument: UTF-8, refused when it holds a NUL (C would cut it there)."""
    if not isinstance(value, str):
        raise TypeError("%s must be a str, got %s" % (what, type(value).__name__))
    if "\0" in value:
        raise ValueError("%s contains a NUL character, which bte's C API cannot pass" % what)
    return value.encode("utf-8", "strict")


def _texts(texts, what="texts"):
    """A list of str -> (count, C array of UTF-8 pointers, keep-alive list)."""
    if isinstance(texts, (str, bytes)) or texts is None or not hasattr(texts, "__iter__"):
        raise TypeError("%s must be a list of str, got %s" % (what, type(texts).__name__))
    encoded = []
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError("%s[%d] must be a str, got %s" % (what, i, type(t).__name__))
        b = t.encode("utf-8", "strict")
        if b"\0" in b:
            raise ValueError("%s[%d] contains a NUL character, which bte's C API cannot pass" % (what, i))
        encoded.append(b)
    arr = (ctypes.c_char_p * max(len(encoded), 1))(*encoded)
    return len(encoded), arr, encoded


class Model:
    """A loaded .bte model. Thread-safe: one Model may serve many threads.

    Model(path, device="cpu", dtype="auto", threads=0, mode="packed",
          truncate=True, max_batch_tokens=0)
    """

    def __init__(self, path, device="cpu", dtype="auto", threads=0, mode="packed", truncate=True,
                 max_batch_tokens=0):
        path_bytes = _c_string(path, "path")
        for name, v in (("threads", threads), ("max_batch_tokens", max_batch_tokens)):
            if not isinstance(v, int) or isinstance(v, bool):
                raise TypeError("%s must be an int, got %s" % (name, type(v).__name__))
        lib = _library()
        opts = lib.bte_model_default_options()
        opts.device = _choice("device", device, _DEVICES)
        opts.dtype = _choice("dtype", dtype, _DTYPES)
        opts.mode = _choice("mode", mode, _MODES)
        opts.threads = threads
        opts.truncate = 1 if truncate else 0
        opts.max_batch_tokens = max_batch_tokens
        handle = ctypes.c_void_p()
        status = lib.bte_model_load(path_bytes, ctypes.byref(opts), ctypes.byref(handle))
        if status != _OK:
            _raise(status)
        self._h = handle
        self._lib = lib
        self._active = 0
        self._closed = False
        self._cv = threading.Condition()
        # "auto" resolved: int8 for an int8 .bte on the CPU, else fp32.
        self._options = {"device": device, "dtype": _DTYPE_NAME[lib.bte_model_dtype(handle)],
                         "mode": mode, "threads": threads}
        self.path = path
        self.dim = lib.bte_model_hidden_size(handle)
        self.labels = [lib.bte_model_label(handle, i).decode("utf-8")
                       for i in range(lib.bte_model_num_labels(handle))]

    # -- life --------------------------------------------------------------
    def close(self):
        """Frees the model once every running call on it has returned."""
        with self._cv:
            if self._closed:
                return
            self._closed = True
            while self._active:
                self._cv.wait()
            self._lib.bte_model_free(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _enter(self):
        with self._cv:
            if self._closed:
                raise ValueError("this bte.Model is closed")
            self._active += 1

    def _leave(self):
        with self._cv:
            self._active -= 1
            self._cv.notify_all()

    def _call(self, fn, *args):
        self._enter()
        try:
            status = fn(self._h, *args)
        finally:
            self._leave()
        if status != _OK:
            _raise(status)

    # -- what it is ----------------------------------------------------------
    @property
    def info(self):
        self._enter()  # close() waits until this returns
        try:
            return self._info()
        finally:
            self._leave()

    def _info(self):
        lib, h = self._lib, self._h
        prompts = {lib.bte_model_prompt_name(h, i).decode("utf-8"):
                   lib.bte_model_prompt_text(h, i).decode("utf-8")
                   for i in range(lib.bte_model_num_prompts(h))}
        return {
            "path": self.path,
            "architecture": lib.bte_model_architecture(h).decode("utf-8"),
            "family": lib.bte_model_family(h).decode("utf-8"),
            "hidden_size": self.dim,
            "max_tokens": lib.bte_model_max_tokens(h),
            "num_labels": len(self.labels),
            "labels": list(self.labels),
            "head_activation": (lib.bte_model_head_activation(h) or b"").decode("utf-8") if self.labels else None,
            "pooling": _POOLING_NAME.get(lib.bte_model_pooling(h)),
            "normalize": bool(lib.bte_model_normalizes(h)),
            "prompts": prompts,
            "default_prompt": lib.bte_model_default_prompt(h).decode("utf-8") or None,
            "embedding_max_tokens": lib.bte_model_embedding_max_tokens(h),
            "device": self._options["device"],
            "dtype": self._options["dtype"],
            "mode": self._options["mode"],
            "path_taken": lib.bte_model_describe(h).decode("utf-8"),
        }

    # -- embeddings ------------------------------------------------------------
    def embed(self, texts, pooling=None, normalize=None, prompt=None, prompt_text=None,
              batch_size=None):
        """Texts -> numpy float32 (n, d), as the model makes embeddings unless told:
        pooling "cls" | "mean" | "max", normalize True/False, prompt (one of the
        model's prompt names; "" for none) or prompt_text. A single str gives (d,)."""
        single = isinstance(texts, str)
        n, arr, keep = _texts([texts] if single else texts)
        opts = self._lib.bte_embed_default_options()
        if pooling is not None:
            opts.pooling = _choice("pooling", pooling, _POOLING)
        if normalize is not None:
            if not isinstance(normalize, bool):
                raise TypeError("normalize must be a bool or None")
            opts.normalize = 1 if normalize else 0
        if prompt is not None and prompt_text is not None:
            raise ValueError("give prompt or prompt_text, not both")
        keep_p = [_c_string(v, name) if v is not None else None
                  for name, v in (("prompt", prompt), ("prompt_text", prompt_text))]
        opts.prompt_name, opts.prompt_text = keep_p
        out = np.empty((n, self.dim), dtype=np.float32)
        step = self._batch(batch_size, n)
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            sub = ctypes.cast(ctypes.addressof(arr) + lo * ctypes.sizeof(ctypes.c_char_p), _capi.c_char_pp)
            dst = out[lo:hi].ctypes.data_as(_capi.c_float_p)
            self._call(self._lib.bte_embed_with, sub, hi - lo, ctypes.byref(opts), dst, (hi - lo) * self.dim)
        del keep
        return out[0] if single else out

    @staticmethod
    def _batch(batch_size, n):
        if batch_size is None:
            return max(n, 1)
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError("batch_size must be a positive int, got %r" % (batch_size,))
        return batch_size

    # -- classification ----------------------------------------------------------
    def classify(self, texts, top_k=1):
        """One dict per text: label, score (the head's activation: softmax, sigmoid
        or none, as info["head_activation"] says), scores and logits by label,
        and with top_k > 1 the top_k best as [{"label", "score"}]."""
        if not self.labels:
            raise ValueError("this model has no classification head (a bare encoder)")
        if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= len(self.labels):
            raise ValueError("top_k must be an int in 1..%d, got %r" % (len(self.labels), top_k))
        if isinstance(texts, (str, bytes)) or texts is None or not hasattr(texts, "__iter__"):
            raise TypeError("texts must be a list of str, got %s" % type(texts).__name__)
        texts = list(texts)  # read once: a generator would be empty the second time
        scores = self.classify_scores(texts)
        logits = self.classify_scores(texts, logits=True)
        n, C = scores.shape
        results = []
        for i in range(n):
            order = sorted(range(C), key=lambda k: -scores[i, k])
            r = {"label": self.labels[order[0]], "score": float(scores[i, order[0]]),
                 "scores": {self.labels[k]: float(scores[i, k]) for k in range(C)},
                 "logits": {self.labels[k]: float(logits[i, k]) for k in range(C)}}
            if top_k > 1:
                r["top_k"] = [{"label": self.labels[k], "score": float(scores[i, k])} for k in order[:top_k]]
            results.append(r)
        return results

    def classify_scores(self, texts, logits=False):
        """numpy float32 (n, labels): each text's score per label (the head's
        activation), or with logits=True the raw logits; columns in the order
        of .labels. One pass over the texts, no per-text dicts."""
        if not self.labels:
            raise ValueError("this model has no classification head (a bare encoder)")
        n, arr, keep = _texts(texts)
        C = len(self.labels)
        out = np.empty((n, C), dtype=np.float32)
        if n:
            fn = self._lib.bte_classify_logits if logits else self._lib.bte_classify
            self._call(fn, arr, n, out.ctypes.data_as(_capi.c_float_p), n * C)
        del keep
        return out

    # -- reranking -------------------------------------------------------------------
    def rerank(self, query, documents, raw_scores=False, top_k=None, return_documents=False):
        """A cross-encoder's ranking of documents for query, best first, as
        sentence-transformers' CrossEncoder.rank: [{"corpus_id", "score"[, "text"]}]."""
        query_bytes = _c_string(query, "query")
        n, arr, keep = _texts(documents, "documents")
        scores = np.empty(n, dtype=np.float32)
        if n:
            self._call(self._lib.bte_rerank, query_bytes, arr, n, 1 if raw_scores else 0,
                       scores.ctypes.data_as(_capi.c_float_p), n)
        del keep
        order = sorted(range(n), key=lambda i: -scores[i])
        if top_k is not None:
            if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
                raise ValueError("top_k must be a positive int or None")
            order = order[:top_k]
        out = []
        for i in order:
            r = {"corpus_id": i, "score": float(scores[i])}
            if return_documents:
                r["text"] = documents[i]
            out.append(r)
        return out

    # -- tokens ------------------------------------------------------------------------------
    def tokenize(self, texts):
        """Token ids per text (specials included, truncated as the model truncates)."""
        n, arr, keep = _texts(texts)
        if not n:
            return []
        total = ctypes.c_size_t()
        self._call(self._lib.bte_count_tokens, arr, n, ctypes.byref(total))
        ids = np.empty(total.value, dtype=np.intc)
        offsets = np.empty(n + 1, dtype=np.uintp)
        self._call(self._lib.bte_tokenize, arr, n, ids.ctypes.data_as(_capi.c_int_p), total.value,
                   offsets.ctypes.data_as(_capi.c_size_p))
        del keep
        return [ids[offsets[i]:offsets[i + 1]].tolist() for i in range(n)]
