"""The scores sheet of a class: usual and practice scores as typed in."""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation


def parse_scores(
    form: Mapping[str, str], enrolment_ids: list[int]
) -> tuple[dict[int, tuple[Decimal | None, Decimal | None]], list[str]]:
    """The scores sheet: `usual-<id>` and `practice-<id>` (blank: not given) per trainee."""
    scores, problems = {}, []
    for enrolment_id in enrolment_ids:
        names = (f"usual-{enrolment_id}", f"practice-{enrolment_id}")
        if not any(name in form for name in names):
            continue
        pair = []
        for name in names:
            text = (form.get(name) or "").strip()
            try:
                value = Decimal(text) if text else None
            except InvalidOperation:
                value = Decimal("NaN")
            if value is not None and not value.is_finite():
                problems.append(f"“{text}”不是有效的分数")
                value = None
            pair.append(value)
        scores[enrolment_id] = (pair[0], pair[1])
    return scores, problems
