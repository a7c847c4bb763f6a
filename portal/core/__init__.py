"""What every domain module shares: time, types, permissions, rendering."""
