"""Orders, delivery, review periods, refunds, invoices and settlement."""
