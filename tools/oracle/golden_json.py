"""Deterministic JSON writer for golden files.

Floats are written with 9 significant digits (enough to round-trip float32);
a list of numbers goes on one line, a list of lists puts each row on its own
line, so files stay diffable.
"""

import json
import math


def _number(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"non-finite value {x} in golden data")
    return format(x, ".9g")


def _is_scalar(x):
    return x is None or isinstance(x, (bool, int, float, str))


def _scalar(x):
    if x is None:
        return "null"
    if isinstance(x, str):
        return json.dumps(x, ensure_ascii=False)
    return _number(x)


def _dump(obj, indent, out):
    pad = " " * indent
    if _is_scalar(obj):
        out.append(_scalar(obj))
    elif isinstance(obj, dict):
        if not obj:
            out.append("{}")
            return
        out.append("{\n")
        items = list(obj.items())
        for i, (k, v) in enumerate(items):
            out.append(pad + "  " + json.dumps(str(k), ensure_ascii=False) + ": ")
            _dump(v, indent + 2, out)
            out.append(",\n" if i + 1 < len(items) else "\n")
        out.append(pad + "}")
    elif isinstance(obj, (list, tuple)):
        if all(_is_scalar(v) for v in obj):
            out.append("[" + ", ".join(_scalar(v) for v in obj) + "]")
            return
        out.append("[\n")
        for i, v in enumerate(obj):
            out.append(pad + "  ")
            _dump(v, indent + 2, out)
            out.append(",\n" if i + 1 < len(obj) else "\n")
        out.append(pad + "]")
    else:
        raise TypeError(f"cannot write {type(obj)} to golden JSON")


def dumps(obj):
    out = []
    _dump(obj, 0, out)
    return "".join(out) + "\n"


def write(path, obj):
    text = dumps(obj)
    json.loads(text)  # the writer must always produce valid JSON
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
