"""Typed reading of the record's JSON: each field with the type it must have.

The record is protobuf's JSON mapping of harness/record.proto. Obj wraps one
JSON object with where it is in the record ("samples[0].metrics[2]") and
reads its fields by their .proto name (either JSON spelling), each checked
against its type and range; anything else is a LoadError that names the
field, the type it must have and what it got. An absent or null field is the
proto3 default.

    cell = Obj(json.loads(line), "")
    size = cell.obj("key").int("size", UINT64)   # "123" or 123
    for s in cell.objs("samples"): ...
    # LoadError: "samples[0].metrics[2].value: expected a number, got a list"
"""

import json
import math
import re
from typing import Any, Dict, List, Optional, Tuple

# No measured quantity comes near this; a larger value is a damaged record,
# and bounding values keeps every sum, square and plot finite.
MAX_VALUE = 1e30
INT32 = (-(1 << 31), (1 << 31) - 1)
UINT32 = (0, (1 << 32) - 1)
UINT64 = (0, (1 << 64) - 1)


class LoadError(Exception):
    """An unreadable or malformed results record; str() is one line."""


def kind(v: Any) -> str:
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return "a number"
    return {
        str: "a string",
        list: "a list",
        dict: "an object"
    }.get(type(v), type(v).__name__)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def _text(v: str, where: str) -> str:
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise LoadError(f"{where}: not valid Unicode text (a lone surrogate "
                        "escape)") from None
    return v


def _number(v: Any, where: str) -> float:
    """A proto3 JSON double: a number, or a string of one ("NaN",
    "Infinity", "-Infinity", "1.5"); finite values within MAX_VALUE."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise LoadError(f"{where}: expected a number, got {kind(v)}")
    try:
        x = float(v)
    except ValueError:
        raise LoadError(f"{where}: expected a number, got "
                        f"{short(v)}") from None
    except OverflowError:  # an integer beyond any float
        x = math.inf
    if isinstance(v, int) and not math.isfinite(x) or math.isfinite(
            x) and abs(x) > MAX_VALUE:
        raise LoadError(f"{where}: {short(v)} is out of range (a measured "
                        f"value is within ±{MAX_VALUE:g})")
    return x


def _integer(v: Any, where: str, lo: int, hi: int) -> int:
    """A proto3 JSON integer: a number with no fraction, or a decimal string
    (the mapping writes 64-bit integers as strings), within [lo, hi]."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise LoadError(f"{where}: expected a whole number, got {kind(v)}")
    n: Optional[int] = None
    if isinstance(v, int):
        n = v
    elif isinstance(v, float):
        if math.isfinite(v) and v == int(v):
            n = int(v)
    elif re.fullmatch(r"\s*-?\d{1,30}\s*", v):
        n = int(v)
    if n is None:
        raise LoadError(f"{where}: expected a whole number, got {short(v)}")
    if not lo <= n <= hi:
        raise LoadError(f"{where}: {short(v)} is out of range "
                        f"({lo} to {hi})")
    return n


def short(v: Any) -> str:
    """v for an error message: short and on one line."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        r = repr(v)
        return r if len(r) <= 24 else f"a number of {len(r)} digits"
    r = json.dumps(v, ensure_ascii=True) if isinstance(v, str) else kind(v)
    return r if len(r) <= 40 else r[:37] + '..."'


class Obj:
    """A JSON object of the record and where it is ("samples[0].metrics[2]"),
    read field by field with the type each field must have. An absent or
    null field is the proto3 default."""

    def __init__(self, d: Any, where: str):
        if not isinstance(d, dict):
            raise LoadError(f"{where or 'the line'}: expected an object, got "
                            f"{kind(d)}")
        self.d = d
        self.where = where

    def _at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def raw(self, key: str) -> Any:
        v = self.d.get(key)
        if v is None:
            v = self.d.get(_camel(key))
        return v

    def has(self, key: str) -> bool:
        return self.raw(key) is not None

    def _typed(self, key: str, typ: type, what: str, default: Any) -> Any:
        """The field if it is a typ (what, for the error), default if absent."""
        v = self.raw(key)
        if v is None:
            return default
        if not isinstance(v, typ):
            raise LoadError(f"{self._at(key)}: expected {what}, got {kind(v)}")
        return v

    def str(self, key: str, default: str = "") -> str:
        return _text(self._typed(key, str, "a string", default), self._at(key))

    def name(self, key: str, default: str = "") -> str:
        """A string that names something (a transport, a mode): one line."""
        v = self.str(key, default)
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
            raise LoadError(f"{self._at(key)}: {short(v)} holds a control "
                            "character")
        return v

    def int(self, key: str, bounds: Tuple[int, int], default: int = 0) -> int:
        v = self.raw(key)
        return default if v is None else _integer(v, self._at(key), *bounds)

    def num(self, key: str, default: float = 0.0) -> float:
        v = self.raw(key)
        return default if v is None else _number(v, self._at(key))

    def bool(self, key: str) -> bool:
        return self._typed(key, bool, "true or false", False)

    def obj(self, key: str) -> "Obj":
        v = self.raw(key)
        return Obj({} if v is None else v, self._at(key))

    def list(self, key: str) -> List[Any]:
        return self._typed(key, list, "a list", [])

    def objs(self, key: str) -> List["Obj"]:
        return [
            Obj(v, f"{self._at(key)}[{i}]")
            for i, v in enumerate(self.list(key))
        ]

    def strs(self, key: str) -> List[str]:
        out = []
        for i, v in enumerate(self.list(key)):
            at = f"{self._at(key)}[{i}]"
            if not isinstance(v, str):
                raise LoadError(f"{at}: expected a string, got {kind(v)}")
            out.append(_text(v, at))
        return out

    def pick(self, spec: Dict[str, Any]) -> Dict[str, Any]:
        """The fields of spec that are present, each read as spec says: str,
        float, bool or integer bounds."""
        out: Dict[str, Any] = {}
        for key, kind in spec.items():
            if not self.has(key):
                continue
            if kind is str:
                out[key] = self.str(key)
            elif kind is float:
                out[key] = self.num(key)
            elif kind is bool:
                out[key] = self.bool(key)
            else:
                out[key] = self.int(key, kind)
        return out
