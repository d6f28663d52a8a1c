"""Where each order parameter and scalar lives in the flat state vector.

The kernels are index-generic, so the layout is computed at run time from
the size parameters (``K``, ``M``).  Overlap blocks are stored as full
matrices (symmetric ones mirrored); CSV columns list each symmetric entry
once (``Q[1,2]``, not ``Q[2,1]``), with 1-based indices.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from statc.dsl import StatcError

#: The largest state vector (10⁷ entries, 80 MB): K = 3000 hidden units is already 9·10⁶.
MAX_STATE = 10_000_000


@dataclass(frozen=True)
class BlockLayout:
    name: str
    kind: str
    families: tuple[str, ...]
    shape: tuple[int, ...]
    offset: int
    symmetric: bool
    evolves: bool
    indexed: tuple[bool, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def entries(self):
        """(column name, flat position) of the entries shown to users."""
        if self.kind == "scalar":
            for a in range(self.shape[0]):
                yield (f"{self.name}[{a + 1}]" if self.indexed[0] else self.name), self.offset + a
            return
        n0, n1 = self.shape
        for a in range(n0):
            for b in range(a if self.symmetric else 0, n1):
                idx = [str(i + 1) for i, shown in zip((a, b), self.indexed) if shown]
                name = f"{self.name}[{','.join(idx)}]" if idx else self.name
                yield name, self.offset + a * n1 + b


@dataclass(frozen=True)
class Layout:
    blocks: tuple[BlockLayout, ...]
    size: int

    def block(self, name: str) -> BlockLayout:
        return next(b for b in self.blocks if b.name == name)

    def columns(self) -> list[tuple[str, int]]:
        return [e for b in self.blocks for e in b.entries()]

    def entry_name(self, flat: int) -> str:
        for b in self.blocks:
            if b.offset <= flat < b.offset + b.size:
                local = flat - b.offset
                if b.kind == "scalar":
                    return f"{b.name}[{local + 1}]"
                a, c = divmod(local, b.shape[1])
                return f"{b.name}[{a + 1},{c + 1}]"
        return f"entry {flat}"


def make_layout(meta: dict, values: dict[str, float]) -> Layout:
    def size(s) -> int:
        return int(s) if isinstance(s, int) else int(round(values[s]))

    shapes = [tuple(size(s) for s in b["sizes"]) for b in meta["blocks"]]
    total = sum(math.prod(shape) for shape in shapes)
    if total > MAX_STATE:
        sizes = sorted({s for b in meta["blocks"] for s in b["sizes"] if isinstance(s, str)})
        raise StatcError(f"the state would have {total:,} entries, more than the {MAX_STATE:,} allowed",
                         hint="overlap matrices grow as the square of the sizes ("
                              + ", ".join(f"{s} = {values[s]:g}" for s in sizes) + "); use smaller sizes")
    blocks = []
    off = 0
    for b, shape in zip(meta["blocks"], shapes):
        bl = BlockLayout(b["name"], b["kind"], tuple(b["families"]), shape, off, b["symmetric"],
                         b["evolves"], tuple(b["indexed"]))
        blocks.append(bl)
        off += bl.size
    return Layout(tuple(blocks), off)
