"""Score distribution and classical item statistics (difficulty, discrimination): pure
functions over plain values, no database."""

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Share of examinees in the upper and lower groups of the discrimination index (Kelley).
GROUP_SHARE = 0.27
HUNDREDTH = Decimal("0.01")


def hundredth(value: Decimal) -> Decimal:
    """A value rounded half up to 0.01."""
    return value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Band:
    """A band of scores (percent of full marks) and how many trainees fell into it."""

    low: int
    high: int
    count: int

    @property
    def label(self) -> str:
        """How the band reads: 60–69, and 90–100 for the top band."""
        return f"{self.low}–{self.high if self.high == 100 else self.high - 1}"


def distribution(percents: Iterable[Decimal], width: int = 10) -> list[Band]:
    """Counts per band of `width` percentage points; 100 falls into the top band."""
    counts = Counter(min(int(p // width), 100 // width - 1) for p in percents)
    return [Band(low, low + width, counts.get(low // width, 0)) for low in range(0, 100, width)]


@dataclass(frozen=True)
class Response:
    """One examinee's counted attempt, for item statistics."""

    total: Decimal  # percent of full marks
    items: dict[int, tuple[Decimal, Decimal]]  # question id -> (score, points), final only


@dataclass(frozen=True)
class ItemStat:
    """Classical item statistics of one question."""

    question_id: int
    answered: int  # examinees who were given it and whose answer is graded
    mean: Decimal | None
    points: Decimal | None
    difficulty: float | None  # mean score / points (the higher, the easier)
    discrimination: float | None  # upper 27% minus lower 27% mean proportion


def group_size(examinees: int) -> int:
    """The size of the upper and lower groups: 27% of the examinees, at least one."""
    return max(1, math.floor(examinees * GROUP_SHARE + 0.5)) if examinees >= 2 else 0


def _proportion(responses: Iterable[Response], question_id: int) -> float | None:
    shares = [
        float(r.items[question_id][0] / r.items[question_id][1])
        for r in responses
        if question_id in r.items and r.items[question_id][1] > 0
    ]
    return sum(shares) / len(shares) if shares else None


def item_statistics(responses: Sequence[Response], order: Sequence[int]) -> list[ItemStat]:
    """Difficulty and discrimination of each question in `order`.

    Difficulty is the mean score over the points. Discrimination ranks examinees by total,
    takes the upper and lower 27% (Kelley), and subtracts the lower group's mean proportion of
    the item's points from the upper group's; examinees not given the item are left out.
    """
    ranked = sorted(responses, key=lambda r: r.total, reverse=True)
    size = group_size(len(ranked))
    upper, lower = ranked[:size], ranked[len(ranked) - size :] if size else []
    stats = []
    for question_id in order:
        given = [r.items[question_id] for r in responses if question_id in r.items]
        if not given:
            stats.append(ItemStat(question_id, 0, None, None, None, None))
            continue
        points = max(p for _, p in given)
        mean = sum((s for s, _ in given), Decimal(0)) / len(given)
        high, low = _proportion(upper, question_id), _proportion(lower, question_id)
        stats.append(
            ItemStat(
                question_id,
                len(given),
                hundredth(mean),
                points,
                float(mean / points) if points > 0 else None,
                high - low if high is not None and low is not None else None,
            )
        )
    return stats
