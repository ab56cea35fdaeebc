"""What a member's download holds: one line per table, naming the columns that point at the member.

A table with a member column that is missing here fails tests/services/privacy/test_registry.py,
so a table added by another domain is noticed: add its line below (or to NOT_EXPORTED with the
reason). Columns in SECRET_COLUMNS are never exported (hashes of passwords and tokens, keys).
"""
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """One table in the export: rows where any of `columns` is the member; `title` names its file."""

    table: str
    columns: tuple[str, ...]
    title: str


EXPORTED = (
    # accounts
    Source("member", ("id",), "个人资料"),
    Source("membership", ("member_id",), "组织关系记录"),
    Source("role", ("member_id",), "职务与权限"),
    Source("user_session", ("member_id",), "登录会话"),
    # check-in and service hours
    Source("checkin", ("member_id", "open_member_id", "staff_id", "decided_by"), "签到与服务时长"),
    Source("activity", ("created_by",), "发布的志愿活动"),
    Source("activity_signup", ("member_id",), "志愿活动报名"),
    Source("community_registration", ("member_id",), "社区报到"),
    # stations
    Source("location_consent", ("member_id",), "位置授权"),
    # study
    Source("study_file", ("uploaded_by",), "上传的学习资料"),
    Source("study_task", ("created_by",), "布置的学习任务"),
    Source("study_assignee", ("member_id",), "指定学习任务"),
    Source("study_progress", ("member_id", "reviewed_by"), "学习进度与学时"),
    Source("study_attempt", ("member_id",), "答题记录"),
    # meetings
    Source("meeting", ("created_by",), "安排的会议"),
    Source("meeting_invite", ("member_id", "leave_decided_by", "marked_by"), "会议通知、请假与出勤"),
    Source("meeting_minutes", ("host_id", "recorder_id", "updated_by", "locked_by"), "主持或记录的会议记录"),
    Source("meeting_addendum", ("created_by",), "会议记录补充说明"),
    Source("meeting_file", ("uploaded_by",), "上传的会议附件"),
    Source("meeting_settings", ("duty_member_id",), "会议值班设置"),
    Source("calendar_feed", ("member_id",), "日历订阅"),
    # workspace
    Source("evaluation_ballot", ("member_id",), "支部评议（是否已参评，不含评分）"),
    # notifications
    Source("notification", ("member_id",), "消息"),
    Source("delivery", ("member_id",), "消息推送记录"),
    Source("push_subscription", ("member_id",), "推送设备"),
    Source("notify_preference", ("member_id",), "提醒设置"),
    Source("sms_quota", ("member_id",), "短信发送计数"),
    # workspace (the answers themselves are anonymous and hold no member column)
    Source("evaluation_ballot", ("member_id",), "支部评议参与记录"),
    # privacy and audit
    Source("data_export", ("member_id", "pending_member_id"), "个人信息下载记录"),
    Source("data_request", ("member_id", "answered_by"), "更正申请"),
    Source("deletion_request", ("member_id", "open_member_id"), "注销申请"),
    Source("audit_entry", ("member_id", "actor_id"), "留痕记录"),
)

# Tables with a member column that are deliberately left out, and why.
NOT_EXPORTED = {
    "audit_head": "the chain's end: no member data",
}

# Never exported: password and token hashes, one-time nonces, keys, claim tokens.
SECRET_COLUMNS = re.compile(r"(^|_)(hash|password_hash|token_hash|nonce|checkout_nonce|qr_key|p256dh|auth|"
                            r"claim_token|endpoint_hash|key)$")


def sources() -> tuple[Source, ...]:
    """The export's tables, in order."""
    return EXPORTED


def by_table() -> dict[str, Source]:
    """Source by table name."""
    return {s.table: s for s in EXPORTED}
