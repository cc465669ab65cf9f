"""What each platform role may do in the vendors app (synced to groups after migrate).

Exact and minimal: a role gets what its work in RULES.md needs and nothing else.
"""

from marketplace import roles

# Every reviewer looks vendors up, with their store and categories.
_LOOK_UP = ["vendors.view_vendor", "vendors.view_store", "vendors.view_category"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # MS-3.1 onboarding review, MS-3.1.7 extra conditions, MS-6.1.1 documents, MS-8.1/8.2 exits.
    roles.ONBOARDING_REVIEWER: [
        *_LOOK_UP,
        "vendors.view_vendorstaff",
        "vendors.view_onboardingapplication",
        "vendors.add_onboardingapplication",
        "vendors.change_onboardingapplication",
        "vendors.review_onboardingapplication",
        "vendors.view_extraconditionresult",
        "vendors.change_extraconditionresult",
        "vendors.view_vendordocument",
        "vendors.change_vendordocument",
        "vendors.view_extracondition",
        "vendors.add_extracondition",
        "vendors.change_extracondition",
        "vendors.view_bannedidentity",
        "vendors.activate_vendor",
        "vendors.manage_vendor_exit",
        # Issue 13: replacements (MS-6.1.1), the agreement (MS-3.1.4), service (MS-4.3/4.4).
        "vendors.review_vendordocument",
        "vendors.view_agreementversion",
        "vendors.add_agreementversion",
        "vendors.change_agreementversion",
        "vendors.view_agreementsignature",
        "vendors.view_servicecommitment",
        # MS-8.1 the agreement term; MS-8.2 a vendor's request to leave is reviewed here.
        "vendors.change_vendor_term",
        "vendors.view_vendorexit",
        "vendors.review_vendorexit",
        "vendors.advance_vendorexit",
    ],
    # MS-3.1.5: the ledger, obligations, tiers and refunds.
    roles.FINANCE: [
        *_LOOK_UP,
        "vendors.view_depositentry",
        "vendors.record_depositentry",
        "vendors.reverse_depositentry",
        "vendors.view_topupobligation",
        "vendors.view_deposittier",
        "vendors.add_deposittier",
        "vendors.view_depositrefund",
        "vendors.process_depositrefund",
        # MS-8 / MS-3.1.5 ④: finance follows an exit to the deposit refund.
        "vendors.view_vendorexit",
        "vendors.advance_vendorexit",
    ],
    # Suspensions are the compliance lead's decision. MS-8.3 evictions are too, but only as a
    # penalty measure approved by a second lead (compliance), so nobody holds the one-person
    # `vendors.evict_vendor` transition right.
    roles.COMPLIANCE_LEAD: [
        *_LOOK_UP,
        "vendors.suspend_vendor",
        # MS-8.1 platform side: one lead proposes ending a term early, another approves.
        "vendors.view_vendorexit",
        "vendors.propose_vendorexit",
        "vendors.approve_vendorexit",
        "vendors.view_bannedidentity",
        "vendors.view_depositentry",
        "vendors.view_topupobligation",
    ],
    roles.COMPLIANCE_REVIEWER: [
        *_LOOK_UP,
        "vendors.view_servicecommitment",  # MS-4.3/4.4: judging unreachable complaints
        "vendors.view_depositentry",
        "vendors.view_topupobligation",
    ],
    roles.SECURITY_REVIEWER: list(_LOOK_UP),
    roles.REFUND_ARBITRATOR: [*_LOOK_UP, "vendors.view_depositentry"],
}
