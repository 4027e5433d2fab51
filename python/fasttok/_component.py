"""Shared machinery of the component classes (normalizers, pre-tokenizers,
models, processors, decoders).

A component is described by the same JSON object that tokenizer.json holds
for it; the Rust core builds (and validates) it once, at construction.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Dict, Optional, Type

from fasttok import _core


class Regex:
    """A regular expression pattern (Oniguruma syntax, as in ``tokenizers``)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r})"


def pattern_spec(pattern: Any) -> Dict[str, str]:
    if isinstance(pattern, Regex):
        return {"Regex": pattern.pattern}
    if isinstance(pattern, str):
        return {"String": pattern}
    raise TypeError(f"pattern: expected str or fasttok.Regex, got {type(pattern).__name__}")


class Component:
    """Base of every component class."""

    _kind: ClassVar[str] = ""
    _registry: ClassVar[Dict[str, Type[Component]]] = {}
    _core: Any

    def __init__(self, spec: Dict[str, Any]) -> None:
        self._set(spec, _core.Component(self._kind, json.dumps(spec)))

    def _set(self, spec: Optional[Dict[str, Any]], core: Any) -> None:
        object.__setattr__(self, "_spec_cache", spec)
        object.__setattr__(self, "_core", core)

    @property
    def _spec(self) -> Dict[str, Any]:
        """The tokenizer.json object; read from the core only when asked for
        (a model's vocabulary can be large)."""
        spec = self.__dict__.get("_spec_cache")
        if spec is None:
            spec = json.loads(self._core.to_json())
            object.__setattr__(self, "_spec_cache", spec)
        return spec  # type: ignore[no-any-return]

    @classmethod
    def _wrap(cls, spec: Dict[str, Any], core: Any = None) -> Component:
        """Builds the Python object of the right subclass for a spec."""
        sub = cls._registry.get(f"{cls._kind}:{spec.get('type')}", cls)
        obj = sub.__new__(sub)
        if core is None:
            core = _core.Component(cls._kind, json.dumps(spec))
        obj._set(spec, core)
        return obj

    @classmethod
    def _from_core(cls, core: Any) -> Component:
        """Wraps a built component; its spec is read lazily."""
        sub = cls._registry.get(f"{cls._kind}:{core.type_name()}", cls)
        obj = sub.__new__(sub)
        obj._set(None, core)
        return obj

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        type_name = cls.__dict__.get("_type", cls.__name__)
        if cls._kind:
            Component._registry[f"{cls._kind}:{type_name}"] = cls

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or "_core" not in self.__dict__:
            raise AttributeError(name)
        spec = self._spec
        if name in spec:
            return spec[name]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: build a new one and assign it to the tokenizer")

    def __getstate__(self) -> Dict[str, Any]:
        return self._spec

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self._set(state, _core.Component(self._kind, json.dumps(state)))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._spec.items() if k != "type")
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Component) and self._spec == other._spec

    def __hash__(self) -> int:
        return hash(json.dumps(self._spec, sort_keys=True))

    def to_json(self) -> str:
        """The component's tokenizer.json object."""
        return str(self._core.to_json())
