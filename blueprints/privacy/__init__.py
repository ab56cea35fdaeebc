"""个人信息与隐私: the privacy page, a member's data rights (download, correct, consents, deletion), the
secretary's answers to correction requests, and the audit trail (留痕) screen."""
