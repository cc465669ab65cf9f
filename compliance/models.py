"""The violation table, penalty cases, applied measures and rule evaluations."""
