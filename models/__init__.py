"""Domain and storage of RecoveryStat: entities, status engine, read path and write services."""
