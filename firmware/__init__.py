"""The Callbox daemon: flows, ACD driving, signalling, drivers, store, edge and media supervision."""
