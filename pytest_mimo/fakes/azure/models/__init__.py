"""State of the fake Azure services, apart from the wire format: one module per service."""
