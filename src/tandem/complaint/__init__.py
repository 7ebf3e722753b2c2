"""Explanations and complaints (issue 20 item 3): a party on a case asks an adjuster firm to explain its
report, or complains about any participant; the target decides within the clock of the 2020 complaint rule
(15 days, extendable to 30 with a reason sent to the complainant); overdue or on the complainant's request
the complaint goes to supervision."""
