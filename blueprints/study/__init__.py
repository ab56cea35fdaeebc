"""The study blueprint: tasks, quizzes, reports, the yearly 学时 record, and the secretary's tools."""
