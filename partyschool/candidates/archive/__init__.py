"""The materials archive of each candidate (入党材料归档): documents, checks, exports."""
