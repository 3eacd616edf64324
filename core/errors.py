"""Domain errors: a stable code for machines, a Chinese message for people.

Services raise these; the middleware and the API turn them into responses.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400
    message = "操作失败"

    def __init__(self, message: str | None = None, *, code: str | None = None, fields=None):
        self.message = message or self.message
        if code:
            self.code = code
        # {field name: [Chinese message, ...]} for form-level errors
        self.fields: dict[str, list[str]] = dict(fields or {})
        super().__init__(self.message)


class NotFound(DomainError):
    """Also the answer for "not yours": access never tells the two apart."""

    code = "not_found"
    status = 404
    message = "未找到该记录，或您无权查看"


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    message = "您没有执行此操作的权限"


class InvalidInput(DomainError):
    code = "invalid"
    status = 400
    message = "输入有误，请检查后重新提交"


class WorkflowError(DomainError):
    code = "wrong_state"
    status = 409
    message = "当前状态不允许此操作"
