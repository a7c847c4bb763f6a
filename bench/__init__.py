"""`make bench`: the benchmarks of issue 8, each measured against its own stack's limit in the same run."""
