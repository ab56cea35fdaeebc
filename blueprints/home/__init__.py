"""The home blueprint."""
