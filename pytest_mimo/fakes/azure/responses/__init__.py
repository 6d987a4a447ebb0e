"""Wire format of the fake Azure services: one module per service, over the models."""
