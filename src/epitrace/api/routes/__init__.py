"""REST routes, one module per resource; handlers only validate, call a service and convert."""
