"""`shopsync doctor`: plain check functions, each answering ✓ or ✗ with the fix in one line."""
