"""The annual development plan (年度发展计划) of each branch school, against what happened."""
