"""The branch blueprint."""
