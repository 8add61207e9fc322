"""Load, query-count and page-weight benchmarks: ``make bench``."""
