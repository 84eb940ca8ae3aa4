"""Which rule set is in force on a day: the latest a school admin put in force by then
(`RuleSetChoice`, through `services.choose_ruleset`), else the configured one, which the site
checks at start. Cached for the request."""

import json
from datetime import date
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import select
from sqlalchemy.orm import Session

from partyschool import extensions
from partyschool.candidates.models import RuleSetChoice
from partyschool.candidates.rulesets import RULESETS, RuleSet, RuleSetError, ruleset_from_dict


def ruleset(on: date | None = None) -> RuleSet:
    """The rule set in force on a day (default today): the latest a school admin put in force
    by then, else the one this university configured (checked at start)."""
    on = on or extensions.today()
    in_force = g.setdefault("rulesets_in_force", {})
    if on not in in_force:
        choice = extensions.db.session.scalar(
            select(RuleSetChoice)
            .where(RuleSetChoice.effective_from <= on)
            .order_by(RuleSetChoice.effective_from.desc(), RuleSetChoice.id.desc())
            .limit(1)
        )
        in_force[on] = _parsed(choice) if choice else configured_ruleset()
    return in_force[on]


def configured_ruleset() -> RuleSet:
    """The rule set named by ELIGIBILITY_RULESET (a built-in id or a JSON file)."""
    configured = current_app.config["ELIGIBILITY_RULESET"]
    loaded = current_app.extensions.setdefault("rulesets", {})
    if configured not in loaded:
        loaded[configured] = load_ruleset(configured)
    return loaded[configured]


def _parsed(choice: RuleSetChoice) -> RuleSet:
    parsed = current_app.extensions.setdefault("ruleset_choices", {})
    if choice.id not in parsed:
        parsed[choice.id] = ruleset_from_dict(choice.definition)
    return parsed[choice.id]


def ruleset_choices(session: Session) -> list[RuleSetChoice]:
    """Every rule set put in force, the latest first."""
    stmt = select(RuleSetChoice).order_by(
        RuleSetChoice.effective_from.desc(), RuleSetChoice.id.desc()
    )
    return list(session.scalars(stmt))


def init_app(app: Flask) -> None:
    """Refuse to start with a rule set that cannot judge: every record page would fail."""
    configured = app.config["ELIGIBILITY_RULESET"]
    try:
        app.extensions.setdefault("rulesets", {})[configured] = load_ruleset(configured)
    except RuleSetError as error:
        raise RuntimeError(
            f"ELIGIBILITY_RULESET={configured}：规则集无效，网站不能启动：{error}"
        ) from None


def load_ruleset(configured: str) -> RuleSet:
    """A built-in rule set by id, or a JSON file of the university's own; a bad file raises
    RuleSetError with what is wrong, so the site refuses to start rather than fail later."""
    if configured in RULESETS:
        return RULESETS[configured]
    try:
        data = json.loads(Path(configured).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:
        raise RuleSetError(f"cannot read rule set {configured!r}: {error}") from None
    if not isinstance(data, dict):
        raise RuleSetError(f"rule set {configured!r}: expected a JSON object")
    return ruleset_from_dict(data)


def ruleset_key(active: RuleSet) -> str:
    """How a decision names the rule set that judged it: `id@version`."""
    return f"{active.id}@{active.version}"


def forget_rulesets_in_force() -> None:
    """After a rule set is put in force, this request looks it up again."""
    g.pop("rulesets_in_force", None)
