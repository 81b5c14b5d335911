"""`make load`: a bounded load test of the local stack (load/driver.py); outside CI, a small one runs in it."""
