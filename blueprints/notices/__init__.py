"""The notices blueprint: a member's in-app notices."""
