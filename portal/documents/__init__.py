"""Uploaded documents: checked by content, hashed, stored outside static/, served to those allowed."""
