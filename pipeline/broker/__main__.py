"""Entry point of ``python -m pipeline.broker start|stop|status --data-dir DIR``."""

from pipeline.broker.cli import broker

if __name__ == "__main__":
    broker(prog_name="python -m pipeline.broker")
