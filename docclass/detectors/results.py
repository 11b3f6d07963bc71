"""What a detector finds: spans with masked examples, and a detector's result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MAX_EXAMPLES = 3
MAX_SPANS = 200


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    masked: str


@dataclass
class DetectorResult:
    name: str
    count: int
    examples: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "count": self.count,
            "examples": list(self.examples),
            "spans": [list(s) for s in self.spans],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> DetectorResult:
        spans = [tuple(s) for s in data.get("spans", [])]  # type: ignore[union-attr]
        return cls(
            name=str(data["name"]),
            count=int(data["count"]),  # type: ignore[arg-type]
            examples=list(data.get("examples", [])),  # type: ignore[arg-type]
            spans=spans,  # type: ignore[arg-type]
        )
