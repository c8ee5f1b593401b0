"""The prior file: a network ``(x, t) -> eps`` and its metadata, read and written.

One home for everything about the file (torch-free; ``onnx`` is imported only by the functions that
edit ONNX graphs):

- the network contract (``prior_meta``'s: x (B, 17, 3) float32 root-relative metres and t (B,)
  float32 in, eps (B, 17, 3) float32 out), checked on a file's tensor names;
- where the metadata (``prior_meta.PriorMeta``, one JSON document) lives: under the key ``zedo`` of
  an ONNX model's ``metadata_props`` and, for every engine file, in a sidecar ``<file>.json`` beside
  it (a TensorRT plan has no metadata of its own); ``read_meta`` is the one reader of it;
- the suffix rules (``.onnx`` for ONNX Runtime; ``.trt``, ``.engine``, ``.plan`` for TensorRT),
  the precisions a file may be stored in, and the priors bundled with the package.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Mapping

from ..io.atomic import atomic_path
from .prior_meta import INPUT_T, INPUT_X, META_KEY, OUTPUT_EPS, PRECISIONS, PriorMeta

# Importable from here as before, for zedo.training (their home is ``prior_meta``).

ONNX_SUFFIXES: tuple[str, ...] = (".onnx",)
TENSORRT_SUFFIXES: tuple[str, ...] = (".trt", ".engine", ".plan")
BUNDLED_PRIORS: tuple[str, ...] = ("default", "h36m")


def read_meta(props: Mapping[str, str], path: str | Path, sidecar: bool = False) -> PriorMeta:
    """The prior's metadata from the ``metadata_props`` ``props`` (key -> value) of the ONNX file
    ``path`` or, where it has none and ``sidecar`` is True, from the sidecar beside it
    (``read_sidecar``); ValueError naming the file otherwise. Every reader of an ONNX prior's
    metadata (the engines, ``load_prior_model``, ``zedo.training.checkpoint``) comes through here."""
    if META_KEY in props:
        return PriorMeta.from_json(props[META_KEY], source=str(path))
    if sidecar:
        return read_sidecar(path)
    raise ValueError(f"{path}: no zedo metadata in the ONNX file; export it with zedo-export")


def sidecar_path(engine_path: str | Path) -> Path:
    """The metadata sidecar of an engine file: ``prior.trt`` -> ``prior.trt.json``."""
    p = Path(engine_path)
    return p.with_name(p.name + ".json")


def read_sidecar(path: str | Path) -> PriorMeta:
    """The metadata in ``path``'s sidecar; ValueError naming the sidecar when it is absent or bad."""
    side = sidecar_path(path)
    if not side.exists():
        raise ValueError(f"{path}: no metadata sidecar {side.name} beside the engine (zedo-export writes it)")
    return PriorMeta.from_json(side.read_text(), source=str(side))


def write_sidecar(path: str | Path, meta: PriorMeta) -> Path:
    """Write ``meta`` to ``path``'s sidecar atomically; returns the sidecar's path."""
    side = sidecar_path(path)
    with atomic_path(side) as tmp:
        tmp.write_text(meta.to_json())
    return side


def bundled_prior_path(name: str) -> Path:
    """Path of a prior shipped inside the package (``default``, ``h36m``)."""
    if name not in BUNDLED_PRIORS:
        raise ValueError(f"unknown bundled prior {name!r}; bundled priors are {', '.join(BUNDLED_PRIORS)}")
    path = Path(str(resources.files("zedo.runtime") / "priors" / f"{name}.onnx"))
    if not path.exists():
        raise FileNotFoundError(f"bundled prior {name!r} is missing from the installation ({path})")
    return path


def check_contract(names_in, names_out, source) -> None:
    """ValueError naming ``source`` unless the graph's tensors are a prior's (x, t -> eps)."""
    names_in, names_out = list(names_in), list(names_out)
    if sorted(names_in) != sorted([INPUT_X, INPUT_T]) or names_out != [OUTPUT_EPS]:
        raise ValueError(f"{source}: inputs {names_in} and outputs {names_out} are not a zedo prior's (x, t -> eps)")


def _load_proto(path: Path, weights: bool):
    import onnx

    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such ONNX file")
    try:
        return onnx.load(str(path), load_external_data=weights)
    except Exception as e:  # onnx raises DecodeError and others for a foreign file
        raise ValueError(f"{path}: not a readable ONNX model ({type(e).__name__})") from None


def _meta_of(proto, path: Path) -> PriorMeta:
    """The metadata embedded in an ``onnx.ModelProto`` read from ``path``."""
    return read_meta({p.key: p.value for p in proto.metadata_props}, path)


def load_prior_model(path):
    """(onnx.ModelProto, PriorMeta) of an ONNX prior; ValueError if it is not one, FileNotFoundError if absent."""
    path = Path(path)
    proto = _load_proto(path, weights=True)
    check_contract([i.name for i in proto.graph.input], [o.name for o in proto.graph.output], path)
    return proto, _meta_of(proto, path)


def read_onnx_meta(path) -> PriorMeta:
    """The metadata embedded in an ONNX prior, read without its external weights."""
    path = Path(path)
    return _meta_of(_load_proto(path, weights=False), path)


def embed_meta(proto, meta: PriorMeta) -> None:
    """Put ``meta`` under ``metadata_props["zedo"]`` of ``proto`` (replacing any earlier one) and run
    the ONNX checker with full shape inference, which refuses a graph that loads but cannot run
    (ValueError with its first line)."""
    import onnx

    kept = [p for p in proto.metadata_props if p.key != META_KEY]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    proto.metadata_props.add(key=META_KEY, value=meta.to_json())
    try:
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
        raise ValueError(f"the ONNX checker rejects the graph: {str(e).splitlines()[0][:300]}") from None


def save_prior_model(proto, path, meta: PriorMeta, precision: str) -> Path:
    """Embed ``meta`` (with ``precision``) in ``proto``, check it, write it and its sidecar atomically.

    ``path`` must end in .onnx. Returns the path.
    """
    import onnx

    path = Path(path)
    check_onnx_suffix(path)
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    meta = replace(meta, precision=precision)
    embed_meta(proto, meta)
    with atomic_path(path) as tmp:
        onnx.save(proto, str(tmp))
    write_sidecar(path, meta)
    return path


def check_onnx_suffix(path: Path) -> None:
    """ValueError unless ``path`` ends in .onnx (the runtime picks engines by suffix)."""
    if Path(path).suffix.lower() not in ONNX_SUFFIXES:
        raise ValueError(f"{path}: an ONNX prior's file name must end in .onnx (the runtime picks engines by suffix)")
