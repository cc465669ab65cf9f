"""The compliance sweep (DESIGN "The sweep"): timed rules evaluated set-based.

`runner.run_sweep` runs them; one module per rule; `registry` lists them in order.
"""
