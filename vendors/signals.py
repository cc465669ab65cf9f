"""Domain signals this app sends to the apps above it (always on commit)."""

from django.dispatch import Signal

# Sent when top-ups (or a reversal) make a vendor's deposit whole and close its open top-up
# obligations (MS-3.1.5 ③): compliance lifts the deposit measures at once.
# Arguments: vendor_id.
deposit_made_whole = Signal()

# Sent when a change of the working calendar moved open deposit deadlines (MS-3.1.5 ③ ④):
# compliance tells each vendor concerned. Arguments: moves (list of
# vendors.services.deadlines.DeadlineMove).
deposit_deadlines_moved = Signal()

# Sent INSIDE the transaction that starts a vendor's exit (MS-8.4.1), not on commit: the
# orders app refunds the unfinished orders in that same transaction, so an exit never stands
# started without its refunds (and a rollback undoes both). Arguments: exit (VendorExit),
# actor, at. Receivers return how many orders they refunded.
vendor_exit_started = Signal()
