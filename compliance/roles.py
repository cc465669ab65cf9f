"""What the compliance roles may do (synced to groups by marketplace.roles after migrate).

Reviewers report, confirm, apply and import; the compliance lead also gives the second
approval (evict, ban, deductions), decides appeals and is the only one who edits the
violation table (MS-7 annex, MS-9.2).
"""

from marketplace.roles import COMPLIANCE_LEAD, COMPLIANCE_REVIEWER, FINANCE

_READ = [
    "compliance.view_penaltycase",
    "compliance.view_appliedmeasure",
    "compliance.view_caseevent",
    "compliance.view_caseevidence",
    "compliance.view_importjob",
    "compliance.view_violationtype",
    "compliance.view_violationversion",
    "compliance.view_violationmeasure",
    "compliance.view_servicecomplaint",  # MS-4.3, MS-4.4
]
_REVIEW = [
    "compliance.add_penaltycase",
    "compliance.confirm_penaltycase",
    "compliance.apply_penaltycase",
    "compliance.add_caseevidence",
    "compliance.import_penaltycase",
    "compliance.export_penaltycase",
    "compliance.add_importjob",
    # Measures carry out their acts through the lower apps' services as the reviewer.
    "catalog.delist_product",
]
_LEAD = [
    "compliance.approve_penaltycase",
    "compliance.decide_appeal",
    "compliance.add_violationtype",
    "compliance.change_violationtype",
    "compliance.add_violationversion",
    "compliance.change_violationversion",
    "compliance.add_violationmeasure",
    "compliance.change_violationmeasure",
    "compliance.delete_violationmeasure",
]

ROLE_PERMISSIONS = {
    COMPLIANCE_REVIEWER: _READ + _REVIEW,
    COMPLIANCE_LEAD: _READ + _REVIEW + _LEAD,
}
# The sweep (issue 5): reviewers read its outcomes; the lead sets its parameters; finance
# reads the deposit refunds flagged to it (MS-3.1.5 ④).
_SWEEP_READ = [
    "compliance.view_ruleevaluation",
    "compliance.view_sweeprun",
    "compliance.view_vendornotification",
    "compliance.view_rulesetting",
]
ROLE_PERMISSIONS[COMPLIANCE_REVIEWER] += _SWEEP_READ
ROLE_PERMISSIONS[COMPLIANCE_LEAD] += [
    *_SWEEP_READ,
    "compliance.add_rulesetting",
    "compliance.change_rulesetting",
]
ROLE_PERMISSIONS[FINANCE] = ["compliance.view_ruleevaluation", "compliance.view_sweeprun"]
