"""Reading reports (学习心得): writing, comparing with earlier reports, reviewing."""
