"""Market figures (市场数据, issue 18 item 3): supply rate, delegation rate, turnaround, SLA attainment
and adjusters' fees per period, line, region, insurer and firm, computed from the platform's own rows.

``facts`` reads one row per claim, clock and invoice the reader may see (SQL aggregation, the same on
SQLite and PostgreSQL); ``compute`` turns rows into figures (``Decimal``), hiding those behind fewer
than 5 insureds from readers outside the broker (``placement.comparison_stats.aggregate``)."""
