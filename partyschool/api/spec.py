"""Declare JSON operations once, and derive validation and the OpenAPI document from them."""

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Flask, Response, jsonify, make_response, request
from pydantic import BaseModel, ValidationError

from partyschool.access import admit, rule_for

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_PARAM_TYPES = {"int": {"type": "integer"}, None: {"type": "string"}, "string": {"type": "string"}}


class ApiError(Exception):
    """An API refusal with a status, a machine code and a Chinese message."""

    def __init__(self, status: int, code: str, message: str, **details: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details

    def to_response(self):
        """The JSON error body every API error shares."""
        body = {"error": self.code, "message": self.message, **self.details}
        return make_response(jsonify(body), self.status)


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says of one view."""

    summary: str
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    tag: str
    media_type: str


def operation(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    tag: str = "general",
    media_type: str = "application/json",
) -> Callable:
    """Declare a JSON view: its body is validated into `body`, its result dumped by `response`.

    The view receives the validated body as keyword `data` and returns a model instance
    (or a plain dict when no response model is declared); a view answering with another
    `media_type` (a PDF) returns its Flask response as it is.
    """
    spec = Operation(summary, body, response, status, tag, media_type)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(**kwargs):
            if body is not None:
                try:
                    kwargs["data"] = _parse(body)
                except ApiError:
                    admit()  # who is asking comes first, also where the view's statement checks it
                    raise
            result = view(**kwargs)
            if isinstance(result, Response):
                return result
            if isinstance(result, BaseModel):
                result = result.model_dump(mode="json")
            return make_response(jsonify(result), status)

        wrapper.operation = spec
        return wrapper

    return decorator


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        raise ValueError(text)
    return value


def _not_a_number(text: str) -> float:
    raise ValueError(text)  # NaN, Infinity: not JSON, though Python's parser takes them


def _parse(model: type[BaseModel]) -> BaseModel:
    try:
        payload = (
            json.loads(request.get_data(), parse_float=_finite, parse_constant=_not_a_number)
            if request.is_json
            else None
        )
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        payload = None
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_json", "请求体必须是 JSON 对象")
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        fields = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in error.errors(include_url=False, include_input=False)
        ]
        raise ApiError(422, "invalid_body", "请求内容不符合要求", fields=fields) from None


def _path(rule: str) -> tuple[str, list[dict]]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": _PARAM_TYPES.get(conv, {})}
        for conv, name in _CONVERTER.findall(rule)
    ]
    return _CONVERTER.sub(r"{\2}", rule), params


def _schema_ref(model: type[BaseModel], schemas: dict) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _response_schema(spec: Operation, schemas: dict) -> dict:
    if spec.response is not None:
        return _schema_ref(spec.response, schemas)
    if spec.media_type != "application/json":
        return {"type": "string", "format": "binary"}
    return {"type": "object"}


def build_document(app: Flask) -> dict:
    """The OpenAPI 3.1 document of every declared operation in the app's URL map."""
    paths: dict[str, dict] = {}
    schemas: dict[str, dict] = {}
    error_ref = _schema_ref(ErrorBody, schemas)
    for url_rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        spec: Operation | None = getattr(app.view_functions[url_rule.endpoint], "operation", None)
        if spec is None:
            continue
        path, params = _path(url_rule.rule)
        access = rule_for(app, url_rule.endpoint)
        for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "operationId": url_rule.endpoint,
                "summary": spec.summary,
                "tags": [spec.tag],
                "parameters": params,
                "responses": {
                    str(spec.status): {
                        "description": "成功",
                        "content": {spec.media_type: {"schema": _response_schema(spec, schemas)}},
                    },
                    "default": {
                        "description": "错误",
                        "content": {"application/json": {"schema": error_ref}},
                    },
                },
            }
            if spec.body is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": _schema_ref(spec.body, schemas)}},
                }
            if access is not None and not access.is_public:
                op["security"] = [{"bearer": []}, {"session": []}]
                if access.roles:
                    op["x-roles"] = sorted(access.roles)
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "网上党校 API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


class ErrorBody(BaseModel):
    """The body of every API error."""

    error: str
    message: str
