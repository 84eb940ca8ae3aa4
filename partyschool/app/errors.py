"""Error pages: Chinese pages for people, JSON errors for the API."""

from flask import Flask, make_response, render_template, request
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
}


def init_app(app: Flask) -> None:
    """Answer every error in Chinese: a page for people, JSON for the API."""

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return error.to_response()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        message = ERROR_MESSAGES.get(error.code, error.name)
        if access.is_api_request():
            code = error.name.lower().replace(" ", "_")
            response = ApiError(error.code, code, message).to_response()
        else:
            page = render_template("errors/error.html", error=error, message=message)
            response = make_response(page, error.code)
        # Keep what the error says beyond its page: Allow on 405, WWW-Authenticate on 401.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
        message = ERROR_MESSAGES[500]
        if access.is_api_request():
            return ApiError(500, "internal_error", message).to_response()
        return render_template("errors/error.html", error=None, message=message), 500
