"""The sweep: rule settings, evaluations and vendor notifications."""
