"""Error pages: Chinese pages for people, JSON errors for the API."""

from flask import Flask, make_response, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from partyschool import access
from partyschool.api.spec import ApiError
from partyschool.extensions import db

ERROR_MESSAGES = {
    400: "请求无效",
    401: "需要登录",
    403: "没有权限访问此页面",
    404: "页面不存在",
    405: "不支持此请求方式",
    413: "提交的内容过大（表单和答案不超过 2 MB，上传文件以页面说明为准）",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误",
    503: "数据库暂时无法连接，请稍后重试",
}
# PostgreSQL's error classes of a server that cannot be reached or is going down or up:
# connection exceptions (08) and operator intervention (57: shutting down, starting up).
UNREACHABLE_CLASSES = ("08", "57")


def _is_unreachable(error: OperationalError) -> bool:
    """True when PostgreSQL was not there to answer (down, restarting, refusing connections);
    a connection that failed before the server said anything has no SQLSTATE (SQLite's errors
    have no such attribute at all)."""
    sqlstate = getattr(error.orig, "sqlstate", "")
    return error.connection_invalidated or sqlstate is None or sqlstate[:2] in UNREACHABLE_CLASSES


def _answer(status: int, code: str, error: HTTPException | None = None):
    """The error's answer in Chinese: JSON for the API, a page for people."""
    message = ERROR_MESSAGES.get(status, error.name if error else "")
    if access.is_api_request():
        return ApiError(status, code, message).to_response()
    page = render_template("errors/error.html", error=error, message=message)
    return make_response(page, status)


def init_app(app: Flask) -> None:
    """Answer every error in Chinese: a page for people, JSON for the API."""

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return error.to_response()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        response = _answer(error.code, error.name.lower().replace(" ", "_"), error)
        # Keep what the error says beyond its page: Allow on 405, WWW-Authenticate on 401.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(OperationalError)
    def database_error(error: OperationalError):
        """503 and a moment to wait while PostgreSQL is down or restarting: nothing is lost
        (the exam page keeps an answer until it is acknowledged); anything else is a 500."""
        if not _is_unreachable(error):
            return server_error(error)
        app.logger.warning("database unreachable on %s: %s", request.path, error.orig)
        db.session.remove()
        response = _answer(503, "database_unavailable")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
        return _answer(500, "internal_error")
