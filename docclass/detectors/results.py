"""What a detector finds: spans with masked examples, and a detector's result."""

from __future__ import annotations

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
