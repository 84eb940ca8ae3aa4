"""Question banks, papers, timed attempts and grading (在线考试)."""
