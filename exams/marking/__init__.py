"""Marking essays (阅卷): the queue and an instructor's grade."""
