"""The workspace blueprint (支部工作台)."""
