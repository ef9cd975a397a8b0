"""Actions: one module per verb over one Configuration; they return data, never print."""
