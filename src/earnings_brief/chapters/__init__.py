"""What each part of the brief shows: one module per chapter, plus front and back matter."""
