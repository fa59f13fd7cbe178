"""`socialitica bench`: throughput, latency, footprint, restart and warehouse figures of one worker."""
