"""Reading event files (canonical JSON lines, mapped CSV, audit logs) and producing them to Kafka."""
