"""The Rules as dated data in SQL: each version with its act and the day it takes effect."""
