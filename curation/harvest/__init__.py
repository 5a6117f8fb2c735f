"""Link harvesting from link-aggregator dumps: readers, formats, rules, blocklists, partitioning."""
