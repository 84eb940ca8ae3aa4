"""The JSON API under /api/v1: operations, validation, bearer tokens, the OpenAPI document."""
