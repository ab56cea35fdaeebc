"""The pwa blueprint."""
