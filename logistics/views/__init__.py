"""Browser screens of logistics (namespace ``logistics``): stock levels, lot card and
trace, recalls, the movement journal, receipts, transfers, adjustments, counts, kit
assembly and the stock reports."""
