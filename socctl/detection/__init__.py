"""Detection: Sigma rules (via pySigma) over log files, the embedded log store or Elasticsearch."""
