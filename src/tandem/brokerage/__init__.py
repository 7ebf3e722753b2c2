"""A broker's duties (issue 20 item 4): the client money ledger and the business file of a placed policy."""
