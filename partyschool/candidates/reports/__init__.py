"""Thought reports (思想汇报) and the half-yearly assessments (半年考察意见) of a record."""
