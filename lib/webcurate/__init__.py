"""webcurate: Spark jobs that turn raw Common Crawl into LLM-pretraining data."""

__version__ = "0.1.0"
