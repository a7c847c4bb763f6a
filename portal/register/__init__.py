"""The public register of accredited digital mining pools."""
