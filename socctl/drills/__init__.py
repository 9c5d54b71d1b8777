"""Live-fire cyber-defence drills: content (scenarios, rules of engagement, scoring models),
planning, the signed journal, correlation with detections, scoring and reports."""
