"""The weekly digest for customer ambassadors: habit health, what was shared and what needs attention."""
