"""Domain signals of the platform-wide data, sent on commit to the apps above."""

from django.dispatch import Signal

# Sent when the working calendar of some years changed: a year was confirmed, or a reviewer
# added, changed or removed an override. Apps that store deadlines counted in working days
# recompute the open ones (MS-3.1.5 ③ top-ups, ④ deposit refunds).
# Arguments: years (a sorted list of ints), actor (the user), reason (the audit reason).
calendar_changed = Signal()
