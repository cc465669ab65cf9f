"""The violation table, penalty cases and applied measures (MS-7)."""
