"""The refusal of a staff action on exams, with every reason in Chinese."""

from collections.abc import Sequence


class ManageError(ValueError):
    """An action refused; `problems` holds every reason, in Chinese."""

    def __init__(self, problems: str | Sequence[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("；".join(self.problems))
