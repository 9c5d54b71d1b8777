"""The Elasticsearch / OpenSearch log store: ingest, indices, detection in the cluster."""
