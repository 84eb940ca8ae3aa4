"""The trainee's attempt: who may sit, the draw, saving answers, submitting; its pages and API."""
